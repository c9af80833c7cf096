"""The simulator instance behind ``PerishableInventory-v0``.

One store ordering from a make-to-order vendor (an unlimited DC whose units
arrive fresh) with a lead time of ``L`` whole days. Hours of a period ``t``:

* 01:00 decision (the env's step starts here; ``DECISION_HOUR``);
* 01:30 the vendor's order cut-off, 02:00 departure; transit ``24 L − 1`` hours,
  so the order arrives at 01:00 of period ``t + L``, right after that period's
  decision (with ``L = 0``: transit 0.5 h, it arrives at 02:30 of period ``t``);
* 12:00 the period's demand (one tick);
* 24:00 the day boundary: expiry, holding on what remains, ageing.
"""

from __future__ import annotations

import numpy as np

from sim.demand.stationary import StationaryDemand, StationaryDemandSpec
from sim.enums import Category, IssuingRule
from sim.spec import DcSpec, NetworkSpec, SkuCatalog, StoreSkuSpec, StoreSpec, SupplierSpec

DECISION_HOUR = 1.0
DEMAND_HOUR = 12.0
SHELF_CAPACITY_UNITS = 10**9  # no shelf constraint in this textbook problem


def build_network(
    life_days: int, lead_time: int, issuing: IssuingRule, holding_cost: float
) -> NetworkSpec:
    """The one-store network with the timing above."""
    transit_hours = 24.0 * lead_time - DECISION_HOUR if lead_time >= 1 else 0.5
    skus = SkuCatalog(
        ids=("item",),
        category=[int(Category.DAIRY if life_days else Category.AMBIENT)],
        shelf_life_days=[life_days],
        unit_cost=[0.0],
        price=[0.0],
        holding_cost_per_unit_day=[holding_cost],
        disposal_cost_per_unit=[0.0],
        case_pack=[1],
        break_pack=[True],
        temperature_sensitivity=[0.0],
        damage_rate=[0.0],
        supplier=[0],
    )
    store = StoreSpec(
        store_id="store", x_km=0.0, y_km=0.0, dc=0, open_hour=0.0, close_hour=24.0,
        restock_hours=(), issuing=issuing,
    )  # fmt: skip
    vendor = DcSpec(
        dc_id="vendor", order_cutoff_hour=DECISION_HOUR + 0.5, departure_hour=DECISION_HOUR + 1.0,
        transit_hours={0: transit_hours}, unlimited_stock=True,
    )  # fmt: skip
    one = np.ones((1, 1))
    return NetworkSpec(
        name="perishable_inventory",
        skus=skus,
        stores=(store,),
        dcs=(vendor,),
        suppliers=(SupplierSpec(supplier_id="vendor_supplier"),),
        couriers=None,
        store_sku=StoreSkuSpec(
            shelf_capacity_units=one * SHELF_CAPACITY_UNITS,
            facings_units=0 * one,
            blocked=np.zeros((1, 1), dtype=bool),
            initial_on_hand=0 * one,
            initial_age_days=0 * one,
            recent_sales_units=0 * one,
        ),
        dc_initial_on_hand=np.zeros((1, 1)),
    )


def build_demand(spec: StationaryDemandSpec) -> StationaryDemand:
    return StationaryDemand(spec, n_stores=1, n_skus=1, tick_hour=DEMAND_HOUR)
