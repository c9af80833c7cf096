"""Staff judgement by hand: who is reviewed when, the remembered usual week, the boost
after a stock-out, forgotten slow movers, late promotions and the response delay."""

from __future__ import annotations

import numpy as np
import pytest

from policies.staff_judgement import StaffJudgement
from sim.errors import ConfigError
from sim.store_sku import StoreSkuView


def view(day, on_hand, sold, forecast=(2.0, 2.0, 0.1), promo=(False, False, False)):
    n = len(on_hand)
    return StoreSkuView(
        on_hand=np.asarray(on_hand, float), on_order=np.zeros(n),
        forecast_daily=np.asarray(forecast, float), shelf_life_days=np.zeros(n, np.int64),
        pack_units=np.ones(n, np.int64), blocked=np.zeros(n, bool),
        sales_yesterday=np.asarray(sold, float), on_promotion=np.asarray(promo), day=day,
    )  # fmt: skip


def test_each_sku_is_reviewed_on_its_turn_up_to_a_usual_week_and_sent_a_day_later():
    staff = StaffJudgement(review_every_days=2, memory_weight=1.0, response_days=1)
    first = staff.decide(view(0, [3, 3, 3], [2, 2, 0]))  # remembers 2, 2, 0 a day
    assert first.units.tolist() == [0, 0, 0]  # decided today, reaches the system tomorrow
    second = staff.decide(view(1, [3, 3, 3], [2, 2, 0]))
    # day 0's decision: SKU 0 due (0 % 2 == 0): up to 14 - 3 = 11; SKU 2 due too but a
    # usual week of 0 < 1 unit: forgotten while it has stock
    assert second.units.tolist() == [11, 0, 0]
    third = staff.decide(view(2, [3, 3, 3], [2, 2, 0]))
    assert third.units.tolist() == [0, 11, 0]  # day 1's: SKU 1's turn


def test_a_stock_out_boosts_the_next_order_and_a_forgotten_sku_is_ordered_once_empty():
    staff = StaffJudgement(review_every_days=1, memory_weight=1.0, response_days=0,
                           stockout_boost=1.5)  # fmt: skip
    staff.decide(view(0, [3, 3, 3], [2, 2, 0]))
    out = staff.decide(view(1, [0, 3, 0], [2, 2, 0]))
    # SKU 0 ran out: up to 1.5 x 14 = 21; SKU 2 is a slow mover but empty: up to 0 -> 0
    assert out.units.tolist() == [21, 11, 0]
    assert staff.decide(view(2, [5, 3, 3], [2, 2, 0])).units.tolist() == [9, 11, 0]  # seen


def test_a_promotion_reaches_the_usual_week_only_after_the_delay():
    staff = StaffJudgement(review_every_days=1, memory_weight=1.0, response_days=0,
                           promotion_delay_days=2)  # fmt: skip
    promo = (True, False, False)
    staff.decide(view(0, [30, 30, 30], [2, 2, 0]))
    for day in (1, 2):  # the promotion's first two days: still the usual 2 a day
        staff.decide(view(day, [30, 30, 30], [8, 2, 0], promo=promo))
        assert staff._usual_daily[0] == 2.0
    staff.decide(view(3, [30, 30, 30], [8, 2, 0], promo=promo))
    assert staff._usual_daily[0] == 8.0
    staff.reset()
    assert staff._usual_daily is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"review_every_days": 0}, "StaffJudgement.review_every_days"),
     ({"memory_weight": 0.0}, "StaffJudgement.memory_weight"),
     ({"stockout_boost": -1.0}, "StaffJudgement.stockout_boost")],
)  # fmt: skip
def test_bad_habits_are_refused_by_name(kwargs, field):
    with pytest.raises(ConfigError, match=rf"^{field}: got "):
        StaffJudgement(**kwargs)
