"""PerishableInventory-v0's array engine and vector env against the simulator path, to the bit."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envs.perishable.vector import PerishableInventoryVectorEnv
from sim.demand.stationary import BLOCK_DAYS
from sim.errors import ActionError, ConfigError
from tests.envs.conftest import PERISHABLE

GRID_CELLS = [
    {"life_days": m, "lead_time": lead, "issuing": rule}
    for m in (2, 3, 4)
    for lead in (1, 2)
    for rule in ("fifo", "lifo")
]


def trajectory(env: gym.Env, seed: int, actions: np.ndarray) -> list[tuple[Any, ...]]:
    """(obs, reward, terminated, truncated, info) of every step; resets after a truncation."""
    obs, info = env.reset(seed=seed)
    out: list[tuple[Any, ...]] = [(obs.tobytes(), info["sim_seed"])]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(int(a))
        out.append((obs.tobytes(), obs.dtype, reward, terminated, truncated, info))
        if truncated:
            obs, info = env.reset()
            out.append((obs.tobytes(), info["sim_seed"]))
    return out


@pytest.mark.parametrize(
    "cell", GRID_CELLS, ids=lambda c: "m{life_days}_L{lead_time}_{issuing}".format(**c)
)
def test_array_engine_equals_the_simulator_on_every_grid_cell(cell: dict[str, Any]) -> None:
    """400 random orders (past a demand block and the 365-period time limit): observations,
    rewards (as floats, bit for bit), ends and every info value are equal."""
    actions = np.random.default_rng(7).integers(0, 11, 400)
    runs = [
        trajectory(gym.make(PERISHABLE, engine=engine, **cell), 11, actions)
        for engine in ("arrays", "simpy")
    ]
    assert runs[0] == runs[1]
    assert len(runs[0]) == 400 + 2 and 400 > 365 > BLOCK_DAYS


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    life=st.integers(0, 6),
    lead=st.integers(0, 3),
    rule=st.sampled_from(["fifo", "lifo"]),
    poisson=st.booleans(),
    mean=st.floats(0.5, 12.0),
    max_order=st.integers(1, 15),
    seed=st.integers(0, 2**31),
)
def test_array_engine_equals_the_simulator_anywhere(
    life: int, lead: int, rule: str, poisson: bool, mean: float, max_order: int, seed: int
) -> None:
    """Any life (0 = non-perishable, with its stock cap), lead time, rule, demand law and
    order range: the two engines agree to the bit over 80 random periods."""
    if life == 1 and lead == 0:
        return  # refused by both (an empty state)
    demand = (
        {"distribution": "poisson", "mean": mean}
        if poisson
        else {"distribution": "gamma", "mean": mean, "cv": 0.7, "max_demand": int(3 * mean) + 1}
    )
    kwargs = {
        "life_days": life, "lead_time": lead, "issuing": rule, "demand": demand,
        "max_order": max_order, "max_stock": 3 * max_order if life == 0 else None,
        "holding_cost": 0.37, "waste_cost": 1.9,
    }  # fmt: skip
    actions = np.random.default_rng(seed).integers(0, max_order + 1, 80)
    runs = [
        trajectory(gym.make(PERISHABLE, engine=engine, **kwargs), seed, actions)
        for engine in ("arrays", "simpy")
    ]
    assert runs[0] == runs[1]


def test_vector_env_is_the_single_envs_seeded_seed_plus_i() -> None:
    """Replication i of the vector env reset with seed s = the single env (time limit 365)
    seeded s + i, restarted after its truncation: observations, rewards, ends and info
    values; SAME_STEP autoreset puts the last observation and info in final_obs/final_info."""
    cell = {"life_days": 3, "lead_time": 2, "issuing": "lifo"}
    n, steps = 3, 400
    actions = np.random.default_rng(3).integers(0, 11, (steps, n))
    venv = gym.make_vec(PERISHABLE, num_envs=n, vectorization_mode="vector_entry_point", **cell)
    assert isinstance(venv, PerishableInventoryVectorEnv) and venv.max_episode_steps == 365
    singles = [gym.make(PERISHABLE, **cell) for _ in range(n)]
    obs, info = venv.reset(seed=20)
    for i, env in enumerate(singles):
        single_obs, single_info = env.reset(seed=20 + i)
        assert obs[i].tobytes() == single_obs.tobytes()
        assert info["sim_seed"][i] == single_info["sim_seed"]
    for t in range(steps):
        obs, rewards, terminated, truncated, info = venv.step(actions[t])
        assert (
            not terminated.any() and truncated.all() == (t == 364) and truncated.any() == (t == 364)
        )
        for i, env in enumerate(singles):
            s_obs, s_reward, s_term, s_trunc, s_info = env.step(int(actions[t, i]))
            assert (bool(s_term), bool(s_trunc)) == (bool(terminated[i]), bool(truncated[i]))
            assert float(rewards[i]) == s_reward
            assert len(s_info) == 14 and set(s_info) <= set(info)
            for key in s_info:
                assert info[key][i] == s_info[key], key
            if s_trunc:
                assert info["final_obs"][i].tobytes() == s_obs.tobytes()
                assert info["final_info"]["cost"][i] == s_info["cost"]
                s_obs, _ = env.reset()
            assert obs[i].tobytes() == s_obs.tobytes()


def test_vector_env_refuses_bad_actions_and_arguments_by_name() -> None:
    venv = PerishableInventoryVectorEnv(num_envs=2, max_order=4)
    with pytest.raises(RuntimeError, match="reset"):
        venv.step(np.zeros(2, dtype=np.int64))
    venv.reset(seed=0)
    before = venv.reset(seed=0)[0].copy()
    for bad, match in (
        (np.array([1, 5]), r"actions\[1\]: 5; allowed: 0..4"),
        (np.array([1.5, 0.0]), "fractional"),
        (np.array([1]), r"shape \(1,\)"),
        (np.array([-1, 0]), r"actions\[0\]: -1"),
    ):
        with pytest.raises(ActionError, match=match):
            venv.step(bad)
    obs, *_ = venv.step(np.array([0, 0]))
    assert obs.shape == before.shape  # the refused steps changed nothing: one period passed
    for kwargs, name in (
        ({"num_envs": 0}, "num_envs"),
        ({"engine": "simpy"}, "engine"),
        ({"life_days": 99}, "life_days"),
    ):
        with pytest.raises(ConfigError, match=name):
            PerishableInventoryVectorEnv(**kwargs)


def test_array_engine_passes_the_checker_and_refuses_unknown_engines() -> None:
    check_env(gym.make(PERISHABLE, engine="arrays").unwrapped, skip_render_check=True)
    with pytest.raises(ConfigError, match=r"engine.*arrays or simpy"):
        gym.make(PERISHABLE, engine="numba")
