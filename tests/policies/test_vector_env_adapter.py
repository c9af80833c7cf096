"""``VectorEnvAsVecEnv``: the batched PerishableInventory vector env under SB3 is the
``DummyVecEnv`` of single envs it replaces, step for step."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import SyncVectorEnv
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv

import envs  # noqa: F401 - registers the ShelfLife ids
from policies.rl.vec_env import VectorEnvAsVecEnv
from sim.errors import ConfigError

PERISHABLE = "ShelfLife/PerishableInventory-v0"
CELL = {"life_days": 2, "lead_time": 2, "issuing": "fifo"}


def test_adapter_equals_dummy_vec_env_of_single_envs_across_the_time_limit() -> None:
    n = 4
    batched = VectorEnvAsVecEnv(
        gym.make_vec(PERISHABLE, num_envs=n, vectorization_mode="vector_entry_point", **CELL)
    )
    dummy = DummyVecEnv([lambda: gym.make(PERISHABLE, **CELL) for _ in range(n)])
    batched.seed(30)
    dummy.seed(30)
    obs_b, obs_d = batched.reset(), dummy.reset()
    assert np.array_equal(obs_b, obs_d)
    actions = np.random.default_rng(0).integers(0, 11, (370, n))
    for t, a in enumerate(actions):
        obs_b, rew_b, done_b, info_b = batched.step(a)
        obs_d, rew_d, done_d, info_d = dummy.step(a)
        assert np.array_equal(obs_b, obs_d) and np.array_equal(rew_b, rew_d)
        assert rew_b.dtype == rew_d.dtype and np.array_equal(done_b, done_d)
        assert done_b.any() == (t == 364)
        for i in np.flatnonzero(done_d):
            assert np.array_equal(
                info_b[i]["terminal_observation"], info_d[i]["terminal_observation"]
            )
            assert info_b[i]["TimeLimit.truncated"] is info_d[i]["TimeLimit.truncated"] is True


def test_ppo_learns_on_the_adapter_and_next_step_vector_envs_are_refused() -> None:
    venv = VectorEnvAsVecEnv(
        gym.make_vec(PERISHABLE, num_envs=8, vectorization_mode="vector_entry_point", **CELL)
    )
    model = PPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=1024)
    assert model.num_timesteps == 1024
    next_step = SyncVectorEnv([lambda: gym.make(PERISHABLE, **CELL)])  # NEXT_STEP autoreset
    with pytest.raises(ConfigError, match="SAME_STEP"):
        VectorEnvAsVecEnv(next_step)
