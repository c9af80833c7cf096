"""Daily temperature: a seasonal sinusoid plus an AR(1) anomaly.

The anomaly's innovation for day ``d`` comes from
``streams.for_day(Stream.WEATHER, d)``, so the path is a pure function of the
episode seed. Day ``d`` needs days ``0..d-1`` (it is autoregressive), so the
path is cached per seed and extended on demand: asking for days in any order
costs O(1) amortised per day.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import OrderedDict

import numpy as np

from sim.demand.spec import WeatherSpec
from sim.enums import Stream
from sim.rng import RandomStreams

DAYS_PER_YEAR = 365.0
_SEEDS_CACHED = 8  # a few episodes' paths; older ones are recomputed if asked again


def day_of_year(start_date: dt.date, day: int) -> int:
    """Day of the year (1..366) of simulation day ``day``."""
    return (start_date + dt.timedelta(days=int(day))).timetuple().tm_yday


def annual_cycle(doy: float, peak_doy: float) -> float:
    """cos(2π(doy − peak)/365): 1 at the peak, −1 half a year away."""
    return math.cos(2.0 * math.pi * (doy - peak_doy) / DAYS_PER_YEAR)


class WeatherModel:
    """Temperature of each simulated day.

    Args:
        spec: the climate parameters.
        start_date: calendar date of day 0.
    """

    def __init__(self, spec: WeatherSpec, start_date: dt.date) -> None:
        self.spec = spec
        self.start_date = start_date
        self._innovation_sd_c = spec.sd_c * math.sqrt(1.0 - spec.phi**2)
        self._paths: OrderedDict[int, np.ndarray] = OrderedDict()  # seed -> anomalies [days]
        self._lengths: dict[int, int] = {}

    def seasonal_mean_c(self, day: int) -> float:
        """The climatological mean of ``day`` (no anomaly), °C."""
        spec = self.spec
        return spec.mean_c + spec.amplitude_c * annual_cycle(
            day_of_year(self.start_date, day), spec.warmest_doy
        )

    def anomaly_c(self, day: int, streams: RandomStreams) -> float:
        """The AR(1) anomaly of ``day``, °C."""
        if day < 0:
            raise ValueError(f"day: got {day}; allowed: a day index >= 0")
        if self.spec.sd_c == 0.0:
            return 0.0
        path = self._extend(streams, int(day))
        return float(path[day])

    def temperature_c(self, day: int, streams: RandomStreams) -> float:
        """The realised temperature of ``day``, °C."""
        return self.seasonal_mean_c(day) + self.anomaly_c(day, streams)

    def _extend(self, streams: RandomStreams, day: int) -> np.ndarray:
        seed = streams.seed
        path = self._paths.get(seed)
        length = self._lengths.get(seed, 0)
        if path is not None:
            self._paths.move_to_end(seed)
            if day < length:
                return path
        if path is None or day >= path.shape[0]:
            # Grow geometrically so a long episode costs O(1) amortised per day.
            grown = np.empty(max(64, 2 * (day + 1)))
            if path is not None:
                grown[:length] = path[:length]
            path = grown
        phi, spec = self.spec.phi, self.spec
        for d in range(length, day + 1):
            z = float(streams.for_day(Stream.WEATHER, d).standard_normal())
            if d == 0:
                path[0] = spec.sd_c * z  # start in the stationary law
            else:
                path[d] = phi * path[d - 1] + self._innovation_sd_c * z
        self._paths[seed] = path
        self._lengths[seed] = day + 1
        while len(self._paths) > _SEEDS_CACHED:
            old, _ = self._paths.popitem(last=False)
            self._lengths.pop(old, None)
        return path
