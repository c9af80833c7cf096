"""The interface between demand models and the simulation engine.

The engine asks a demand source for one day at a time. A day's demand is an
integer array ``[stores, ticks, skus]``: tick ``k`` covers the hours
``[tick_start_hours[k], tick_start_hours[k] + tick_length_hours)`` of that day,
and its units arrive at the tick's end. Stores that are closed during a tick
get zero demand in it. Draws must come only from the generator the source is
keyed by that day (``streams.for_day(Stream.DEMAND, day)``, and
``Stream.WEATHER`` for temperature) so that demand is a pure function of
(seed, day, prices): common random numbers, whatever the policy does.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from sim.errors import ConfigError
from sim.rng import RandomStreams


@runtime_checkable
class DemandSource(Protocol):
    """What the engine needs from a demand model."""

    @property
    def tick_start_hours(self) -> np.ndarray:
        """[ticks] float64: start of each demand tick, hours after midnight."""
        ...

    @property
    def tick_length_hours(self) -> float: ...

    def draw_day(
        self,
        day: int,
        streams: RandomStreams,
        price_multiplier: np.ndarray,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Units demanded on ``day``.

        Args:
            day: day index from the start of the simulation (0-based).
            streams: the episode's random streams; use only day-keyed generators.
            price_multiplier: [stores, skus] current price / regular price (1.0 =
                no markdown), for price elasticity.
            out: an integer array [stores, ticks, skus] to write the units into
                (the engine passes its own int32 day array, so a day's demand is
                never held twice); a count that does not fit its dtype is
                refused (``store_units``), never wrapped.

        Returns:
            ``out`` when given, else a new int64 array [stores, ticks, skus];
            non-negative either way. Without ``out`` the array may be a buffer
            the source reuses on its next call.
        """
        ...

    def expected_daily_units(
        self, day: int, streams: RandomStreams, price_multiplier: np.ndarray
    ) -> np.ndarray:
        """[stores, skus] float64: the true mean demand of ``day`` given that day's
        realised weather (what an oracle forecaster knows)."""
        ...


class ScheduledDemand:
    """Demand given in advance, tick by tick (tests, golden traces, replays).

    Args:
        units: int array [days, stores, ticks, skus]. Days past the end repeat
            the schedule cyclically.
        tick_start_hours: [ticks] start hour of each tick.
        tick_length_hours: length of a tick in hours.
    """

    def __init__(
        self, units: np.ndarray, tick_start_hours: np.ndarray, tick_length_hours: float = 1.0
    ) -> None:
        units = np.asarray(units)
        if units.ndim != 4:
            raise ValueError(
                f"units: {units.ndim} dimensions; allowed: 4 [days, stores, ticks, skus]"
            )
        if not np.issubdtype(units.dtype, np.integer) or (units < 0).any():
            raise ValueError("units: allowed: non-negative integers")
        ticks = np.asarray(tick_start_hours, dtype=np.float64)
        if ticks.shape != (units.shape[2],):
            raise ValueError(f"tick_start_hours: shape {ticks.shape}; allowed: ({units.shape[2]},)")
        self._units = units.astype(np.int64)
        self._ticks = ticks
        self._tick_length = float(tick_length_hours)

    @property
    def tick_start_hours(self) -> np.ndarray:
        return self._ticks

    @property
    def tick_length_hours(self) -> float:
        return self._tick_length

    def draw_day(
        self,
        day: int,
        streams: RandomStreams,
        price_multiplier: np.ndarray,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        units = self._units[day % self._units.shape[0]]
        return units.copy() if out is None else store_units(check_out(out, units.shape), units)

    def expected_daily_units(
        self, day: int, streams: RandomStreams, price_multiplier: np.ndarray
    ) -> np.ndarray:
        return self._units[day % self._units.shape[0]].sum(axis=1).astype(np.float64)


def check_out(out: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``out`` if it can hold a day of units of ``shape``; else a clear error."""
    if out.shape != tuple(shape) or not np.issubdtype(out.dtype, np.integer):
        raise ValueError(
            f"out: {out.dtype} array of shape {out.shape}; allowed: an integer array of shape "
            f"{tuple(shape)} [stores, ticks, skus]"
        )
    return out


def store_units(out: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Copy drawn ``units`` into ``out`` (a narrower integer array), refusing any
    count its dtype cannot hold rather than letting it wrap."""
    top = np.iinfo(out.dtype).max
    if units.size and units.dtype.itemsize > out.dtype.itemsize and int(units.max()) > top:
        raise ConfigError(
            "demand",
            int(units.max()),
            f"at most {top} units per store-SKU and tick (the simulator's {out.dtype} day "
            "array); lower the demand rates",
        )
    np.copyto(out, units, casting="unsafe")
    return out
