"""Predictive transfers: the risk over the horizon, a hand-computed plan, the record that
judges lines after their horizon, and the demand model's look ahead changing nothing."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson

from policies.composite import TransferRulesPolicy
from policies.heuristics import BaseStock
from policies.predictive import PredictiveRecord, PredictiveTransfers
from policies.runner import run_rule
from policies.transfers import PlannedTransfer, TransferRules
from sim.engine import Simulation
from sim.errors import ActionError, ConfigError
from sim.scenario import build_demand_source, load_scenario
from tests.policies.test_transfers import inputs


def test_a_store_facing_a_surge_gets_the_expected_shortfall_from_a_donor_with_spare():
    """Store 1 holds 2 and expects 6 + 4 over two days (risk P(D > 2) ~ 1): it needs 8.
    Store 0 holds 30 and expects 2 + 2: it keeps ceil(4 x 1.5) = 6 and could give 24."""
    by_life = np.zeros((2, 1, 4))
    by_life[0, 0, 3], by_life[1, 0, 3] = 30, 2
    x = inputs(on_hand_by_life=by_life)
    ahead = np.array([[[2.0], [6.0]], [[2.0], [4.0]], [[9.0], [9.0]]])  # the 3rd day: past
    rules = PredictiveTransfers(horizon_days=2)
    risk, mean = rules.risk(x, ahead)
    assert mean[:, 0].tolist() == [4.0, 10.0]
    assert risk[1, 0] == pytest.approx(poisson.sf(2, 10.0))
    (plan,) = rules.plan(x, ahead, ("A", "B"), ("yogurt",))
    assert (plan.origin, plan.destination, plan.units.tolist()) == (0, 1, [8])
    assert plan.benefit == pytest.approx(8 * 2.5 - (4.0 + 0.6 * 4.4))
    assert plan.reasons[0].startswith("predictive: send 8 yogurt from A to B: B expects 10")
    reserved = np.array([[25.0], [0.0]])  # units already leaving A reactively today
    assert rules.plan(x, ahead, ("A", "B"), ("yogurt",), reserved) == []  # 30 - 6 - 25 < 1


def test_no_transfer_without_risk_or_when_the_trip_does_not_pay():
    by_life = np.zeros((2, 1, 4))
    by_life[0, 0, 3], by_life[1, 0, 3] = 30, 20
    x = inputs(on_hand_by_life=by_life)
    ahead = np.array([[[2.0], [6.0]], [[2.0], [4.0]]])
    assert PredictiveTransfers().plan(x, ahead, ("A", "B"), ("y",)) == []  # 20 >> 10
    by_life[1, 0, 3] = 9  # risk P(D > 9) at mean 10 ~ 0.54 < 0.7
    assert (
        PredictiveTransfers().plan(inputs(on_hand_by_life=by_life), ahead, ("A", "B"), ("y",)) == []
    )
    by_life[1, 0, 3] = 2
    dear = inputs(on_hand_by_life=by_life, cost_per_trip=100.0)
    assert PredictiveTransfers().plan(dear, ahead, ("A", "B"), ("y",)) == []


def test_a_line_is_judged_after_its_horizon_and_sold_when_the_receiver_sold_it_all():
    record = PredictiveRecord(horizon_days=2)
    plan = PlannedTransfer(0, 1, np.array([8, 3]), 10.0, ("a", "b"))
    held = np.array([[0.0, 0.0], [2.0, 5.0]])
    record.add(4, [plan], held, np.zeros((2, 2)))
    record.settle(6, np.array([[0, 0], [10, 1]]))  # 2 days later: not yet judged
    assert (record.lines, len(record.pending)) == (0, 2)
    record.settle(7, np.array([[0, 0], [10, 1]]))  # SKU 0 sold 10 >= 2 + 8; SKU 1 sold 1
    assert (record.lines, record.lines_sold, record.units, record.pending) == (2, 1, 11, [])


def test_the_look_ahead_is_the_demand_models_and_reading_it_changes_nothing():
    scenario = load_scenario("city_fresh")

    def run(read: bool) -> float:
        sim = Simulation(scenario.network, build_demand_source(scenario), seed=4)
        sim.run_until(33.0)
        if read:
            ahead = sim.expected_units_ahead(2)
            demand = build_demand_source(scenario)
            assert ahead.shape == (2, sim.spec.n_stores, sim.spec.n_skus)
            np.testing.assert_allclose(
                ahead[1], demand.expected_daily_units(sim.day + 2, sim.context.streams,
                                                      sim.context.state.price_multiplier),
            )  # fmt: skip
        sim.run_until(80.0)
        return sim.kpis().chain["profit"]

    assert run(True) == run(False)
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=4)
    with pytest.raises(ActionError, match=r"days: got 0; allowed: an integer in 1\.\.28"):
        sim.expected_units_ahead(0)


def test_the_policy_sends_predictive_transfers_and_counts_them():
    scenario = load_scenario("city_fresh")
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=2)
    policy = TransferRulesPolicy(
        BaseStock(z=0.5), TransferRules(), predictive=PredictiveTransfers()
    )
    policy.reset(2)
    run_rule(sim, policy, days=6)
    counts = policy.period_counts()
    assert counts["predictive_units"] > 0 and counts["predictive_lines"] > 0
    assert 0 <= counts["predictive_lines_sold"] <= counts["predictive_lines"]
    assert any(r.startswith("predictive: ") for p in policy.last_transfers for r in p.reasons)
    sim.assert_conserved()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"horizon_days": 0}, "predictive.horizon_days"),
     ({"risk_threshold": 1.0}, "predictive.risk_threshold"),
     ({"donor_cover": 0.5}, "predictive.radius_km/donor_cover")],
)  # fmt: skip
def test_bad_predictive_settings_are_refused_by_name(kwargs, field):
    with pytest.raises(ConfigError, match=rf"^{field}: got "):
        PredictiveTransfers(**kwargs)
