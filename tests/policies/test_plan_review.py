"""Transfer plan options and the store manager's decision: a vetoed plan moves no unit,
options are ranked and sized as the rules plan, the autonomy limit, and refusals."""

from __future__ import annotations

import numpy as np
import pytest

from policies.composite import TransferRulesPolicy
from policies.heuristics import BaseStock
from policies.plan_review import (
    Decision,
    ManagerReview,
    ReviewedAlert,
    TransferAlert,
    TransferOption,
    chosen_transfers,
    plan_options,
)
from policies.runner import run_rule
from policies.sim_view import transfer_inputs_from_sim
from policies.transfers import TransferRules
from sim.engine import Simulation
from sim.errors import ConfigError
from sim.scenario import build_demand_source, load_scenario


def city_fresh(seed: int = 3) -> Simulation:
    scenario = load_scenario("city_fresh")
    return Simulation(scenario.network, build_demand_source(scenario), seed=seed)


def run_with(review: ManagerReview | None, days: int = 4, seed: int = 3):
    sim = city_fresh(seed)
    policy = TransferRulesPolicy(BaseStock(z=0.5), TransferRules(), review=review)
    policy.reset(seed)
    run_rule(sim, policy, days=days)
    return sim, policy


def test_a_vetoed_plan_moves_no_unit():
    """Every alert vetoed: alerts were shown, yet no courier carried a unit."""
    sim, policy = run_with(ManagerReview(veto_probability=1.0))
    assert policy.decisions["vetoed"] > 0
    assert policy.decisions["accepted"] == policy.decisions["automatic"] == 0
    net = sim.counters_view().network
    assert net.courier_units == 0 and net.transfer_flows == {} and net.courier_trips == 0
    sim.assert_conserved()


def test_accepted_options_move_units_and_each_pair_says_which_option_ran():
    sim, policy = run_with(ManagerReview(veto_probability=0.0))
    assert policy.decisions["accepted"] > 0 and policy.decisions["vetoed"] == 0
    assert sim.counters_view().network.courier_units > 0
    reasons = policy.explain_transfers()
    assert reasons and all("[accepted]" in r and r.startswith("option ") for r in reasons)


def test_within_the_autonomy_limit_transfers_run_without_a_decision():
    """Every option is within a limit of 1e9 at certainty >= 0: nothing waits for the
    manager, so even a manager who vetoes everything vetoes nothing."""
    review = ManagerReview(veto_probability=1.0, autonomy_value_limit=1e9,
                           autonomy_min_certainty=0.0)  # fmt: skip
    sim, policy = run_with(review)
    assert policy.decisions["automatic"] > 0 and policy.decisions["vetoed"] == 0
    assert sim.counters_view().network.courier_units > 0


def test_the_same_seed_gives_the_same_decisions():
    first = run_with(ManagerReview(veto_probability=0.5), seed=8)[1].decisions
    again = run_with(ManagerReview(veto_probability=0.5), seed=8)[1].decisions
    other = run_with(ManagerReview(veto_probability=0.5), seed=9)[1].decisions
    assert first == again and first["vetoed"] > 0 and first["accepted"] > 0
    assert other != first


def test_options_are_the_best_receivers_sized_as_the_rules_size_them():
    sim = city_fresh()
    run_rule(sim, BaseStock(z=0.5), days=3)
    forecast = sim.expected_daily_units()
    x = transfer_inputs_from_sim(sim, forecast)
    rules = TransferRules()
    ids = tuple(s.store_id for s in sim.spec.stores)
    alerts = plan_options(rules, x, ids, sim.spec.skus.ids, options_per_alert=3)
    assert alerts
    send, _ = rules.surplus(x)
    need = rules.need(x)
    for alert in alerts:
        assert 1 <= len(alert.options) <= 3
        assert alert.surplus_units == int(send[alert.origin, alert.sku])
        scores = [o.score for o in alert.options]
        assert scores == sorted(scores, reverse=True)
        assert len({o.destination for o in alert.options}) == len(alert.options)
        for o in alert.options:
            assert o.units == int(min(send[o.origin, o.sku], need[o.destination, o.sku])) > 0
            assert 0.0 <= o.certainty <= 1.0 and o.option_id.startswith(alert.alert_id + "#")
            assert f"to {ids[o.destination]}" in o.reason


def _option(origin: int, dest: int, sku: int, units: int) -> TransferOption:
    return TransferOption(f"o{origin}d{dest}", origin, dest, sku, units, 10.0, 1.0, 2.0, 1.0,
                          0.5, "why")  # fmt: skip


def test_chosen_options_never_fill_a_need_twice():
    """Two origins both offer 5 units of SKU 0 to store 2, which needs 7: the first gets
    5, the second the 2 still needed; a vetoed alert adds nothing."""
    need = np.zeros((3, 2))
    need[2, 0] = 7
    reviewed = [
        ReviewedAlert(TransferAlert("a", 0, 0, 5, 1, ()), Decision.ACCEPTED, _option(0, 2, 0, 5)),
        ReviewedAlert(TransferAlert("b", 1, 0, 5, 1, ()), Decision.ACCEPTED, _option(1, 2, 0, 5)),
        ReviewedAlert(TransferAlert("c", 1, 1, 5, 1, ()), Decision.VETOED, None),
    ]
    transfers, reasons = chosen_transfers(reviewed, need)
    assert [(t.origin, t.destination, t.units.tolist()) for t in transfers] == [
        (0, 2, [5, 0]),
        (1, 2, [2, 0]),
    ]
    assert reasons[0, 2] == ["why [accepted]"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"veto_probability": 1.5}, "review.veto_probability"),
     ({"options_per_alert": 0}, "review.options_per_alert"),
     ({"autonomy_value_limit": float("inf")}, "review.autonomy_value_limit")],
)  # fmt: skip
def test_bad_review_settings_are_refused_by_name(kwargs, field):
    with pytest.raises(ConfigError, match=rf"^{field}: got "):
        ManagerReview(**kwargs)
    with pytest.raises(ConfigError, match=r"^TransferRulesPolicy.review: got 'dict'"):
        TransferRulesPolicy(BaseStock(), review={"veto_probability": 0.1})
