"""A transfer planner in the SKU-agent env: with the rules as planner and a = 0 the env is the
rules' policy to the unit; rewards still add up to the chain's profit; bad set-ups and bad
actions are refused before anything is sent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from envs.retail.config import Control
from envs.sku_agents import SkuAgents
from policies.composite import TransferRulesPolicy
from policies.heuristics import PerishableBaseStock
from policies.learned_transfers import N_PAIR_FEATURES, PairScorerTransfers
from policies.runner import run_rule
from policies.transfers import TransferRules
from policies.tuning import SmoothedDemand
from sim.engine import Simulation
from sim.errors import ActionError, ConfigError
from sim.scenario import build_demand_source, load_scenario

RULE = dict(z=0.0, cover_factor=1.1)
TRANSFERS = TransferRules(radius_km=4.0, need_horizon_days=1.25)


def planned_agents(planner=TRANSFERS, **kwargs) -> SkuAgents:
    return SkuAgents(
        episode_days=kwargs.pop("episode_days", 7),
        scenario="city_fresh",
        warmup_days=3,
        action_mode="residual",
        base_rule=PerishableBaseStock(**RULE),
        transfer_policy=planner,
        **kwargs,
    )


def test_the_neutral_residual_with_the_rules_as_planner_is_the_transfer_rules_policy():
    agents = planned_agents()
    agents.reset(11)
    over = False
    while not over:
        _, over = agents.step(np.zeros((agents.num_agents, 1), dtype=np.float32))
    env_sim = agents.core.sim

    sc = load_scenario("city_fresh")
    ref = Simulation(sc.network, build_demand_source(sc), seed=11)
    policy = TransferRulesPolicy(PerishableBaseStock(**RULE), TRANSFERS)
    run_rule(ref, policy, 3 + 7, forecast=SmoothedDemand())
    ref.run_until(env_sim.now_hours)

    pd.testing.assert_frame_equal(env_sim.ledger(), ref.ledger())
    assert env_sim.kpis().chain == ref.kpis().chain
    assert env_sim.kpis().chain["transfers_units"] > 0  # transfers really ran


def test_rewards_add_up_to_the_chain_profit_with_a_learned_planner():
    theta = np.random.default_rng(5).normal(size=N_PAIR_FEATURES + 1)
    theta[-1] = 1.0  # plenty of transfers
    agents = planned_agents(
        PairScorerTransfers.from_vector(TRANSFERS, theta),
        episode_days=10,
        stockout_penalty_per_unit=0.0,
    )
    agents.reset(2024)
    start = agents.core.sim.kpis().chain["profit"]
    rng = np.random.default_rng(7)
    total, over = 0.0, False
    while not over:
        rewards, over = agents.step(rng.uniform(-1, 1, (agents.num_agents, 1)).astype(np.float32))
        total += float(rewards.sum())
    kpis = agents.core.sim.kpis().chain
    assert kpis["transfers_units"] > 0
    assert total == pytest.approx(kpis["profit"] - start, abs=0.01)


def test_a_bad_action_sends_no_planned_transfer():
    refused, clean = planned_agents(), planned_agents()
    refused.reset(3)
    clean.reset(3)
    bad = np.zeros((refused.num_agents, 1), dtype=np.float32)
    bad[0, 0] = np.nan
    with pytest.raises(ActionError, match="actions"):
        refused.step(bad)
    zero = np.zeros_like(bad)
    assert np.array_equal(refused.step(zero)[0], clean.step(zero)[0])  # as if never tried
    assert refused.core.sim.kpis().chain == clean.core.sim.kpis().chain
    assert len(refused.core.last_planned_transfers) == len(clean.core.last_planned_transfers)


def test_planner_set_ups_that_cannot_work_are_refused():
    with pytest.raises(ConfigError, match="controls=TRANSFERS"):
        planned_agents(controls=Control.TRANSFERS)
    with pytest.raises(ConfigError, match="plan"):
        planned_agents(planner=object())
    with pytest.raises(ConfigError, match="couriers"):
        SkuAgents(
            episode_days=2, scenario="yogurt_trio", transfer_policy=TRANSFERS,
            overrides=["network.couriers=null"],
        )  # fmt: skip
