"""ABC classification by revenue and by movement, driving service-level targets.

Items are ranked by their share of the total (revenue, or units moved);
class A holds the items making up the first ``a_share`` (80 %) of the total,
B the next ``b_share`` (15 %), C the rest. Each class gets a target service
level (A 0.98, B 0.95, C 0.90 by default) that a reorder-point or base-stock
rule turns into a safety factor (``BaseStock(abc=...)``, ``ReorderPoint(abc=...)``),
and a turnover-day standard (45 / 90 / 180 days of cover) for slow-mover detection.

In a rule, the items are a store's SKUs (each store has its own A items), valued at
the decision's forecast: ``basis`` ``revenue`` (forecast × price), ``movement``
(forecast units) or ``both`` (the better class of the two: an item that is A by
either keeps A's service).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
from scipy.special import ndtri

from sim.errors import ConfigError
from sim.store_sku import StoreSkuView


class AbcClass(IntEnum):
    A = 0
    B = 1
    C = 2


BASES = ("revenue", "movement", "both")


@dataclass(frozen=True)
class AbcPolicy:
    """Args:
    a_share, b_share: shares of the total that classes A and B hold.
    service_levels: target service level of A, B and C.
    basis: what ranks a store's SKUs: ``revenue``, ``movement`` or ``both`` (see above).
    turnover_days: days of cover above which an A, B or C item is a slow mover.
    """

    a_share: float = 0.80
    b_share: float = 0.15
    service_levels: tuple[float, float, float] = (0.98, 0.95, 0.90)
    basis: str = "revenue"
    turnover_days: tuple[float, float, float] = (45.0, 90.0, 180.0)

    def __post_init__(self) -> None:
        if not (0 < self.a_share < 1 and 0 <= self.b_share and self.a_share + self.b_share <= 1):
            raise ConfigError(
                "abc.a_share/b_share", (self.a_share, self.b_share), "shares with a + b <= 1"
            )
        levels = tuple(self.service_levels)
        if len(levels) != 3 or not all(0.5 <= s < 1 for s in levels):
            raise ConfigError("abc.service_levels", self.service_levels, "three levels in [0.5, 1)")
        object.__setattr__(self, "service_levels", levels)
        if self.basis not in BASES:
            raise ConfigError("abc.basis", self.basis, f"one of {list(BASES)}")
        days = tuple(self.turnover_days)
        if len(days) != 3 or not all(0 < d < 10_000 for d in days):
            raise ConfigError(
                "abc.turnover_days", self.turnover_days, "three day counts in (0, 10000)"
            )
        object.__setattr__(self, "turnover_days", days)

    def classify_within(self, value: np.ndarray, group: np.ndarray | None) -> np.ndarray:
        """[n] classes, each group (a store's rows) ranked on its own (None: one group).
        One ``classify`` per store, vectorised over its SKUs."""
        value = np.asarray(value, dtype=np.float64)
        if group is None:
            return self.classify(value)
        out = np.empty(len(value), dtype=np.int8)
        order = np.argsort(group, kind="stable")
        bounds = np.flatnonzero(np.diff(group[order])) + 1
        for rows in np.split(order, bounds):
            out[rows] = self.classify(value[rows])
        return out

    def row_classes(self, view: StoreSkuView) -> np.ndarray:
        """[n] the class of each row of a rules' view, within its store, by ``basis``."""
        return self.classes(view.forecast_daily, view.price, view.store_index)

    def classes(
        self, forecast_daily: np.ndarray, price: np.ndarray | None, store: np.ndarray | None
    ) -> np.ndarray:
        """[n] each row's class within its store (None: one store), by ``basis``, from its
        forecast units a day and its price (needed unless ``basis`` is ``movement``)."""
        units = np.maximum(np.asarray(forecast_daily, dtype=np.float64), 0.0)
        by_movement = by_revenue = None
        if self.basis in ("movement", "both"):
            by_movement = self.classify_within(units, store)
        if self.basis in ("revenue", "both"):
            if price is None:
                raise ValueError("abc basis revenue: no prices given")
            by_revenue = self.classify_within(units * price, store)
        if by_movement is None:
            return by_revenue
        return by_movement if by_revenue is None else np.minimum(by_movement, by_revenue)

    def over_turnover_standard(
        self, on_hand: np.ndarray, forecast_daily: np.ndarray, classes: np.ndarray
    ) -> np.ndarray:
        """[n] rows whose stock covers more days of forecast demand than their class's
        turnover standard allows (stock with no forecast demand is over any standard)."""
        on_hand = np.asarray(on_hand, dtype=np.float64)
        forecast = np.asarray(forecast_daily, dtype=np.float64)
        limit = self.turnover_limit_days(classes)
        return (on_hand > 0) & (on_hand > limit * np.maximum(forecast, 0.0))

    def turnover_limit_days(self, classes: np.ndarray) -> np.ndarray:
        """[n] days of cover above which each row is a slow mover (its class's standard)."""
        return np.asarray(self.turnover_days)[classes]

    def classify(self, value: np.ndarray) -> np.ndarray:
        """[n] AbcClass codes (int8) from each item's revenue or units over a period."""
        value = np.asarray(value, dtype=np.float64)
        total = value.sum()
        if total <= 0:
            return np.full(len(value), AbcClass.C, dtype=np.int8)
        order = np.argsort(-value, kind="stable")
        # share ranked ahead of each item; the tolerance keeps 0.8 + 0.15 from passing 0.95
        before = (np.cumsum(value[order]) - value[order]) / total + 1e-9
        ranked = np.where(
            before < self.a_share,
            AbcClass.A,
            np.where(before < self.a_share + self.b_share, AbcClass.B, AbcClass.C),
        )
        out = np.empty(len(value), dtype=np.int8)
        out[order] = ranked
        return out

    def service_level(self, classes: np.ndarray) -> np.ndarray:
        return np.asarray(self.service_levels)[classes]

    def safety_factor(self, classes: np.ndarray) -> np.ndarray:
        """z per item: the normal quantile of its class's service level."""
        return ndtri(self.service_level(classes))


ABC_TARGET = "policies.abc_classification.AbcPolicy"


def as_abc_policy(value: Any, field: str = "abc") -> AbcPolicy | None:
    """``value`` as an ``AbcPolicy``: None, one already, or its config mapping (a served
    manifest's parameters; ``_target_`` may only name ``AbcPolicy``, nothing is imported
    by name)."""
    if value is None or isinstance(value, AbcPolicy):
        return value
    if isinstance(value, Mapping):
        params = dict(value)
        target = params.pop("_target_", ABC_TARGET)
        if target != ABC_TARGET:
            raise ConfigError(f"{field}._target_", target, ABC_TARGET)
        allowed = list(AbcPolicy.__dataclass_fields__)
        for name in params:
            if name not in allowed:
                raise ConfigError(f"{field}.{name}", params[name], f"one of the keys {allowed}")
        return AbcPolicy(**params)
    raise ConfigError(field, value, "None, an AbcPolicy or its parameters as a mapping")
