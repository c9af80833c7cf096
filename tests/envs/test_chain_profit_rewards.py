"""The SKU-agent env's rewards add up to the chain's profit KPI, DC costs included.

With ``stockout_penalty_per_unit=0`` every money flow of ``sim.kpis().chain["profit"]``
(sales, cost of goods, holding and expiry at stores and the DC, trucks, couriers)
goes to exactly one agent: the episode's summed rewards equal the KPI to the cent.
"""

from __future__ import annotations

import numpy as np
import pytest

from envs.retail.config import Control
from envs.sku_agents import SkuAgents


@pytest.mark.parametrize(
    "controls",
    [Control.STORE_ORDERS, Control.STORE_ORDERS | Control.TRANSFERS],
    ids=["orders", "orders+transfers"],
)
def test_rewards_add_up_to_the_chain_profit_over_30_days_of_random_actions(controls):
    agents = SkuAgents(
        episode_days=30,
        scenario="city_fresh",
        warmup_days=3,
        stockout_penalty_per_unit=0.0,
        controls=controls,
    )
    agents.reset(2024)
    profit_at_reset = agents.core.sim.kpis().chain["profit"]
    rng = np.random.default_rng(7)
    space = agents.action_space
    high = np.atleast_1d(space.nvec if hasattr(space, "nvec") else space.n)
    total = 0.0
    over = False
    steps = 0
    while not over:
        actions = rng.integers(0, high, size=(agents.num_agents, len(high)))
        if len(high) == 1:
            actions = actions[:, 0]
        rewards, over = agents.step(actions)
        assert rewards.dtype == np.float64
        total += float(rewards.sum())
        steps += 1
    kpis = agents.core.sim.kpis().chain
    assert steps >= 30
    assert total == pytest.approx(kpis["profit"] - profit_at_reset, abs=0.01)
    if Control.TRANSFERS in controls:
        assert kpis["transfers_units"] > 0  # the transfer path really ran


def test_a_kpi_reset_after_the_env_reset_starts_the_first_reward_from_zero():
    """Evaluation resets the KPIs after the warm-up: the first step's rewards stay right."""
    rewards_by_run = []
    for reset_kpis in (False, True):
        agents = SkuAgents(episode_days=2, scenario="city_fresh", warmup_days=3)
        agents.reset(5)
        if reset_kpis:
            agents.core.sim.reset_kpis()
        actions = np.ones(agents.num_agents, dtype=np.int64)
        rewards, _ = agents.step(actions)
        rewards_by_run.append(rewards)
        if reset_kpis:
            assert rewards.sum() == pytest.approx(agents.core.sim.kpis().chain["profit"], abs=0.01)
    np.testing.assert_allclose(rewards_by_run[0], rewards_by_run[1], atol=1e-9)
