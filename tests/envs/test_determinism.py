"""Same seed, same trajectory, exactly; another seed, another trajectory; time limits on the dot."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import pytest

from tests.envs.conftest import (
    CHEAP_KWARGS,
    ENV_IDS,
    NETWORK,
    PERISHABLE,
    STORE,
    TRANSFER,
    Record,
    assert_identical,
    max_steps,
    rollout,
    step_records,
)

N_STEPS = 200

CASES = [pytest.param(env_id, CHEAP_KWARGS[env_id], id=env_id.split("/")[1]) for env_id in ENV_IDS]
CASES += [
    # CityTransfer on the tiny scenario of its own docs (stores A, B, C)
    pytest.param(
        TRANSFER, {"scenario": "yogurt_trio", "warmup_days": 2}, id="CityTransfer-yogurt_warmup"
    ),
    pytest.param(
        STORE, {"scenario": "yogurt_trio", "warmup_days": 1}, id="StoreReplenishment-yogurt"
    ),
]
SLOW_CASES = [
    pytest.param(
        env_id,
        {"scenario": "city_fresh", "stores": ("S01", "S02"), "warmup_days": 1},
        id=f"{env_id.split('/')[1]}-city_fresh",
        marks=pytest.mark.slow,
    )
    for env_id in (TRANSFER, NETWORK)
]


def _check_time_limit(records: list[Record], limit: int) -> None:
    """Truncated exactly at every ``limit``-th step of an episode, never terminated."""
    steps = step_records(records)
    assert not any(r.terminated for r in steps)
    truncated_at = [i + 1 for i, r in enumerate(steps) if r.truncated]
    assert truncated_at == list(range(limit, len(steps) + 1, limit))
    assert all(isinstance(r.truncated, bool) and isinstance(r.terminated, bool) for r in steps)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES + SLOW_CASES)
def test_same_seed_same_trajectory_other_seed_differs(env_id: str, kwargs: dict[str, Any]) -> None:
    """Two envs built alike, reset with one seed and fed the same seeded random
    actions, agree exactly (observations, rewards, flags, infos recursively, floats
    bit for bit) for 200 steps, across time-limit truncations and unseeded resets;
    the TimeLimit cuts every episode at the registered length; and another seed
    (same actions) gives other rewards."""
    n_steps = max(N_STEPS, max_steps(env_id) + 35)  # PerishableInventory: cross its 365
    a = rollout(gym.make(env_id, **kwargs), seed=7, n_steps=n_steps, action_seed=3)
    b = rollout(gym.make(env_id, **kwargs), seed=7, n_steps=n_steps, action_seed=3)
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        assert_identical(x, y, f"record {i}")
    _check_time_limit(a, max_steps(env_id))

    other = rollout(gym.make(env_id, **kwargs), seed=8, n_steps=20, action_seed=3)
    assert other[0].info["sim_seed"] != a[0].info["sim_seed"]
    rewards_a = [r.reward for r in step_records(a)[:20]]
    rewards_other = [r.reward for r in step_records(other)]
    assert [r.action.tolist() for r in step_records(other)] == [
        r.action.tolist() for r in step_records(a)[:20]
    ]
    assert rewards_a != rewards_other


@pytest.mark.parametrize("env_id", [PERISHABLE, TRANSFER, NETWORK])
def test_one_env_reset_with_the_same_seed_replays_itself(env_id: str) -> None:
    """Re-seeding the same instance replays its first run exactly: nothing of an
    episode (forecasts, counters, pipeline, episode profit) leaks into the next."""
    env = gym.make(env_id, **CHEAP_KWARGS[env_id])
    first = rollout(env, seed=11, n_steps=60, action_seed=5)
    rollout(env, seed=12, n_steps=30, action_seed=6)  # something else in between
    again = rollout(env, seed=11, n_steps=60, action_seed=5)
    for i, (x, y) in enumerate(zip(first, again, strict=True)):
        assert_identical(x, y, f"record {i}")


def test_retail_time_limits_in_steps_are_days_times_steps_per_day() -> None:
    """The retail envs' registered limits are 28 days: one step a day for orders,
    three a day (09:00, 13:00, 17:00) when transfers are decided."""
    assert max_steps(STORE) == 28
    assert max_steps(TRANSFER) == max_steps(NETWORK) == 28 * 3
    for env_id in (TRANSFER, NETWORK):
        env = gym.make(env_id, **CHEAP_KWARGS[env_id])
        assert tuple(env.unwrapped.config.step_hours()) == (9.0, 13.0, 17.0)
    env = gym.make(STORE, **CHEAP_KWARGS[STORE])
    assert tuple(env.unwrapped.config.step_hours()) == (9.0,)
