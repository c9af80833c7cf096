"""The residual action: a = 0 reproduces the tuned rule exactly; other values move its orders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from envs.retail.config import Control
from envs.sku_agents import SkuAgents
from policies.heuristics import PerishableBaseStock
from policies.runner import run_rule
from policies.tuning import SmoothedDemand
from sim.engine import Simulation
from sim.errors import ActionError, ConfigError
from sim.scenario import build_demand_source, load_scenario

RULE = dict(z=0.0, cover_factor=1.05)  # the published tuning of perishable_base_stock


def residual_agents(**kwargs) -> SkuAgents:
    return SkuAgents(
        episode_days=7,
        scenario="city_fresh",
        warmup_days=3,
        action_mode="residual",
        base_rule=PerishableBaseStock(**RULE),
        **kwargs,
    )


def test_the_neutral_residual_is_the_rule_to_the_unit():
    agents = residual_agents()
    agents.reset(31)
    over = False
    while not over:
        _, over = agents.step(np.zeros((agents.num_agents, 1), dtype=np.float32))
    env_sim = agents.core.sim

    sc = load_scenario("city_fresh")
    ref = Simulation(sc.network, build_demand_source(sc), seed=31)
    run_rule(ref, PerishableBaseStock(**RULE), 3 + 7, forecast=SmoothedDemand())
    ref.run_until(env_sim.now_hours)

    pd.testing.assert_frame_equal(env_sim.ledger(), ref.ledger())
    assert env_sim.kpis().chain == ref.kpis().chain


def test_a_larger_multiplier_orders_more():
    shipped = []
    for a in (-0.5, 0.0, 0.5):
        agents = residual_agents()
        agents.reset(7)
        before = int(agents.core.sim.counters_view().dc.shipped_units.sum())
        agents.step(np.full((agents.num_agents, 1), a, dtype=np.float32))
        shipped.append(int(agents.core.sim.counters_view().dc.shipped_units.sum()) - before)
    assert shipped[0] < shipped[1] < shipped[2]


@pytest.mark.parametrize("bad", [1.5, -1.01, np.nan, np.inf])
def test_an_action_outside_the_box_is_refused_not_clipped(bad):
    agents = residual_agents()
    agents.reset(1)
    actions = np.zeros((agents.num_agents, 1), dtype=np.float64)
    actions[3, 0] = bad
    with pytest.raises(ActionError, match=r"actions\[3, 0\].*allowed: a number in \[-1, 1\]"):
        agents.step(actions)


def test_residual_with_transfers_has_a_second_dimension():
    agents = residual_agents(controls=Control.STORE_ORDERS | Control.TRANSFERS)
    assert agents.action_space.shape == (2,)
    agents.reset(2)
    actions = np.zeros((agents.num_agents, 2), dtype=np.float32)
    actions[:, 1] = np.where(np.arange(agents.num_agents) % 2 == 0, 0.5, -0.5)
    rewards, _ = agents.step(actions)
    assert rewards.shape == (agents.num_agents,)


def test_residual_needs_a_rule():
    with pytest.raises(ConfigError, match="base_rule"):
        SkuAgents(episode_days=2, scenario="city_fresh", action_mode="residual")
    with pytest.raises(ConfigError, match="action_mode"):
        SkuAgents(episode_days=2, scenario="city_fresh", action_mode="bold")
