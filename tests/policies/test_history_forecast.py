"""A forecaster in the decision path: the smoothed forecast until the history is long
enough, then the forecaster's on the simulator's own demand history, and its accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from policies.forecast import HistoryForecast, MovingAverage
from policies.heuristics import BaseStock
from policies.runner import run_rule
from policies.tuning import SmoothedDemand
from sim.engine import Simulation
from sim.errors import ConfigError
from sim.scenario import build_demand_source, load_scenario


def test_the_forecaster_takes_over_once_the_history_is_long_enough():
    scenario = load_scenario("city_fresh")
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=3)
    shape = (sim.spec.n_stores, sim.spec.n_skus)
    forecast = HistoryForecast(MovingAverage(window=2), SmoothedDemand(), min_days=2, window=5)
    fallback = SmoothedDemand()  # a twin of the one inside, fed the same days
    demand_rows, seen, smoothed = [], [], []
    for day in range(5):
        sim.run_until(24.0 * day + 9.0)
        smoothed.append(fallback(sim).copy())
        if day:
            demand_rows.append(sim.snapshot().demand_yesterday.astype(float).reshape(-1))
        today = forecast(sim)
        assert today.shape == shape and forecast(sim) is today  # once a day
        seen.append(today)
        run_rule(sim, BaseStock(z=0.5), days=1, forecast=forecast)
    for day in (0, 1):  # fewer than min_days rows of history: the smoothed demand
        np.testing.assert_array_equal(seen[day], smoothed[day])
    assert not np.array_equal(seen[4], smoothed[4])
    expected = np.mean(demand_rows[-2:], axis=0).reshape(shape)
    np.testing.assert_allclose(seen[4], expected)
    acc = forecast.accuracy()
    assert acc["forecast_demand"] > 0 and acc["forecast_abs_error"] >= abs(acc["forecast_error"])


def test_bad_history_settings_are_refused_by_name():
    with pytest.raises(ConfigError, match=r"^forecaster\.min_days/window: got \(9, 5\)"):
        HistoryForecast(MovingAverage(), SmoothedDemand(), min_days=9, window=5)
