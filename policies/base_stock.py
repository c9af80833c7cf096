"""Order-up-to (base stock) replenishment for stores, on simulator snapshots.

Each day, for every store-SKU:

    target   = ceil(daily demand forecast × cover_days + safety_units)
    position = on hand + on order (queued at the DC or on a truck)
    order    = max(0, target − position)

The forecast is the simulator's true mean demand of the day (the oracle) or,
with ``forecast="recent_sales"``, yesterday's demand. The simulator rounds
orders up to case packs and refuses blocked SKUs (both reported in its receipt).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from sim.engine import Simulation
from sim.rules import order_up_to


class ForecastSource(Enum):
    ORACLE = "oracle"  # the demand model's true mean of the day
    RECENT_SALES = "recent_sales"  # yesterday's demand (served + lost)


@dataclass(frozen=True)
class OrderUpTo:
    """Order up to ``cover_days`` of forecast demand plus ``safety_units``.

    Args:
        cover_days: days of demand the position should cover (review period +
            lead time, typically).
        safety_units: extra units on top of the cover, per store-SKU.
        forecast: where the daily forecast comes from.
        cap_cover_at_shelf_life: for perishables, cover at most their shelf life
            in days (ordering more than can be sold before expiry is pure waste).
    """

    cover_days: float = 3.0
    safety_units: float = 1.0
    forecast: ForecastSource = ForecastSource.ORACLE
    cap_cover_at_shelf_life: bool = True

    def __post_init__(self) -> None:
        if self.cover_days < 0 or self.safety_units < 0:
            raise ValueError(
                f"OrderUpTo: cover_days={self.cover_days}, safety_units={self.safety_units};"
                " allowed: both >= 0"
            )

    def order_quantities(self, sim: Simulation) -> np.ndarray:
        """[stores, skus] units to order now."""
        snap = sim.snapshot()
        if self.forecast is ForecastSource.ORACLE:
            daily = sim.expected_daily_units()
        else:
            daily = snap.demand_yesterday.astype(np.float64)
        return order_up_to(
            snap.store_on_hand,
            snap.store_on_order,
            daily,
            self.cover_days,
            self.safety_units,
            sim.spec.skus.shelf_life_days,
            sim.spec.store_sku.blocked,
            cap_cover_at_shelf_life=self.cap_cover_at_shelf_life,
        )


def run_order_up_to(
    sim: Simulation, policy: OrderUpTo, days: int, decision_hour: float = 9.0
) -> None:
    """Drive ``sim`` for ``days`` days, ordering once a day at ``decision_hour``.

    Starts with the first day whose decision time is not in the past and stops
    at the midnight after the last decision day (its day boundary still pending).
    """
    first_day = math.ceil((sim.now_hours - decision_hour) / 24.0)
    for k in range(days):
        sim.run_until(24.0 * (first_day + k) + decision_hour)
        sim.submit_store_orders(policy.order_quantities(sim))
    sim.run_until(24.0 * (first_day + days))
