"""Intraday refresh: decisions every few hours of the opening day, from the state of
each moment, and the same daily run without it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from policies.heuristics import BaseStock
from policies.runner import decision_epochs, run_rule
from sim.engine import Simulation
from sim.errors import ConfigError
from sim.scenario import build_demand_source, load_scenario


class Counting:
    """Base stock that records when it decided."""

    def __init__(self) -> None:
        self.rule = BaseStock(z=0.5)
        self.hours: list[float] = []
        self.sim: Simulation | None = None

    def observe(self, sim: Simulation, forecast: np.ndarray) -> None:
        self.hours.append(sim.now_hours)

    def decide(self, view):
        return self.rule.decide(view)


def city_fresh(seed: int = 1) -> Simulation:
    scenario = load_scenario("city_fresh")
    return Simulation(scenario.network, build_demand_source(scenario), seed=seed)


def test_the_rule_decides_every_two_hours_while_stores_are_open():
    sim = city_fresh()
    close = max(s.close_hour for s in sim.spec.stores)
    epochs = decision_epochs(sim, 9.0, 2.0)
    assert epochs[0] == 9.0 and all(b - a == 2.0 for a, b in itertools.pairwise(epochs))
    assert epochs[-1] < close <= epochs[-1] + 2.0
    rule = Counting()
    run_rule(sim, rule, days=2, refresh_hours=2.0)
    assert rule.hours == [24.0 * d + h for d in (0, 1) for h in epochs]
    assert decision_epochs(sim, 9.0, None) == [9.0]
    with pytest.raises(ConfigError, match=r"^refresh_hours: got 0; allowed"):
        decision_epochs(sim, 9.0, 0)


def test_a_refreshing_base_stock_orders_again_when_the_day_ran_it_down():
    daily, refreshed = city_fresh(), city_fresh()
    run_rule(daily, BaseStock(z=0.5), days=3)
    run_rule(refreshed, BaseStock(z=0.5), days=3, refresh_hours=2.0)
    delivered = [s.counters_view().store.delivered_units.sum() for s in (daily, refreshed)]
    assert delivered[1] > delivered[0]  # mid-day top-ups reached the stores
    for sim in (daily, refreshed):
        sim.assert_conserved()
