"""Order-up-to (base stock), capped base stock and a perishable-aware base stock.

The base-stock level ``S`` is either a fixed number of units (``level_units``,
the single-SKU textbook policy) or set per store-SKU from the forecast:
``S = forecast × (lead time + review) × cover_factor + z × sd × sqrt(lead time + review)``.
Each period: ``order = max(0, S − (on hand + on order))``, rounded up to packs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from policies.abc_classification import AbcPolicy, as_abc_policy
from policies.heuristics.common import check_non_negative, demand_over, finish
from policies.view import OrderDecision
from sim.store_sku import StoreSkuView, expected_unsold


@dataclass(frozen=True)
class BaseStock:
    """Order up to ``S``.

    Args:
        level_units: a fixed ``S`` for every store-SKU; None sets it from the forecast.
        cover_factor: multiplies the mean demand over lead time + review.
        z: safety factor on the demand's standard deviation over the same days.
        abc: when given, each row's safety factor is its ABC class's
            (``AbcPolicy.safety_factor``, classes within its store) instead of ``z``.
    """

    level_units: float | None = None
    cover_factor: float = 1.0
    z: float = 1.0
    abc: AbcPolicy | None = None

    def __post_init__(self) -> None:
        check_non_negative(
            type(self).__name__,
            level_units=self.level_units,
            cover_factor=self.cover_factor,
            z=self.z,
        )
        object.__setattr__(self, "abc", as_abc_policy(self.abc, f"{type(self).__name__}.abc"))

    def level(self, view: StoreSkuView) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if self.level_units is not None:
            s = np.full(view.n, float(self.level_units))
            return s, {"level": s}
        days = view.lead_time_days + view.review_days
        mean, sd = demand_over(view, days)
        cycle = mean * self.cover_factor
        z = self.z if self.abc is None else self.abc.safety_factor(self.abc.row_classes(view))
        safety = z * sd
        return np.ceil(cycle + safety), {
            "forecast": view.forecast_daily,
            "days": days,
            "safety": np.ceil(safety),
            "level": np.ceil(cycle + safety),
        }

    def decide(self, view: StoreSkuView) -> OrderDecision:
        s, terms = self.level(view)
        units = finish(s - view.position, view, max_order_units=self._cap())
        template = (
            "order {units} = {packs} packs: up to {level} (forecast {forecast}/day × {days} days"
            " + safety {safety}) − on hand {on_hand} − on order {on_order}"
            if self.level_units is None
            else "order {units}: up to {level} − on hand {on_hand} − on order {on_order}"
        )
        return OrderDecision(units, terms, template)

    def _cap(self) -> float | None:
        return None


@dataclass(frozen=True)
class CappedBaseStock(BaseStock):
    """Base stock whose single order never exceeds ``max_order_units``."""

    max_order_units: float = 10.0

    def _cap(self) -> float | None:
        return self.max_order_units


@dataclass(frozen=True)
class PerishableBaseStock(BaseStock):
    """Base stock that does not count stock which will expire before it can be sold.

    Under FIFO, units with ``r`` days of life left are sold before younger ones;
    of the stock expiring within ``r`` days, what exceeds the demand expected in
    those ``r`` days will be wasted. The position used is
    ``on hand + on order − max over r of (stock expiring within r − forecast × r)``.
    """

    def decide(self, view: StoreSkuView) -> OrderDecision:
        s, terms = self.level(view)
        doomed = expected_unsold(view.on_hand_by_life, view.forecast_daily)
        doomed = np.where(view.shelf_life_days > 0, np.floor(doomed), 0.0)
        units = finish(s - (view.position - doomed), view, max_order_units=self._cap())
        terms = {**terms, "doomed": doomed}
        return OrderDecision(
            units,
            terms,
            "order {units} = {packs} packs: up to {level} − on hand {on_hand} − on order {on_order}"
            " + {doomed} expected to expire unsold",
        )
