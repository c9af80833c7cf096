"""Heuristics play the envs through the common interface."""

import gymnasium as gym
import numpy as np

import envs  # noqa: F401
from policies.agent import HeuristicAgent
from policies.heuristics import BaseStock, FacingsDays


def play(env, agent, steps, seed=0):
    obs, _ = env.reset(seed=seed)
    agent.reset(seed)
    total = 0.0
    for _ in range(steps):
        action, _ = agent.predict(obs)
        obs, reward, term, trunc, _ = env.step(action)
        total += reward
        if term or trunc:
            obs, _ = env.reset()
    return total


def test_fixed_base_stock_plays_the_perishable_env():
    env = gym.make("ShelfLife/PerishableInventory-v0")
    agent = HeuristicAgent(BaseStock(level_units=9), env)
    obs, _ = env.reset(seed=1)
    action, _ = agent.predict(obs)
    assert action == 9  # empty start: order up to 9
    assert agent.explain() == ["order 9: up to 9 − on hand 0 − on order 0"]
    # a sensible base stock beats ordering nothing (every unit of demand lost at p = 5)
    assert play(env, agent, 200) > play(env, HeuristicAgent(BaseStock(level_units=0), env), 200)


def test_facings_days_plays_the_store_env_and_explains_its_orders():
    env = gym.make("ShelfLife/StoreReplenishment-v0", stores=("S01",), warmup_days=1)
    agent = HeuristicAgent(FacingsDays(safety_days=1.0), env)
    obs, _ = env.reset(seed=0)
    action, _ = agent.predict(obs)
    assert env.action_space.contains(action)
    reasons = agent.explain()
    assert reasons and all(r.startswith("order ") for r in reasons)
    assert np.isfinite(play(env, agent, 5))
