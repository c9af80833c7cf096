"""ABC classification by revenue and by movement, driving service-level targets.

Items are ranked by their share of the total (revenue, or units moved);
class A holds the items making up the first ``a_share`` (80 %) of the total,
B the next ``b_share`` (15 %), C the rest. Each class gets a target service
level (A 0.98, B 0.95, C 0.90 by default) that a reorder-point or base-stock
rule turns into a safety factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy.special import ndtri

from sim.errors import ConfigError


class AbcClass(IntEnum):
    A = 0
    B = 1
    C = 2


@dataclass(frozen=True)
class AbcPolicy:
    a_share: float = 0.80
    b_share: float = 0.15
    service_levels: tuple[float, float, float] = (0.98, 0.95, 0.90)

    def __post_init__(self) -> None:
        if not (0 < self.a_share < 1 and 0 <= self.b_share and self.a_share + self.b_share <= 1):
            raise ConfigError(
                "abc.a_share/b_share", (self.a_share, self.b_share), "shares with a + b <= 1"
            )
        if not all(0.5 <= s < 1 for s in self.service_levels):
            raise ConfigError("abc.service_levels", self.service_levels, "three levels in [0.5, 1)")

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
