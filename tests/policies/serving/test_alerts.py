"""Serving alerts: the same tiers as ``evaluate_alerts`` given the state and no history."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.abc_classification import AbcPolicy
from policies.alerts import AlertInputs, AlertThresholds, SellThroughRule, evaluate_alerts
from policies.serving.alerts import state_alerts
from policies.serving.catalog import Catalog
from policies.serving.state import StateRows, parse_state
from sim.enums import Category
from sim.store_sku import on_hand_by_remaining_life
from tests.policies.serving.tiny_catalog import N_AGES, random_state, tiny_catalog

CATALOG = tiny_catalog()


def reference_alerts(rows: StateRows, catalog: Catalog, thresholds: AlertThresholds | None):
    """The serving alerts as first written: the full ``AlertInputs`` with empty history."""
    n = rows.n
    stock = rows.on_hand_by_age
    on_hand = stock.sum(axis=1)
    ages = np.arange(stock.shape[1])
    avg_age = np.where(on_hand > 0, (stock * ages).sum(axis=1) / np.maximum(on_hand, 1), 0.0)
    oldest = np.where(on_hand > 0, stock.shape[1] - 1 - np.argmax((stock > 0)[:, ::-1], axis=1), 0)
    life = catalog["shelf_life_days"][rows.sku].astype(np.int64)
    by_life = on_hand_by_remaining_life(stock, life)
    r = np.arange(1, by_life.shape[1] + 1)[None, :]
    unsold = np.maximum(np.cumsum(by_life, axis=1) - rows.forecast[:, None] * r, 0.0)
    perishable = life > 0
    empty = np.zeros((0, n))
    x = AlertInputs(
        category=catalog["category"][rows.sku],
        avg_age_days=avg_age,
        oldest_age_days=oldest.astype(np.float64),
        daily_sold=empty,
        daily_received=empty,
        daily_opening=empty,
        daily_forecast=empty,
        weekly_sales=empty,
        days_since_launch=np.full(n, 10_000),
        doomed_units=np.where(perishable, np.floor(unsold.max(axis=1)), 0.0),
        doomed_within_1d=np.where(perishable, np.floor(unsold[:, 0]), 0.0),
        cover_units=on_hand + rows.arriving_1d,
        lead_time_demand=rows.forecast * rows.lead_time_days,
    )
    if thresholds is not None and thresholds.abc is not None:
        price = catalog["price"][rows.sku]
        x = dataclasses.replace(
            x, on_hand_units=on_hand, forecast_daily=rows.forecast,
            abc_class=thresholds.abc.classes(rows.forecast, price, rows.store),
        )  # fmt: skip
    return evaluate_alerts(x, thresholds)


thresholds = st.one_of(
    st.none(),
    st.builds(
        AlertThresholds,
        age_ratio=st.sampled_from([0.5, 1.0, 1.5, 2.0]),
        sell_through=st.dictionaries(
            st.sampled_from(list(Category)),
            st.builds(SellThroughRule, st.sampled_from([0.3, 1.0, 1.5]), st.integers(1, 7)),
        ),
        new_item_days=st.sampled_from([15, 9_995, 10_000, 10_001]),
        abc=st.sampled_from(
            [None, AbcPolicy(), AbcPolicy(basis="movement", turnover_days=(1, 2, 3))]
        ),
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 12),
    width=st.integers(1, N_AGES),
    t=thresholds,
    forecast_scale=st.sampled_from([0.0, 0.3, 1.0, 3.0]),
)
def test_state_alerts_match_evaluate_alerts(seed, n, width, t, forecast_scale):
    rng = np.random.default_rng(seed)
    state = random_state(rng, CATALOG, n, width)
    state["forecast"] = (np.round(np.asarray(state["forecast"]) * forecast_scale, 1)).tolist()
    rows = parse_state(json.loads(json.dumps(state)), CATALOG)
    got, want = state_alerts(rows, CATALOG, t), reference_alerts(rows, CATALOG, t)
    assert np.array_equal(got.tier, want.tier)
    assert np.array_equal(got.response, want.response)
    assert got.criteria.keys() == want.criteria.keys()
    for name in want.criteria:
        assert np.array_equal(got.criteria[name], want.criteria[name]), name


def test_every_tier_is_reached_by_the_random_states():
    """The comparison above is only as good as its states: they reach every tier."""
    seen = set()
    rng = np.random.default_rng(0)
    for _ in range(300):
        state = random_state(rng, CATALOG, 12, int(rng.integers(1, N_AGES + 1)))
        seen |= set(state_alerts(parse_state(state, CATALOG), CATALOG).tier.tolist())
    assert seen == {0, 1, 2, 3, 4}
