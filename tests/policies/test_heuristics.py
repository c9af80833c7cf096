"""Hand-computed cases for the replenishment heuristics."""

import numpy as np
import pytest

from policies.heuristics import (
    RSS,
    SQ,
    SS,
    BaseStock,
    CappedBaseStock,
    FacingsDays,
    Newsvendor,
    PerishableBaseStock,
    ReorderPoint,
    ShopReorderRule,
)
from sim.errors import ConfigError
from sim.store_sku import StoreSkuView


def view(n=1, **over) -> StoreSkuView:
    base = dict(
        on_hand=np.full(n, 4.0),
        on_order=np.zeros(n),
        on_hand_by_life=np.zeros((n, 3)),
        forecast_daily=np.full(n, 3.1),
        forecast_sd_daily=np.full(n, 1.0),
        lead_time_days=np.full(n, 4.0),
        review_days=np.full(n, 1.0),
        shelf_life_days=np.zeros(n, dtype=int),
        pack_units=np.full(n, 12),
        facings_units=np.zeros(n),
        blocked=np.zeros(n, dtype=bool),
        unit_cost=np.full(n, 1.0),
        price=np.full(n, 2.0),
        holding_cost_per_day=np.full(n, 0.01),
        waste_cost_per_unit=np.full(n, 0.1),
    )
    base.update({k: np.asarray(v) if not isinstance(v, int) else v for k, v in over.items()})
    return StoreSkuView(**base)


def test_base_stock_from_forecast_explains_itself():
    # level = ceil(3.1 × 5 + 1 × 1.0 × sqrt(5)) = ceil(15.5 + 2.236) = 18
    # 18 - 4 = 14 -> 2 packs of 12 = 24
    v = view()
    d = BaseStock(z=1.0).decide(v)
    assert d.units.tolist() == [24]
    assert d.explain(v) == [
        "order 24 = 2 packs: up to 18 (forecast 3.1/day × 5 days + safety 3)"
        " − on hand 4 − on order 0"
    ]


def test_fixed_level_and_cap():
    v = view(pack_units=[1], on_hand=[2.0], on_order=[3.0])
    assert BaseStock(level_units=12).decide(v).units.tolist() == [7]
    assert CappedBaseStock(level_units=12, max_order_units=5).decide(v).units.tolist() == [5]


def test_perishable_base_stock_discounts_stock_that_will_expire():
    # 10 units with 1 day left, forecast 3/day: 7 will expire unsold -> position 10 - 7 = 3
    v = view(
        pack_units=[1],
        on_hand=[10.0],
        on_hand_by_life=[[10, 0, 0]],
        shelf_life_days=[3],
        forecast_daily=[3.0],
    )
    assert BaseStock(level_units=12).decide(v).units.tolist() == [2]
    assert PerishableBaseStock(level_units=12).decide(v).units.tolist() == [9]


def test_s_S_and_periodic_review_and_s_Q():
    v = view(pack_units=[1], on_hand=[5.0], forecast_daily=[3.0])
    assert SS(s_days=2, S_days=4).decide(v).units.tolist() == [7]  # 5 <= 6: up to 12
    assert SS(s_days=1, S_days=4).decide(v).units.tolist() == [0]  # 5 > 3
    assert RSS(s_days=2, S_days=4, review_every_days=2).decide(v).units.tolist() == [7]
    v1 = view(pack_units=[1], on_hand=[5.0], forecast_daily=[3.0], day=1)
    assert RSS(s_days=2, S_days=4, review_every_days=2).decide(v1).units.tolist() == [0]
    assert SQ(s_days=2, q_packs=3).decide(
        view(on_hand=[5.0], forecast_daily=[3.0])
    ).units.tolist() == [36]
    with pytest.raises(ConfigError):
        SS(s_days=5, S_days=4)


def test_reorder_point_with_lead_time_variability():
    # z(0.95) = 1.645; SS = ceil(1.645 × sqrt(4 × 1 + 3.1² × 0.5²)) = ceil(1.645 × 2.5) = 5
    # ROP = ceil(3.1 × 4) + 5 = 18; target = 18 + ceil(3.1) = 22; 22 - 4 = 18 -> 2 packs = 24
    v = view(lead_time_sd_days=[0.5])
    d = ReorderPoint(service_level=0.95).decide(v)
    assert d.terms["safety"].tolist() == [5] and d.terms["rop"].tolist() == [18]
    assert d.units.tolist() == [24]


def test_shop_rule():
    # level = ceil(3.1 × (2 + 1)) = 10; 10 - 4 = 6 -> one pack of 12
    assert ShopReorderRule(2.0, 1.0).decide(view()).units.tolist() == [12]


def test_facings_days_matches_the_issue_example():
    # forecast 3.1/day × 5 days = 15.5, facings 6 -> 16; + safety ceil(3.1 × 2) = 7 -> 23
    # 23 - 4 = 19 -> 2 cases = 24
    v = view(facings_units=[6.0])
    d = FacingsDays(safety_days=2.0).decide(v)
    assert d.units.tolist() == [24]
    assert d.explain(v)[0].startswith(
        "order 24 = 2 packs: max(facings 6, forecast 3.1/day × 5 days) + safety 7"
    )


def test_facings_days_blocked_promoted_and_caps():
    v = view(n=3, blocked=[True, False, False], on_promotion=[False, True, False])
    d = FacingsDays(safety_days=2.0, exclude_promoted=True, max_order_units=12).decide(v)
    assert d.units.tolist() == [0, 0, 12]
    assert d.explain(v)[0] == "blocked: not ordered"


def test_newsvendor_critical_fractile():
    # cu = 2 - 1 = 1, co = 1 + 0.1 = 1.1 -> ratio 0.476, z = -0.0597
    # mean 3.1 × 5 = 15.5, sd sqrt(5) = 2.236 -> level ceil(15.37) = 16; 16 - 4 = 12 -> 1 pack
    d = Newsvendor().decide(view())
    assert d.terms["level"].tolist() == [16]
    assert d.units.tolist() == [12]
