"""Reorder point with safety stock, and the shop-floor reorder rule.

``ReorderPoint``: safety stock from demand and lead-time variability at a
target service level, ``SS = z · sqrt(L · σ_d² + d² · σ_L²)``; reorder point
``ROP = d · L + SS``; when the position is at or below it, order up to
``ROP + d · R`` (one review period of demand on top).

``ShopReorderRule``, the rule used in shops: reorder level = daily sales ×
(longest replenishment cycle + fluctuation coefficient); order = reorder level
− available stock (on hand + on order) when positive.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from policies.abc_classification import AbcPolicy, as_abc_policy
from policies.heuristics.common import check_non_negative, finish
from policies.view import OrderDecision
from sim.errors import ConfigError
from sim.store_sku import StoreSkuView


@dataclass(frozen=True)
class ReorderPoint:
    """Args:
    service_level: target probability of no stock-out over a lead time (0.5..0.9999).
    abc: when given, each row's service level is its ABC class's (classes within its
        store) instead of ``service_level``.
    """

    service_level: float = 0.95
    abc: AbcPolicy | None = None

    def __post_init__(self) -> None:
        if not 0.5 <= self.service_level < 1.0:
            raise ConfigError(
                "ReorderPoint.service_level", self.service_level, "a number in [0.5, 1)"
            )
        object.__setattr__(self, "abc", as_abc_policy(self.abc, "ReorderPoint.abc"))

    def decide(self, view: StoreSkuView) -> OrderDecision:
        if self.abc is None:
            z = NormalDist().inv_cdf(self.service_level)
        else:
            z = self.abc.safety_factor(self.abc.row_classes(view))
        d, sd = view.forecast_daily, view.forecast_sd_daily
        lead = view.lead_time_days
        sd_lead = view.lead_time_sd_days if view.lead_time_sd_days is not None else np.zeros(view.n)
        safety = np.ceil(z * np.sqrt(lead * sd**2 + d**2 * sd_lead**2))
        rop = np.ceil(d * lead) + safety
        target = rop + np.ceil(d * view.review_days)
        units = finish(np.where(view.position <= rop, target - view.position, 0.0), view)
        return OrderDecision(
            units,
            {"forecast": d, "lead": lead, "safety": safety, "rop": rop, "target": target},
            "order {units} = {packs} packs: position {on_hand}+{on_order} <= reorder point {rop}"
            " (forecast {forecast}/day × {lead} days + safety {safety}), up to {target}",
        )


@dataclass(frozen=True)
class ShopReorderRule:
    """Args:
    longest_cycle_days: the longest replenishment cycle (order to shelf), days.
    fluctuation_days: the fluctuation coefficient, in days of sales.
    """

    longest_cycle_days: float = 2.0
    fluctuation_days: float = 1.0

    def __post_init__(self) -> None:
        check_non_negative(
            "ShopReorderRule",
            longest_cycle_days=self.longest_cycle_days,
            fluctuation_days=self.fluctuation_days,
        )

    def decide(self, view: StoreSkuView) -> OrderDecision:
        level = np.ceil(view.forecast_daily * (self.longest_cycle_days + self.fluctuation_days))
        units = finish(level - view.position, view)
        return OrderDecision(
            units,
            {"sales": view.forecast_daily, "level": level},
            "order {units} = {packs} packs: reorder level {level} (sales {sales}/day × "
            f"({self.longest_cycle_days:g} + {self.fluctuation_days:g}) days)"
            " − on hand {on_hand} − on order {on_order}",
        )
