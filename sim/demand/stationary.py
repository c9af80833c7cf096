"""Stationary daily demand: the same distribution every day, one tick per day.

Used by the small exact-DP case (``PerishableInventory-v0``): the solver reads
``daily_pmf`` and the simulator samples ``draw_day``, so both see exactly the
same distribution.

Days are drawn ``BLOCK_DAYS`` at a time from the generator keyed by (demand,
block) (``RandomStreams.for_block``): day ``d`` is row ``d % BLOCK_DAYS`` of block
``d // BLOCK_DAYS``, still a pure function of (seed, day) whatever happened
before, and a one-SKU day no longer pays for seeding a generator.
``draw_block`` is the one place that draws, for the simulator and for the
perishable env's array path alike.

* Poisson(mean).
* Gamma(mean, cv) rounded to the nearest integer and clipped to
  ``[0, max_demand]``: shape ``1/cv²``, scale ``mean·cv²``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.demand.base import check_out, store_units
from sim.enums import DemandDistribution, Stream
from sim.errors import ConfigError
from sim.rng import RandomStreams


@dataclass(frozen=True)
class StationaryDemandSpec:
    """One SKU's daily demand.

    Attributes:
        distribution: POISSON or GAMMA.
        mean: mean units per day (> 0).
        cv: coefficient of variation (GAMMA only, > 0).
        max_demand: clip for GAMMA; for POISSON only the solver's truncation
            (the tail beyond it is lumped there and must be negligible).
    """

    distribution: DemandDistribution = DemandDistribution.POISSON
    mean: float = 5.0
    cv: float = 0.5
    max_demand: int | None = None

    def __post_init__(self) -> None:
        if self.distribution not in (DemandDistribution.POISSON, DemandDistribution.GAMMA):
            raise ConfigError("demand.distribution", self.distribution.value, "poisson or gamma")
        if not (self.mean > 0 and math.isfinite(self.mean)):
            raise ConfigError("demand.mean", self.mean, "a finite number > 0")
        if self.distribution is DemandDistribution.GAMMA and not (
            self.cv > 0 and math.isfinite(self.cv)
        ):
            raise ConfigError("demand.cv", self.cv, "a finite number > 0")
        if self.max_demand is not None and self.max_demand < 1:
            raise ConfigError("demand.max_demand", self.max_demand, "an integer >= 1, or None")

    @classmethod
    def from_config(
        cls, value: StationaryDemandSpec | Mapping[str, Any] | None
    ) -> StationaryDemandSpec:
        """From a spec, a mapping of its fields (``distribution`` by name), or None (the
        default Gamma(4, 0.5) clipped at 16).

        Raises:
            ConfigError: naming the field and what is allowed.
        """
        if value is None:
            return cls(DemandDistribution.GAMMA, mean=4.0, cv=0.5, max_demand=16)
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(
                "demand", value, "a StationaryDemandSpec, a mapping with its fields, or None"
            )
        fields = dict(value)
        dist = fields.pop("distribution", "poisson")
        kinds = {"poisson": DemandDistribution.POISSON, "gamma": DemandDistribution.GAMMA}
        if isinstance(dist, str):
            if dist.lower() not in kinds:
                raise ConfigError("demand.distribution", dist, "poisson or gamma")
            dist = kinds[dist.lower()]
        unknown = sorted(set(fields) - {"mean", "cv", "max_demand"})
        if unknown:
            raise ConfigError(f"demand.{unknown[0]}", fields[unknown[0]], "mean, cv, max_demand")
        return cls(dist, **fields)

    @property
    def support_max(self) -> int:
        """Largest demand value the pmf lists (the clip, or a Poisson tail < 1e-12)."""
        if self.max_demand is not None:
            return int(self.max_demand)
        sd = (
            math.sqrt(self.mean)
            if self.distribution is DemandDistribution.POISSON
            else self.mean * self.cv
        )
        return math.ceil(self.mean + 12.0 * sd + 10)

    def daily_pmf(self) -> np.ndarray:
        """P(demand = d) for d = 0 .. support_max (the last entry holds the whole tail)."""
        from scipy import special, stats

        top = self.support_max
        d = np.arange(top + 1)
        if self.distribution is DemandDistribution.POISSON:
            pmf = stats.poisson.pmf(d, self.mean)
            pmf[-1] = stats.poisson.sf(top - 1, self.mean)
        else:
            shape = 1.0 / self.cv**2
            scale = self.mean * self.cv**2
            edges = np.concatenate(([0.0], d[:-1] + 0.5, [np.inf]))
            cdf = special.gammainc(shape, np.minimum(edges, 1e300) / scale)
            cdf[-1] = 1.0
            pmf = np.diff(cdf)
        return pmf / pmf.sum()

    def sample(self, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
        """Draw int64 demand of the given shape."""
        if self.distribution is DemandDistribution.POISSON:
            return rng.poisson(self.mean, size=size).astype(np.int64)
        shape = 1.0 / self.cv**2
        x = rng.gamma(shape, self.mean * self.cv**2, size=size)
        top = self.max_demand if self.max_demand is not None else np.iinfo(np.int64).max
        return np.clip(np.rint(x), 0, top).astype(np.int64)


BLOCK_DAYS = 64


def draw_block(
    spec: StationaryDemandSpec, streams: RandomStreams, block: int, shape: tuple[int, ...]
) -> np.ndarray:
    """Days ``block·BLOCK_DAYS .. (block+1)·BLOCK_DAYS − 1`` of demand, ``[BLOCK_DAYS, *shape]``."""
    return spec.sample(streams.for_block(Stream.DEMAND, block), (BLOCK_DAYS, *shape))


class StationaryDemand:
    """A ``DemandSource`` with i.i.d. daily demand per store-SKU, in one tick.

    Args:
        spec: the daily distribution (same for every store-SKU).
        n_stores, n_skus: shape of the network.
        tick_hour: the hour of the day the demand arrives (tick of 1 hour).
    """

    def __init__(
        self, spec: StationaryDemandSpec, n_stores: int, n_skus: int, tick_hour: float = 12.0
    ) -> None:
        self.spec = spec
        self._shape = (n_stores, n_skus)
        self._ticks = np.array([float(tick_hour)])
        self.start_weekday = 0
        self._block_key: tuple[int, int] | None = None  # (episode seed, block) of _block
        self._block = np.empty((0,))

    @property
    def tick_start_hours(self) -> np.ndarray:
        return self._ticks

    @property
    def tick_length_hours(self) -> float:
        return 1.0

    def draw_day(
        self,
        day: int,
        streams: RandomStreams,
        price_multiplier: np.ndarray,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        block, row = divmod(int(day), BLOCK_DAYS)
        if self._block_key != (streams.seed, block):
            self._block = draw_block(self.spec, streams, block, self._shape)
            self._block_key = (streams.seed, block)
        units = self._block[row][:, None, :]
        return units if out is None else store_units(check_out(out, units.shape), units)

    def expected_daily_units(
        self, day: int, streams: RandomStreams, price_multiplier: np.ndarray
    ) -> np.ndarray:
        pmf = self.spec.daily_pmf() if self.spec.distribution is DemandDistribution.GAMMA else None
        mean = float(pmf @ np.arange(len(pmf))) if pmf is not None else self.spec.mean
        return np.full(self._shape, mean)
