"""Facings-and-days-of-stock replenishment, as chains run it.

``target = max(facings, forecast × (review + lead time)) + safety``;
``order = target − on hand − in transit`` (damaged stock is already excluded
from on hand), rounded up to case packs unless packs may be broken; blocked
SKUs get nothing; promoted SKUs are either excluded (left to the promotion
team) or handled with their promotional forecast; min/max caps per order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from policies.heuristics.common import check_non_negative, finish
from policies.view import OrderDecision
from sim.store_sku import StoreSkuView


@dataclass(frozen=True)
class FacingsDays:
    """Args:
    safety_days: safety stock in days of forecast.
    exclude_promoted: leave SKUs on promotion to the promotion team (order 0).
    min_order_units, max_order_units: caps on one order (units).
    """

    safety_days: float = 1.0
    exclude_promoted: bool = False
    min_order_units: float = 0.0
    max_order_units: float | None = None

    def __post_init__(self) -> None:
        check_non_negative(
            "FacingsDays",
            safety_days=self.safety_days,
            min_order_units=self.min_order_units,
            max_order_units=self.max_order_units,
        )

    def decide(self, view: StoreSkuView) -> OrderDecision:
        days = view.review_days + view.lead_time_days
        cover = view.forecast_daily * days
        safety = np.ceil(view.forecast_daily * self.safety_days)
        target = np.ceil(np.maximum(view.facings_units, cover)) + safety
        raw = target - view.on_hand - view.on_order
        if self.exclude_promoted and view.on_promotion is not None:
            raw = np.where(view.on_promotion, 0.0, raw)
        units = finish(
            raw, view, max_order_units=self.max_order_units, min_order_units=self.min_order_units
        )
        return OrderDecision(
            units,
            {
                "forecast": view.forecast_daily,
                "days": days,
                "facings": view.facings_units,
                "safety": safety,
            },
            "order {units} = {packs} packs:"
            " max(facings {facings}, forecast {forecast}/day × {days} days)"
            " + safety {safety} − on hand {on_hand} − in transit {on_order}",
        )
