"""Shared helpers of the env tests: cheap configs, seeded rollouts, exact comparison.

The helpers are plain functions (imported as ``from tests.envs.conftest import ...``)
so a failing assertion points at the test that used them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

import envs

PERISHABLE = "ShelfLife/PerishableInventory-v0"
STORE = "ShelfLife/StoreReplenishment-v0"
TRANSFER = "ShelfLife/CityTransfer-v0"
NETWORK = "ShelfLife/RetailNetwork-v0"
ENV_IDS: tuple[str, ...] = tuple(envs.ENV_SPECS)
RETAIL_IDS = (STORE, TRANSFER, NETWORK)

# Small configs of every id: a city_fresh step with one controlled store costs
# ~15 ms (the other 11 stores still run under the baseline), a yogurt_trio step ~1.5 ms.
CHEAP_KWARGS: dict[str, dict[str, Any]] = {
    PERISHABLE: {},
    STORE: {"scenario": "city_fresh", "stores": ("S01",), "warmup_days": 0},
    TRANSFER: {"scenario": "yogurt_trio", "warmup_days": 0},
    NETWORK: {"scenario": "yogurt_trio", "warmup_days": 0},
}

# The deterministic demand of the hand-checked cases: Gamma(mean 3, cv 1e-6)
# rounded to an integer is 3 in every period.
DEMAND_EXACTLY_3: dict[str, Any] = {
    "distribution": "gamma",
    "mean": 3.0,
    "cv": 1e-6,
    "max_demand": 10,
}


def max_steps(env_id: str) -> int:
    """The registered TimeLimit of ``env_id``."""
    return envs.ENV_SPECS[env_id][1]


@dataclass
class Record:
    """One transition (or a reset, with ``action`` None and reward/flags None)."""

    action: Any
    obs: Any
    reward: float | None
    terminated: bool | None
    truncated: bool | None
    info: dict[str, Any]


def rollout(env: gym.Env, seed: int, n_steps: int, action_seed: int) -> list[Record]:
    """``n_steps`` uniformly random steps from ``reset(seed=seed)``.

    Actions come from ``env.action_space`` seeded with ``action_seed`` (its own
    generator, never numpy's global state). When an episode ends the env is reset
    without a seed (it continues from its generator) and the reset is recorded.
    """
    env.action_space.seed(action_seed)
    obs, info = env.reset(seed=seed)
    records = [Record(None, obs, None, None, None, info)]
    for _ in range(n_steps):
        action = env.action_space.sample()
        obs, reward, terminated, truncated, info = env.step(action)
        records.append(Record(action, obs, reward, terminated, truncated, info))
        if terminated or truncated:
            obs, info = env.reset()
            records.append(Record(None, obs, None, None, None, info))
    return records


def step_records(records: list[Record]) -> list[Record]:
    """The transitions of a rollout (resets left out)."""
    return [r for r in records if r.reward is not None]


def assert_identical(a: object, b: object, path: str = "") -> None:
    """Exact, recursive equality: same types, same keys in the same order, same
    array dtypes and shapes, floats equal bit for bit in value (NaN equals NaN)."""
    where = path or "<root>"
    assert type(a) is type(b), f"{where}: type {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, Record):
        for field in ("action", "obs", "reward", "terminated", "truncated", "info"):
            assert_identical(getattr(a, field), getattr(b, field), f"{path}.{field}")
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for key in a:
            assert_identical(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, f"{where}: dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{where}: shape {a.shape} != {b.shape}"
        equal_nan = a.dtype.kind in "fc"
        assert np.array_equal(a, b, equal_nan=equal_nan), f"{where}: arrays differ"
    elif isinstance(a, float | np.floating):
        assert a == b or (math.isnan(a) and math.isnan(b)), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def identical(a: object, b: object) -> bool:
    """True when ``assert_identical`` would pass."""
    try:
        assert_identical(a, b)
    except AssertionError:
        return False
    return True
