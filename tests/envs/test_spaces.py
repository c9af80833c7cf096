"""Long random rollouts on every shipped scenario stay inside the declared spaces."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from sim.errors import ConfigError
from sim.features import FEATURES, N_FEATURES
from sim.scenario import list_scenarios, load_network
from tests.envs.conftest import NETWORK, STORE, TRANSFER, max_steps

WITH_COURIERS = ("yogurt_trio", "city_fresh", "regional_chain", "liqun_chain")
WITHOUT_COURIERS = ("single_sku",)
BLOCKED = [name for name, _ in FEATURES].index("blocked")
UNIT_FIELDS = ("demand_units", "sold_units", "lost_units", "wasted_units")
# ratios whose denominator can be empty (no inventory, no cost of goods, no truck yet)
NAN_OK = ("inventory_turnover", "days_of_inventory", "order_response_hours")

# (env id, scenario, extra kwargs, random steps): cheap scenarios for several
# episodes, city_fresh (12 stores x 200 SKUs, all controlled) for one and a bit.
CASES = [
    (STORE, "single_sku", {}, 300),
    (STORE, "yogurt_trio", {}, 300),
    (STORE, "city_fresh", {}, 35),
    (TRANSFER, "yogurt_trio", {}, 300),
    (TRANSFER, "city_fresh", {"warmup_days": 1}, 90),
    (NETWORK, "yogurt_trio", {}, 300),
    (NETWORK, "city_fresh", {"warmup_days": 1}, 90),
]
# regional_chain: 100 stores x 10,000 SKUs simulated; ~2-3 s a step, ~5-10 s a reset
SLOW_CASES = [
    (env_id, "regional_chain", {"stores": ("R001", "R002"), "warmup_days": 1}, steps)
    for env_id, steps in ((STORE, 4), (TRANSFER, 6), (NETWORK, 6))
] + [
    # liqun_chain: 102 stores x 100,000 SKUs, about 5 GB for one env (the transfer and
    # network envs run the same simulation; three at once would hold 15 GB)
    (STORE, "liqun_chain", {"stores": ("L001", "L002"), "warmup_days": 1}, 2)
]


def test_the_shipped_scenarios_and_their_couriers_are_the_ones_covered_here() -> None:
    """A new scenario, or couriers added to or removed from one, must extend the
    cases of this module: the scenario list and who has couriers are pinned."""
    assert sorted(list_scenarios()) == sorted(WITH_COURIERS + WITHOUT_COURIERS)
    for name in WITH_COURIERS:
        assert load_network(name).couriers is not None, name
    for name in WITHOUT_COURIERS:
        assert load_network(name).couriers is None, name
    covered = {(env_id, scenario) for env_id, scenario, _, _ in CASES + SLOW_CASES}
    assert {(STORE, s) for s in list_scenarios()} <= covered
    seed_scale = {"liqun_chain"}  # see SLOW_CASES
    assert {
        (e, s) for e in (TRANSFER, NETWORK) for s in WITH_COURIERS if s not in seed_scale
    } <= covered


@pytest.mark.parametrize("env_id", [TRANSFER, NETWORK])
@pytest.mark.parametrize("scenario", WITHOUT_COURIERS)
def test_transfer_envs_refuse_a_scenario_without_couriers(env_id: str, scenario: str) -> None:
    """Transfers need couriers: the env says so at construction, naming the scenario."""
    with pytest.raises(ConfigError, match=f"couriers.*{scenario} has none"):
        gym.make(env_id, scenario=scenario)


def _check_obs(env: gym.Env, obs: Any, where: str) -> None:
    space = env.observation_space
    assert space.contains(obs), f"{where}: observation outside {space}"
    store_sku = obs["store_sku"] if isinstance(obs, dict) else obs
    assert store_sku.dtype == np.float32 and np.isfinite(store_sku).all(), where
    if isinstance(obs, dict):
        assert np.isfinite(obs["dc_sku"]).all(), where
    per_agent = store_sku.reshape(-1, N_FEATURES)
    assert per_agent.shape[0] == env.unwrapped.n_agents, where
    assert (per_agent[:, BLOCKED] == 0).all(), f"{where}: an agent is a blocked store-SKU"


def _run(env_id: str, scenario: str, kwargs: dict[str, Any], n_steps: int, seed: int) -> None:
    env = gym.make(env_id, scenario=scenario, **kwargs)
    env.action_space.seed(seed)
    obs, info = env.reset(seed=seed)
    _check_obs(env, obs, "reset")
    assert len(info["agent_store"]) == len(info["agent_sku"]) == env.unwrapped.n_agents
    episode_profit = 0.0
    for t in range(n_steps):
        action = env.action_space.sample()
        obs, reward, terminated, truncated, info = env.step(action)
        where = f"{env_id} {scenario} step {t}"
        _check_obs(env, obs, where)
        assert isinstance(reward, float) and math.isfinite(reward), where
        assert reward == info["profit"], where
        episode_profit += reward
        assert info["episode_profit"] == episode_profit, where
        assert not terminated
        for field in UNIT_FIELDS:
            assert isinstance(info[field], int) and info[field] >= 0, (where, field)
        assert info["sold_units"] + info["lost_units"] == info["demand_units"], where
        assert 0.0 <= info["fill_rate"] <= 1.0, where
        assert info["transfer_units"] >= 0 and info["release_clipped_units"] >= 0, where
        if env_id == STORE:
            assert info["transfer_units"] == info["release_clipped_units"] == 0, where
        for key, value in info["kpis"].items():  # NaN only for a mean over nothing
            assert math.isfinite(value) or (math.isnan(value) and key in NAN_OK), (where, key)
        if truncated:
            assert (t + 1) % max_steps(env_id) == 0, where
            obs, _ = env.reset()
            _check_obs(env, obs, f"{where} reset")
            episode_profit = 0.0


@pytest.mark.parametrize(
    ("env_id", "scenario", "kwargs", "n_steps"),
    [pytest.param(*c, id=f"{c[0].split('/')[1]}-{c[1]}") for c in CASES]
    + [
        pytest.param(*c, id=f"{c[0].split('/')[1]}-{c[1]}", marks=pytest.mark.slow)
        for c in SLOW_CASES
    ],
)
def test_random_rollouts_stay_in_the_observation_space(
    env_id: str, scenario: str, kwargs: dict[str, Any], n_steps: int
) -> None:
    """At every step of a long uniformly random rollout (orders up to the top pack,
    wild transfer intents): the observation is inside the declared space (finite,
    float32, clipped; the blocked feature 0 for every agent); the reward is a finite
    float equal to ``info["profit"]`` and adds up to ``info["episode_profit"]``;
    unit counts are non-negative integers with sold + lost = demand; episodes end
    only by truncation at the registered length."""
    _run(env_id, scenario, kwargs, n_steps, seed=5)


def test_network_observation_is_a_dict_of_store_and_dc_features() -> None:
    """RetailNetwork observes ``{"store_sku", "dc_sku"}`` with DC rows of 4 features
    per DC-SKU; the other retail envs observe one flat Box of 20 features per agent."""
    env = gym.make(NETWORK, scenario="yogurt_trio", warmup_days=0)
    space = env.observation_space
    assert isinstance(space, spaces.Dict) and set(space.spaces) == {"store_sku", "dc_sku"}
    net = env.unwrapped.core.network
    assert space["dc_sku"].shape == (net.n_dcs * net.n_skus * 4,)
    assert space["store_sku"].shape == (env.unwrapped.n_agents * N_FEATURES,)
    for env_id in (STORE, TRANSFER):
        flat = gym.make(env_id, scenario="yogurt_trio", warmup_days=0).observation_space
        assert isinstance(flat, spaces.Box) and flat.shape == (3 * N_FEATURES,)
        assert float(flat.low.min()) == -1.0 and float(flat.high.max()) == 50.0
