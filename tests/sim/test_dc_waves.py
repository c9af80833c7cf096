"""DC pick waves: an order lands in the first wave whose cut-off it makes, each wave's
capacity binds its own list, the rules' lead time follows the waves, and waves that
overlap are refused by name."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import Simulation
from sim.enums import EventKind
from sim.errors import ConfigError
from sim.scenario import build_demand_source, load_scenario
from sim.store_sku import lead_time_days_at

WAVES = (
    "+network.dcs.0.waves=[{cutoff_hour:9,departure_hour:10},{cutoff_hour:14,departure_hour:20}]"
)


def sim_with(*overrides: str) -> Simulation:
    scenario = load_scenario("yogurt_trio", overrides)
    return Simulation(scenario.network, build_demand_source(scenario), seed=0, trace=True)


def order_at(sim: Simulation, hour: float, units: int = 12) -> None:
    sim.run_until(hour)
    qty = np.zeros((sim.spec.n_stores, sim.spec.n_skus), dtype=np.int64)
    qty[1, 0] = units
    sim.submit_store_orders(qty)


def dispatch_hours(sim: Simulation) -> list[float]:
    return [e.time_hours for e in sim.trace if e.kind is EventKind.DC_DISPATCH]


def test_an_order_lands_in_the_first_wave_whose_cut_off_it_makes():
    morning = sim_with(WAVES)
    order_at(morning, 8.0)
    morning.run_until(23.0)
    assert dispatch_hours(morning) == [10.0]
    midday = sim_with(WAVES)
    order_at(midday, 11.0)
    midday.run_until(23.0)
    assert dispatch_hours(midday) == [20.0]
    one_wave = sim_with()  # the DC's one cut-off at 14:00
    order_at(one_wave, 8.0)
    one_wave.run_until(23.0)
    assert dispatch_hours(one_wave) == [20.0]


def test_each_wave_picks_within_its_own_capacity():
    small = WAVES.replace("departure_hour:10}", "departure_hour:10,pick_capacity_units:6}")
    sim = sim_with(small)
    order_at(sim, 8.0, units=24)
    sim.run_until(12.0)
    picked = int(sim.counters_view().dc.shipped_units.sum())
    assert picked == 6  # the first wave's 6 units, whole cases of 6


def test_the_rules_lead_time_follows_the_waves():
    sim = sim_with(WAVES)
    spec, weekday = sim.spec, sim.weekday
    transit = spec.dcs[0].transit_hours[1]
    assert lead_time_days_at(spec, 8.0, weekday)[1] == pytest.approx((10.0 + transit - 8.0) / 24)
    assert lead_time_days_at(spec, 11.0, weekday)[1] == pytest.approx((20.0 + transit - 11.0) / 24)


@pytest.mark.parametrize(
    ("waves", "message"),
    [("[{cutoff_hour:9,departure_hour:15},{cutoff_hour:14,departure_hour:20}]",
      r"dcs\[0\]\.waves\[1\]\.cutoff_hour: got 14"),
     ("[{cutoff_hour:9,departure_hour:8}]", r"dcs\[0\]\.waves\[0\]\.departure_hour: got 8")],
)  # fmt: skip
def test_waves_out_of_turn_are_refused_by_name(waves, message):
    with pytest.raises(ConfigError, match=message):
        load_scenario("yogurt_trio", (f"+network.dcs.0.waves={waves}",))
