"""Network tiers: a transfer between two tiers takes the pair's own lead time and tariff,
other pairs the pool's; the planner sees the same costs; unknown tiers are refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine import Simulation
from sim.enums import EventKind
from sim.errors import ConfigError
from sim.scenario import build_demand_source, load_scenario
from sim.transfer import Transfer

TIERS = (
    "+network.stores.0.tier=flagship",
    "+network.stores.1.tier=community",
    "+network.couriers.tier_pairs=[{origin:flagship,destination:community,lead_hours:0.25,"
    "cost_per_trip:3.0,cost_per_km:0.0}]",
)


def send(origin: int, destination: int, units: int = 4) -> Simulation:
    scenario = load_scenario("yogurt_trio", TIERS)
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=1, trace=True)
    sim.run_until(10.0)
    qty = np.zeros(sim.spec.n_skus, dtype=np.int64)
    qty[0] = units
    sim.submit_transfers([Transfer(origin, destination, qty)])
    sim.run_until(14.0)
    return sim


def hours(sim: Simulation, kind: EventKind) -> list[float]:
    return [e.time_hours for e in sim.trace if e.kind is kind]


def test_a_flagship_to_community_transfer_takes_the_pairs_lead_time_and_tariff():
    sim = send(0, 1)
    (picked,), (delivered,) = (
        hours(sim, EventKind.COURIER_PICKUP),
        hours(sim, EventKind.COURIER_DELIVERY),
    )
    assert delivered - picked == pytest.approx(0.25)
    assert sim.counters_view().network.courier_cost == pytest.approx(3.0)
    assert sim.counters_view().network.transfer_pairs[0, 1].courier_cost == pytest.approx(3.0)


def test_a_pair_not_listed_travels_at_the_pools_speed_and_tariff():
    sim = send(2, 0)  # store -> flagship: not listed
    pool = sim.spec.couriers
    km = float(sim.road_km[2, 0])
    (picked,), (delivered,) = (
        hours(sim, EventKind.COURIER_PICKUP),
        hours(sim, EventKind.COURIER_DELIVERY),
    )
    assert delivered - picked == pytest.approx(km / pool.speed_kmh)
    assert sim.counters_view().network.courier_cost == pytest.approx(
        pool.cost_per_trip + pool.cost_per_km * km
    )


def test_the_planner_prices_a_pair_as_the_couriers_do():
    from policies.sim_view import transfer_inputs_from_sim

    scenario = load_scenario("yogurt_trio", TIERS)
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=1)
    sim.run_until(9.0)
    x = transfer_inputs_from_sim(sim, sim.expected_daily_units())
    assert x.courier_cost(0, 1) == pytest.approx(3.0)
    pool = sim.spec.couriers
    assert x.courier_cost(1, 0) == pytest.approx(
        pool.cost_per_trip + pool.cost_per_km * x.road_km[1, 0]
    )
    assert math.isnan(sim.context.courier_lead_hours[1, 0])


@pytest.mark.parametrize(
    "override",
    ["+network.stores.0.tier=castle",
     "+network.couriers.tier_pairs=[{origin:flagship,destination:moon}]",
     "+network.couriers.tier_pairs=[{origin:flagship,destination:community,lead_hours:-1}]"],
)  # fmt: skip
def test_unknown_tiers_and_bad_pair_values_are_refused_by_name(override):
    with pytest.raises(ConfigError, match=r"(stores\[0\]\.tier|tier_pairs\[0\]\.\w+): got "):
        load_scenario("yogurt_trio", (override,))


def test_a_transfer_policy_of_a_tiered_network_is_not_exported_with_the_wrong_tariff():
    from policies.export.catalog import courier_network_from_scenario

    with pytest.raises(ConfigError, match=r"^couriers\.tier_pairs: got '1 pairs in yogurt_trio'"):
        courier_network_from_scenario("yogurt_trio", overrides=TIERS)
