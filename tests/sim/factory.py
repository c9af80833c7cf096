"""Tiny hand-built networks whose behaviour can be checked by hand."""

from __future__ import annotations

import numpy as np

from sim.demand.base import ScheduledDemand
from sim.enums import IssuingRule
from sim.spec import (
    CourierPoolSpec,
    DcSpec,
    NetworkSpec,
    SkuCatalog,
    StoreSkuSpec,
    StoreSpec,
    SupplierSpec,
)


def catalog(
    shelf_life_days=(3, 0),
    *,
    case_pack=None,
    break_pack=None,
    damage_rate=None,
    unit_cost=None,
    price=None,
) -> SkuCatalog:
    n = len(shelf_life_days)
    return SkuCatalog(
        ids=tuple(f"sku{i}" for i in range(n)),
        category=[2] * n,
        shelf_life_days=list(shelf_life_days),
        unit_cost=unit_cost or [1.0] * n,
        price=price or [2.0] * n,
        holding_cost_per_unit_day=[0.01] * n,
        disposal_cost_per_unit=[0.1] * n,
        case_pack=case_pack or [1] * n,
        break_pack=break_pack or [True] * n,
        temperature_sensitivity=[0.0] * n,
        damage_rate=damage_rate or [0.0] * n,
        supplier=[0] * n,
    )


def network(
    skus: SkuCatalog | None = None,
    *,
    n_stores: int = 2,
    initial_on_hand=None,
    initial_age_days=None,
    shelf_capacity=1000,
    dc_stock=0,
    issuing: IssuingRule = IssuingRule.FIFO,
    fresh_first_share: float = 0.0,
    dc: DcSpec | None = None,
    supplier: SupplierSpec | None = None,
    couriers: CourierPoolSpec | None = None,
    positions_km=None,
    restock_hours=(12.0,),
    blocked=None,
) -> NetworkSpec:
    skus = skus or catalog()
    n = skus.n
    shape = (n_stores, n)
    positions_km = positions_km or [(3.0 * i, 0.0) for i in range(n_stores)]
    stores = tuple(
        StoreSpec(
            store_id=f"S{i}",
            x_km=positions_km[i][0],
            y_km=positions_km[i][1],
            dc=0,
            open_hour=8.0,
            close_hour=20.0,
            restock_hours=restock_hours,
            issuing=issuing,
            fresh_first_share=fresh_first_share,
        )
        for i in range(n_stores)
    )
    dc = dc or DcSpec(dc_id="DC", transit_hours={i: 10.0 for i in range(n_stores)})
    return NetworkSpec(
        name="tiny",
        skus=skus,
        stores=stores,
        dcs=(dc,),
        suppliers=(supplier or SupplierSpec(supplier_id="SUP"),),
        couriers=couriers,
        store_sku=StoreSkuSpec(
            shelf_capacity_units=np.full(shape, shelf_capacity),
            facings_units=np.zeros(shape),
            blocked=np.zeros(shape, dtype=bool) if blocked is None else blocked,
            initial_on_hand=np.zeros(shape) if initial_on_hand is None else initial_on_hand,
            initial_age_days=np.zeros(shape) if initial_age_days is None else initial_age_days,
            recent_sales_units=np.zeros(shape),
        ),
        dc_initial_on_hand=np.full((1, n), dc_stock),
    )


def daily_demand(per_day: np.ndarray, *, tick_hour: float = 12.0) -> ScheduledDemand:
    """Demand with one tick per day at ``tick_hour``: ``per_day`` is [days, stores, skus]."""
    per_day = np.asarray(per_day, dtype=np.int64)
    return ScheduledDemand(per_day[:, :, None, :], np.array([tick_hour]), tick_length_hours=1.0)
