"""Rule-based transfers: hand-checked surplus and need, and the yogurt_trio morning."""

import numpy as np
import pytest

from policies.sim_view import transfer_inputs_from_sim
from policies.transfers import TransferRules, UrgencyWeights
from sim.engine import Simulation
from sim.errors import ConfigError
from sim.scenario import build_demand_source, load_scenario
from sim.transfer import TransferInputs


def inputs(**over) -> TransferInputs:
    base = dict(
        on_hand_by_life=np.zeros((2, 1, 4)),
        forecast_daily=np.array([[3.0], [16.0]]),
        arriving_units=np.zeros((2, 1)),
        on_promotion=np.zeros((2, 1)),
        shelf_life_days=np.array([14]),
        price=np.array([2.5]),
        disposal_cost_per_unit=np.array([0.2]),
        road_km=np.array([[0.0, 4.4], [4.4, 0.0]]),
        same_city=np.ones((2, 2), dtype=bool),
        blocked=np.zeros((2, 1), dtype=bool),
        cost_per_trip=4.0,
        cost_per_km=0.6,
    )
    base.update(over)
    return TransferInputs(**base)


def test_surplus_and_need_by_hand():
    by_life = np.zeros((2, 1, 4))
    by_life[0, 0, 3] = 48  # A: 48 units with 4 days left, sells 3/day -> 36 would expire
    by_life[1, 0, 3] = 5  # B: 5 units, sells 16/day
    x = inputs(on_hand_by_life=by_life)
    rules = TransferRules(need_horizon_days=1.5, safety_days=1.0, max_send_share=0.5)
    send, life_left = rules.surplus(x)
    # min(36 doomed, 48 - 3 safety, floor(48 × 0.5) = 24) = 24; B has no surplus
    assert send.ravel().tolist() == [24.0, 0.0]
    assert life_left.ravel().tolist() == [4, 4]
    # need: ceil(16 × 1.5) = 24 - 5 = 19 at B; A needs nothing
    assert rules.need(x).ravel().tolist() == [0.0, 19.0]
    (plan,) = rules.plan(x, ("A", "B"), ("yogurt",))
    assert (plan.origin, plan.destination, plan.units.tolist()) == (0, 1, [19])
    # benefit = 19 × (2.5 + 0.2) - (4 + 0.6 × 4.4) = 51.3 - 6.64
    assert plan.benefit == pytest.approx(44.66)
    assert plan.reasons[0].startswith("send 19 yogurt from A to B")


def test_no_transfer_when_the_courier_costs_more_than_it_saves():
    by_life = np.zeros((2, 1, 4))
    by_life[0, 0, 3], by_life[1, 0, 3] = 48, 5
    assert TransferRules().plan(inputs(on_hand_by_life=by_life, cost_per_trip=100.0)) == []


def test_weights_must_sum_to_one():
    with pytest.raises(ConfigError, match="summing to 1"):
        UrgencyWeights(shelf_life=0.5)


def test_yogurt_trio_sends_about_20_from_a_to_b_and_avoids_waste():
    scenario = load_scenario("yogurt_trio")
    net = scenario.network
    demand = build_demand_source(scenario)

    def run(with_transfers: bool) -> tuple[Simulation, list]:
        sim = Simulation(net, demand, seed=7, check_conservation=True)
        plans = []
        for day in range(5):
            sim.run_until(24.0 * day + 8.0)
            if with_transfers:
                x = transfer_inputs_from_sim(sim, sim.expected_daily_units())
                todays = TransferRules().plan(
                    x, tuple(s.store_id for s in net.stores), net.skus.ids
                )
                sim.submit_transfers([p.to_transfer() for p in todays])
                plans.append(todays)
        sim.run_until(24.0 * 5)
        return sim, plans

    without, _ = run(False)
    with_t, plans = run(True)
    first = plans[0][0]
    a, b = net.store_index("A"), net.store_index("B")
    assert (first.origin, first.destination) == (a, b)
    assert 15 <= int(first.units.sum()) <= 25
    k0, k1 = without.kpis().chain, with_t.kpis().chain
    assert k1["wasted_units"] < k0["wasted_units"] - 20
    assert k1["profit"] > k0["profit"]
