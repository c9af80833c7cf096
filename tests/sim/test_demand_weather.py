"""Weather: seasonal mean plus a stationary AR(1) anomaly, deterministic per seed."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.demand import WeatherModel, WeatherSpec
from sim.enums import Stream
from sim.errors import ConfigError
from sim.rng import RandomStreams

Z_999 = 3.2905
START = dt.date(2026, 3, 2)


class CountingStreams(RandomStreams):
    """Counts the day-keyed generators handed out."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.calls = 0

    def for_day(self, name: Stream, day: int) -> np.random.Generator:
        self.calls += 1
        return super().for_day(name, day)


def test_seasonal_mean_peaks_on_the_warmest_day() -> None:
    model = WeatherModel(WeatherSpec(mean_c=10, amplitude_c=8, warmest_doy=200), START)
    warmest = (dt.date(2026, 1, 1) + dt.timedelta(days=199) - START).days
    assert model.seasonal_mean_c(warmest) == pytest.approx(18.0)
    assert model.seasonal_mean_c(warmest + 182) == pytest.approx(2.0, abs=0.01)
    # No anomaly: temperature is the seasonal mean whatever the seed.
    assert model.temperature_c(5, RandomStreams(1)) == model.seasonal_mean_c(5)


def test_anomaly_is_stationary_ar1() -> None:
    phi, sd = 0.7, 3.0
    model = WeatherModel(WeatherSpec(mean_c=0, phi=phi, sd_c=sd), START)
    streams = RandomStreams(9)
    n = 6000
    a = np.array([model.anomaly_c(d, streams) for d in range(n)])
    # The mean of an AR(1) has variance sd² (1 + phi) / ((1 − phi) n).
    assert abs(a.mean()) < Z_999 * sd * math.sqrt((1 + phi) / (1 - phi) / n)
    # Innovations a(d) − phi a(d−1) must be i.i.d. N(0, sd²(1 − phi²)).
    innovation = a[1:] - phi * a[:-1]
    var = sd**2 * (1 - phi**2)
    m = innovation.size
    assert abs(innovation.var() - var) < Z_999 * var * math.sqrt(2 / m)
    lag1 = np.corrcoef(innovation[1:], innovation[:-1])[0, 1]
    assert abs(lag1) < Z_999 / math.sqrt(m)
    # Day 0 starts in the stationary law: check across seeds.
    first = np.array([model.anomaly_c(0, RandomStreams(s)) for s in range(2000)])
    assert abs(first.var() - sd**2) < Z_999 * sd**2 * math.sqrt(2 / first.size)


def test_deterministic_per_seed_and_order_free() -> None:
    spec = WeatherSpec(mean_c=12, amplitude_c=5, phi=0.8, sd_c=2.5)
    forward = WeatherModel(spec, START)
    backward = WeatherModel(spec, START)
    days = range(60)
    a = [forward.temperature_c(d, RandomStreams(4)) for d in days]
    b = [backward.temperature_c(d, RandomStreams(4)) for d in reversed(days)][::-1]
    assert a == b
    c = [WeatherModel(spec, START).temperature_c(d, RandomStreams(5)) for d in days]
    assert a != c


def test_path_is_cached_so_each_day_is_drawn_once() -> None:
    model = WeatherModel(WeatherSpec(phi=0.5, sd_c=1.0), START)
    streams = CountingStreams(0)
    model.temperature_c(499, streams)
    assert streams.calls == 500
    for d in range(500):
        model.temperature_c(d, streams)
    model.temperature_c(500, streams)
    assert streams.calls == 501


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"phi": 1.0}, "phi"),
        ({"sd_c": -1.0}, "sd_c"),
        ({"warmest_doy": 400}, "warmest_doy"),
        ({"amplitude_c": float("nan")}, "amplitude_c"),
    ],
)
def test_bad_weather_parameters(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        WeatherSpec(**kwargs)
    assert err.value.field == field
