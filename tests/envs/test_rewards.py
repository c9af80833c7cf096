"""Retail rewards: what the docs say they add up to, checked against independent books."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.envs.conftest import NETWORK, RETAIL_IDS, STORE, TRANSFER, assert_identical

PENALTY = 2.5  # per lost unit; exact in binary
YOGURT = {"scenario": "yogurt_trio", "warmup_days": 1}


@pytest.fixture(scope="module")
def twins() -> dict[str, tuple[gym.Env, gym.Env]]:
    """Per retail id on yogurt_trio (every store an agent): an env without and one
    with a stockout penalty, built once for the module."""
    return {
        env_id: (
            gym.make(env_id, **YOGURT),
            gym.make(env_id, stockout_penalty_per_unit=PENALTY, **YOGURT),
        )
        for env_id in RETAIL_IDS
    }


def _actions(space: gym.spaces.MultiDiscrete, seed: int, n: int) -> list[np.ndarray]:
    gen = np.random.default_rng(seed)
    return [gen.integers(0, space.nvec).astype(np.int64) for _ in range(n)]


@settings(max_examples=20)
@given(
    env_id=st.sampled_from(RETAIL_IDS),
    seed=st.integers(0, 2**31 - 1),
    action_seed=st.integers(0, 2**31 - 1),
    n_steps=st.integers(2, 12),
)
def test_reward_is_the_profit_and_the_penalty_only_moves_the_reward(
    twins: dict[str, tuple[gym.Env, gym.Env]],
    env_id: str,
    seed: int,
    action_seed: int,
    n_steps: int,
) -> None:
    """For any seed and actions, with every store-SKU an agent:

    - ``reward == info["profit"]`` and the rewards add up to ``info["episode_profit"]``;
    - a stockout penalty changes nothing but the reward (same observations, same
      units, same KPIs), and lowers it by exactly ``penalty × lost units``;
    - RetailNetwork's rewards (stores, trucks, couriers, DCs) add up to the change
      of the chain profit KPI, which ``sim.kpis`` computes from its own counters.
    """
    plain, penalised = twins[env_id]
    obs0, _ = plain.reset(seed=seed)
    obs1, _ = penalised.reset(seed=seed)
    assert_identical(obs0, obs1)
    total = 0.0
    rewards = []
    kpi_profit = []
    for t, action in enumerate(_actions(plain.action_space, action_seed, n_steps)):
        obs0, r0, *_, info0 = plain.step(action)
        obs1, r1, *_, info1 = penalised.step(action)
        where = f"step {t}"
        assert_identical(obs0, obs1, where)
        assert r0 == info0["profit"] and r1 == info1["profit"], where
        total += r0
        assert info0["episode_profit"] == total, where
        for key in info0.keys() - {"profit", "episode_profit"}:
            assert_identical(info0[key], info1[key], f"{where} info[{key!r}]")
        assert r1 == pytest.approx(r0 - PENALTY * info0["lost_units"], rel=1e-12, abs=1e-9)
        rewards.append(r0)
        kpi_profit.append(info0["kpis"]["profit"])
    if env_id == NETWORK:
        # the KPI before the first step is not observable: compare from step 1 on
        change = kpi_profit[-1] - kpi_profit[0]
        assert sum(rewards[1:]) == pytest.approx(change, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("env_id", [STORE, TRANSFER])
def test_reward_counts_only_the_agent_store_skus(env_id: str) -> None:
    """With ``stores=("A",)`` only A's store-SKUs are agents, and the documented
    reward is their profit: a stockout penalty must cost ``penalty × A's lost
    units``, not the lost units of B and C (which run under the baseline; B starts
    with 5 units and sells ~8 a day, so it loses sales at once).

    White box: A's lost units are read from the simulator's counters, since the
    step's ``info["lost_units"]`` covers every store.
    """
    kwargs = {"scenario": "yogurt_trio", "stores": ("A",), "warmup_days": 0}
    plain = gym.make(env_id, **kwargs)
    penalised = gym.make(env_id, stockout_penalty_per_unit=100.0, **kwargs)
    plain.reset(seed=3)
    penalised.reset(seed=3)
    store_a = [s.store_id for s in plain.unwrapped.core.network.stores].index("A")
    core = penalised.unwrapped.core

    def lost_at_a() -> int:
        return int(core.sim.counters_view().store.lost_units[store_a].sum())

    others_lost = 0
    for action in _actions(plain.action_space, 0, 9):
        lost_a_before = lost_at_a()
        _, r0, *_ = plain.step(action)
        _, r1, *_, info = penalised.step(action)
        lost_a = lost_at_a() - lost_a_before
        others_lost += info["lost_units"] - lost_a
        assert r0 - r1 == pytest.approx(100.0 * lost_a, rel=1e-12, abs=1e-9)
    assert others_lost > 0  # the check above could tell the two readings apart
