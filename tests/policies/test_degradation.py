"""Degradation modes of transfers: faults drawn per day from their own stream, the mode
the worst fault forces, what each mode still sends, and late couriers re-dispatched."""

from __future__ import annotations

import numpy as np
import pytest

from policies.composite import TransferRulesPolicy, _plan_and_send
from policies.degradation import SIMPLE_WEIGHTS, Degradation, Mode, simple_matcher
from policies.heuristics import BaseStock
from policies.runner import run_rule
from policies.sim_view import transfer_inputs_from_sim
from policies.transfers import TransferRules, oldest_life_left
from sim.engine import Simulation
from sim.errors import ConfigError
from sim.scenario import build_demand_source, load_scenario


def city_fresh(seed: int = 3, overrides: tuple[str, ...] = ()) -> Simulation:
    scenario = load_scenario("city_fresh", overrides)
    return Simulation(scenario.network, build_demand_source(scenario), seed=seed)


def test_faults_come_at_their_rates_from_their_own_stream_and_the_worst_sets_the_mode():
    d = Degradation(forecast_service_down=0.1, data_inconsistency=0.2, courier_platform_down=0.3)
    d.reset(11)
    days = [d.draw_day() for _ in range(20_000)]
    for name, rate in (("forecast_service_down", 0.1), ("data_inconsistency", 0.2),
                       ("courier_platform_down", 0.3)):  # fmt: skip
        share = np.mean([name in faults for _, faults in days])
        assert share == pytest.approx(rate, abs=0.015), name
    for mode, faults in days[:500]:
        levels = {"forecast_service_down": 1, "data_inconsistency": 2, "courier_platform_down": 3}
        assert mode == max((levels[f] for f in faults), default=0)
    d.reset(11)
    assert [d.draw_day() for _ in range(50)] == days[:50]


def run_with(degradation: Degradation, days: int = 4):
    sim = city_fresh()
    policy = TransferRulesPolicy(BaseStock(z=0.5), TransferRules(), degradation=degradation)
    policy.reset(3)
    run_rule(sim, policy, days=days)
    return sim, policy


def test_with_the_courier_platform_down_transfers_are_a_list_and_nothing_moves():
    sim, policy = run_with(Degradation(0.0, 0.0, 1.0))
    counts = policy.period_counts()
    assert counts["degradation_days_suggest_only"] == 4
    assert counts["degradation_units_suggest_only"] > 0  # planned, listed for people
    assert sim.counters_view().network.courier_units == 0 and policy.last_transfers == []
    assert policy.suggested and all(p.units.sum() > 0 for p in policy.suggested)


def test_the_simplified_matcher_and_normal_days_still_send():
    sim, policy = run_with(Degradation(0.0, 1.0, 0.0))
    assert policy.period_counts()["degradation_days_simple_matcher"] == 4
    assert sim.counters_view().network.courier_units > 0
    rules = TransferRules(radius_km=3.0, safety_days=2.0)
    simple = simple_matcher(rules)
    assert simple.weights == SIMPLE_WEIGHTS and (simple.radius_km, simple.safety_days) == (3.0, 2.0)


def test_with_the_forecast_down_only_surplus_about_to_expire_is_offered():
    sim = city_fresh()
    run_rule(sim, BaseStock(z=0.5), days=3)
    forecast = sim.expected_daily_units()
    life_left = oldest_life_left(transfer_inputs_from_sim(sim, forecast))
    plans, _, _ = _plan_and_send(
        sim, TransferRules(), forecast, high_confidence_life_days=1, execute=False
    )
    assert plans
    for plan in plans:
        assert (life_left[plan.origin, plan.units > 0] <= 1).all()
    every, _, _ = _plan_and_send(sim, TransferRules(), forecast, execute=False)
    assert sum(p.units.sum() for p in every) > sum(p.units.sum() for p in plans)


def test_a_late_courier_is_re_dispatched_and_the_units_still_arrive():
    """Couriers that take over 6 minutes to arrive (mean 15) are given up on: many late
    re-dispatches, every requested unit still delivered or counted short, none lost."""
    sim = city_fresh(overrides=("+network.couriers.late_after_hours=0.1",))
    policy = TransferRulesPolicy(BaseStock(z=0.5), TransferRules())
    run_rule(sim, policy, days=3)
    sim.run_until(sim.now_hours + 24.0)
    net = sim.counters_view().network
    assert net.courier_late_redispatches > 0 and net.courier_units > 0
    assert sim.kpis().chain["transfers_late_redispatches"] == net.courier_late_redispatches
    sim.assert_conserved()
    on_time = city_fresh()
    run_rule(on_time, TransferRulesPolicy(BaseStock(z=0.5), TransferRules()), days=3)
    assert on_time.counters_view().network.courier_late_redispatches == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"data_inconsistency": 1.5}, "degradation.data_inconsistency"),
     ({"high_confidence_life_days": 0}, "degradation.high_confidence_life_days")],
)  # fmt: skip
def test_bad_degradation_settings_are_refused_by_name(kwargs, field):
    with pytest.raises(ConfigError, match=rf"^{field}: got "):
        Degradation(**kwargs)
    with pytest.raises(ConfigError, match=r"^couriers\.late_after_hours: got -1; allowed"):
        load_scenario("city_fresh", ("+network.couriers.late_after_hours=-1",))
    assert Mode.SUGGEST_ONLY > Mode.SIMPLE_MATCHER > Mode.HIGH_CONFIDENCE_ONLY > Mode.NORMAL
