"""(s, S), periodic-review (R, s, S) and (s, Q) policies.

Levels are days of forecast demand (``s_days``, ``S_days``) so one parameter
set fits fast and slow movers, or fixed units (``s_units``, ``S_units``) for a
single SKU. Positions are on hand + on order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from policies.heuristics.common import check_non_negative, finish
from policies.view import OrderDecision
from sim.errors import ConfigError
from sim.store_sku import StoreSkuView


def _levels(view: StoreSkuView, days: float | None, units: float | None) -> np.ndarray:
    if units is not None:
        return np.full(view.n, float(units))
    return np.ceil(view.forecast_daily * float(days))


@dataclass(frozen=True)
class SS:
    """(s, S): when the position falls to ``s`` or below, order up to ``S``."""

    s_days: float = 2.0
    S_days: float = 4.0
    s_units: float | None = None
    S_units: float | None = None

    def __post_init__(self) -> None:
        check_non_negative(
            type(self).__name__,
            s_days=self.s_days,
            S_days=self.S_days,
            s_units=self.s_units,
            S_units=self.S_units,
        )
        low = self.s_units if self.s_units is not None else self.s_days
        high = self.S_units if self.S_units is not None else self.S_days
        if (self.s_units is None) != (self.S_units is None) or high < low:
            raise ConfigError(
                type(self).__name__, (low, high), "s <= S, both in days or both in units"
            )

    def decide(self, view: StoreSkuView) -> OrderDecision:
        s = _levels(view, self.s_days, self.s_units)
        big_s = _levels(view, self.S_days, self.S_units)
        trigger = view.position <= s
        units = finish(np.where(trigger, big_s - view.position, 0.0), view)
        return OrderDecision(
            units,
            {"s": s, "S": big_s},
            "order {units}: position {on_hand}+{on_order} vs reorder level {s}, up to {S}",
        )


@dataclass(frozen=True)
class RSS(SS):
    """(R, s, S): (s, S) reviewed only every ``review_every_days`` days (day % R == offset)."""

    review_every_days: int = 2
    review_offset_days: int = 0

    def decide(self, view: StoreSkuView) -> OrderDecision:
        if self.review_every_days < 1:
            raise ConfigError("RSS.review_every_days", self.review_every_days, "an integer >= 1")
        decision = super().decide(view)
        if (view.day - self.review_offset_days) % self.review_every_days != 0:
            return OrderDecision(
                np.zeros(view.n, dtype=np.int64), decision.terms, "no review today"
            )
        return decision


@dataclass(frozen=True)
class SQ:
    """(s, Q): when the position falls to ``s`` or below, order a fixed ``Q`` (in packs)."""

    s_days: float = 2.0
    q_packs: int = 1
    s_units: float | None = None

    def __post_init__(self) -> None:
        check_non_negative(type(self).__name__, s_days=self.s_days, s_units=self.s_units)
        if self.q_packs < 1:
            raise ConfigError("SQ.q_packs", self.q_packs, "an integer >= 1")

    def decide(self, view: StoreSkuView) -> OrderDecision:
        s = _levels(view, self.s_days, self.s_units)
        q = view.pack_units * self.q_packs
        units = finish(np.where(view.position <= s, q, 0), view)
        return OrderDecision(
            units,
            {"s": s, "Q": q},
            "order {units}: position {on_hand}+{on_order} vs reorder level {s}, Q = {Q}",
        )
