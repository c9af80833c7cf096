"""The SKU-agent vector envs: shapes, determinism, autoreset, rewards that add up, SB3 training."""

import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch

import envs  # noqa: F401 - registers the ids
from envs.retail.config import Control
from envs.sku_agents import N_AGENT_FEATURES, SkuAgentVectorEnv
from policies.rl.vec_env import SkuAgentVecEnv
from sim.errors import ActionError

TRANSFERS = Control.STORE_ORDERS | Control.TRANSFERS


def test_every_store_sku_is_one_sub_env():
    venv = SkuAgentVectorEnv(scenario="city_fresh", episode_days=2, warmup_days=0)
    net = venv.agents.core.network
    assert venv.num_envs == int((~net.store_sku.blocked).sum())
    obs, _ = venv.reset(seed=0)
    assert obs.shape == (venv.num_envs, N_AGENT_FEATURES)
    assert venv.observation_space.contains(obs)
    assert venv.single_action_space == gym.spaces.Discrete(9)


def test_same_seed_same_trajectory_and_a_different_seed_differs():
    def rollout(seed: int):
        venv = SkuAgentVectorEnv(
            scenario="yogurt_trio", episode_days=3, controls=TRANSFERS, warmup_days=1
        )
        venv.action_space.seed(seed)
        obs, _ = venv.reset(seed=seed)
        out = [obs]
        for _ in range(12):  # crosses an episode end (9 steps) and the autoreset
            obs, reward, _, trunc, _ = venv.step(venv.action_space.sample())
            out += [obs, reward, trunc]
        return out

    a, b, c = rollout(4), rollout(4), rollout(5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_episode_end_truncates_all_agents_and_autoresets_in_the_same_step():
    venv = SkuAgentVectorEnv(
        scenario="yogurt_trio", episode_days=2, controls=TRANSFERS, warmup_days=0
    )
    venv.reset(seed=0)
    for step in range(6):
        keep_everything = np.tile([0, 10], (3, 1))  # order nothing, intent 0 (= 10 - 10)
        obs, _, term, trunc, info = venv.step(keep_everything)
        assert not term.any()
        if step < 5:
            assert not trunc.any() and "final_obs" not in info
    assert trunc.all() and info["_final_obs"].all()
    assert info["final_obs"].shape == obs.shape
    assert venv.agents.steps_in_episode == 0  # the new episode started


def test_agent_rewards_add_up_to_the_store_env_reward():
    kwargs = dict(scenario="city_fresh", stores=("S01", "S02"), warmup_days=1)
    venv = SkuAgentVectorEnv(episode_days=5, **kwargs)
    env = gym.make("ShelfLife/StoreReplenishment-v0", **kwargs)
    venv.reset(seed=9)
    env.reset(seed=9)  # both draw the simulator seed the same way from the same generator
    gen = np.random.default_rng(0)
    for _ in range(4):
        packs = gen.integers(0, 9, venv.num_envs)
        _, rewards, *_ = venv.step(packs)
        _, reward, *_ = env.step(packs)
        assert float(rewards.astype(np.float64).sum()) == pytest.approx(reward, rel=1e-5, abs=1e-3)


def test_invalid_batch_actions_are_refused():
    venv = SkuAgentVectorEnv(scenario="yogurt_trio", episode_days=2, warmup_days=0)
    venv.reset(seed=0)
    with pytest.raises(ActionError, match="shape"):
        venv.step(np.zeros(5, dtype=np.int64))
    with pytest.raises(ActionError, match=r"allowed: 0\.\.8"):
        venv.step(np.array([0, 9, 1]))
    with pytest.raises(ActionError, match="NaN"):
        venv.step(np.array([0.0, np.nan, 1.0]))


def test_ppo_mlp_trains_on_city_fresh_without_glue_code():
    from stable_baselines3 import PPO

    torch.set_num_threads(1)
    venv = SkuAgentVecEnv(scenario="city_fresh", episode_days=2, warmup_days=0, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = PPO(
            "MlpPolicy", venv, n_steps=4, batch_size=venv.num_envs, n_epochs=1, seed=0, device="cpu"
        )
        model.learn(total_timesteps=venv.num_envs * 8)  # crosses an episode end (6 steps)
    assert model.num_timesteps == venv.num_envs * 8
    actions, _ = model.predict(venv.reset(), deterministic=True)
    assert actions.shape == (venv.num_envs,)
