"""Newsvendor (critical fractile) for short-life items.

Underage cost ``cu`` = margin lost per unit short (price − unit cost, plus an
optional goodwill penalty); overage cost ``co`` = unit cost + waste cost −
salvage (a unit bought and not sold before it expires). The order-up-to level
is the ``cu / (cu + co)`` quantile of demand over lead time + review, from a
normal approximation (mean, sd of the forecast) floored at zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from policies.heuristics.common import check_non_negative, demand_over, finish
from policies.view import OrderDecision
from sim.store_sku import StoreSkuView


@dataclass(frozen=True)
class Newsvendor:
    """Args:
    goodwill_per_unit: extra cost of a lost sale beyond the margin.
    salvage_per_unit: what an unsold unit still recovers.
    """

    goodwill_per_unit: float = 0.0
    salvage_per_unit: float = 0.0

    def __post_init__(self) -> None:
        check_non_negative(
            "Newsvendor",
            goodwill_per_unit=self.goodwill_per_unit,
            salvage_per_unit=self.salvage_per_unit,
        )

    def decide(self, view: StoreSkuView) -> OrderDecision:
        cu = np.maximum(view.price - view.unit_cost, 0.0) + self.goodwill_per_unit
        co = np.maximum(view.unit_cost + view.waste_cost_per_unit - self.salvage_per_unit, 1e-9)
        ratio = np.clip(cu / (cu + co), 1e-4, 1 - 1e-4)
        z_rows = ndtri(ratio)  # inverse standard normal CDF, vectorised
        mean, sd = demand_over(view, view.lead_time_days + view.review_days)
        level = np.ceil(np.maximum(mean + z_rows * sd, 0.0))
        units = finish(level - view.position, view)
        return OrderDecision(
            units,
            {"ratio": ratio, "level": level},
            "order {units} = {packs} packs: up to {level} (critical fractile {ratio})"
            " − on hand {on_hand} − on order {on_order}",
        )
