"""Slow-mover criteria and tiers on hand-built store-SKUs."""

import numpy as np
import pytest

from policies.alerts import AlertInputs, AlertThresholds, Response, Tier, evaluate_alerts
from sim.enums import Category
from sim.errors import ConfigError


def inputs(n=5, days=21, **over) -> AlertInputs:
    base = dict(
        category=np.full(n, int(Category.AMBIENT)),
        avg_age_days=np.full(n, 10.0),
        oldest_age_days=np.full(n, 20.0),
        daily_sold=np.full((days, n), 5.0),
        daily_received=np.full((days, n), 5.0),
        daily_opening=np.full((days, n), 10.0),
        daily_forecast=np.full((days, n), 5.0),
        weekly_sales=np.full((4, n), 35.0),
        days_since_launch=np.full(n, 200),
        doomed_units=np.zeros(n),
        doomed_within_1d=np.zeros(n),
        cover_units=np.full(n, 20.0),
        lead_time_demand=np.full(n, 5.0),
    )
    base.update(over)
    return AlertInputs(**base)


def test_healthy_items_raise_nothing():
    a = evaluate_alerts(inputs())
    assert (a.tier == Tier.NONE).all() and (a.response == Response.NONE).all()


def test_each_criterion_fires_on_its_own_case():
    n = 5
    age = np.full(n, 10.0)
    age[0] = 40.0  # 40 > 1.5 × category average (16) -> time on shelf
    sold = np.full((21, n), 5.0)
    sold[-7:, 1] = 0.5  # ambient: 3.5 sold of 10 + 35 in 7 days < 30 % -> low sell-through
    weekly = np.full((4, n), 35.0)
    weekly[-1, 2] = 15.0  # down 57 % with the oldest unit 120 days old
    oldest = np.full(n, 20.0)
    oldest[2] = 120.0
    weekly[:, 3] = [100.0, 80.0, 60.0, 45.0]  # three falls of 20-25 %
    a = evaluate_alerts(
        inputs(avg_age_days=age, daily_sold=sold, weekly_sales=weekly, oldest_age_days=oldest)
    )
    assert a.criteria["time_on_shelf"].tolist() == [True, False, False, False, False]
    assert a.criteria["low_sell_through"].tolist() == [False, True, False, False, False]
    assert a.criteria["weekly_drop_old_stock"].tolist() == [False, False, True, False, False]
    assert a.criteria["sustained_decline"].tolist() == [False, False, False, True, False]
    assert a.tier.tolist()[:4] == [Tier.YELLOW] * 4
    assert a.response[0] == Response.MARKDOWN


def test_perishable_surplus_goes_orange_and_expiring_surplus_red():
    doomed = np.array([0.0, 6.0, 6.0, 0.0, 0.0])
    within_1d = np.array([0.0, 0.0, 4.0, 0.0, 0.0])
    cover = np.array([20.0, 20.0, 20.0, 2.0, 20.0])  # store-SKU 3 covers 2 < 5 of lead-time demand
    a = evaluate_alerts(inputs(doomed_units=doomed, doomed_within_1d=within_1d, cover_units=cover))
    assert a.tier.tolist() == [Tier.NONE, Tier.ORANGE, Tier.RED, Tier.BLUE, Tier.NONE]
    assert a.response.tolist() == [
        Response.NONE,
        Response.TRANSFER,
        Response.CLEARANCE,
        Response.EXPEDITE,
        Response.NONE,
    ]


def test_leafy_sell_through_over_one_day():
    cat = np.full(2, int(Category.LEAFY_VEGETABLES))
    sold = np.full((21, 2), 5.0)
    sold[-1, 0] = 4.0  # 4 of (10 opening + 5 received) = 27 % < 40 %
    sold[-1, 1] = 7.0  # 47 %
    a = evaluate_alerts(inputs(n=2, category=cat, daily_sold=sold))
    assert a.criteria["low_sell_through"].tolist() == [True, False]


def test_a_window_is_judged_only_once_the_history_covers_it():
    sold = np.zeros((3, 5))  # three days of history, nothing sold: too short for a 7-day window
    a = evaluate_alerts(inputs(days=3, daily_sold=sold))
    assert not a.criteria["low_sell_through"].any()


def test_stock_over_its_abc_classs_turnover_standard_is_a_slow_mover():
    """One store: forecast revenue 10, 1, 0.1 a day (A, B, C: 90 %, 99 %, 100 %); stock
    covers 50, 100 and 100 days: over A's 45 and B's 90, under C's 180."""
    from policies.abc_classification import AbcPolicy

    abc = AbcPolicy()
    forecast = np.array([10.0, 1.0, 0.1])
    classes = abc.classes(forecast, np.ones(3), np.zeros(3, dtype=int))
    x = inputs(n=3, on_hand_units=np.array([500.0, 100.0, 10.0]), forecast_daily=forecast,
               abc_class=classes)  # fmt: skip
    alerts = evaluate_alerts(x, AlertThresholds(abc=abc))
    assert alerts.criteria["over_turnover_standard"].tolist() == [True, True, False]
    assert alerts.tier.tolist()[:2] == [Tier.YELLOW, Tier.YELLOW]
    assert "over_turnover_standard" not in evaluate_alerts(x).criteria  # off without abc
    with pytest.raises(ValueError, match=r"alerts\.abc: the inputs need"):
        evaluate_alerts(inputs(n=3), AlertThresholds(abc=abc))
    with pytest.raises(ConfigError, match=r"^abc\.basis: got 'x'"):
        AlertThresholds(abc={"basis": "x"})
