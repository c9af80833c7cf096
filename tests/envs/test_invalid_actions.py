"""Invalid actions raise ``ActionError`` naming what is allowed, and change nothing."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from envs.common.actions import validate_multidiscrete
from sim.errors import ActionError
from tests.envs.conftest import (
    CHEAP_KWARGS,
    NETWORK,
    PERISHABLE,
    RETAIL_IDS,
    Record,
    assert_identical,
)

SEED = 21


@pytest.fixture(scope="module")
def made() -> dict[str, gym.Env]:
    """One env of each id on its cheap config, built once for the module."""
    return {env_id: gym.make(env_id, **CHEAP_KWARGS[env_id]) for env_id in CHEAP_KWARGS}


def discrete_bad_actions(n: int) -> list[tuple[str, object, str]]:
    """(label, action, regex of the message) for ``Discrete(n)``: 0..n-1 allowed."""
    top = n - 1
    allowed = rf"allowed: an integer 0\.\.{top}"
    return [
        ("vector of two", np.array([1, 2]), r"shape \(2,\); allowed: a single integer"),
        ("matrix", np.array([[1]]), r"shape \(1, 1\); allowed: a single integer"),
        ("empty", np.array([], dtype=np.int64), r"shape \(0,\); allowed: a single integer"),
        ("NaN", float("nan"), rf"nan; {allowed}"),
        ("NaN array", np.array([np.nan]), rf"nan; {allowed}"),
        ("infinity", float("inf"), rf"inf; {allowed}"),
        ("negative", -1, rf"-1; {allowed}"),
        ("negative float", -1.0, rf"-1; {allowed}"),
        ("one past the top", n, rf"{n}; {allowed}"),
        ("huge", 10**30, r"dtype object; allowed: an integer"),
        ("huge float", 1e30, allowed),
        ("fraction", 2.5, rf"2\.5; {allowed}"),
        ("fraction float32", np.float32(0.25), rf"0\.25; {allowed}"),
        ("True", True, rf"dtype bool; {allowed}"),
        ("numpy bool", np.bool_(False), rf"dtype bool; {allowed}"),
        ("bool array", np.array([True]), rf"dtype bool; {allowed}"),
        ("string", "3", rf"dtype <U1; {allowed}"),
        ("bytes", b"3", rf"dtype \|S1; {allowed}"),
        ("None", None, rf"dtype object; {allowed}"),
        ("complex", 3 + 0j, rf"dtype complex128; {allowed}"),
    ]


def multidiscrete_bad_actions(space: spaces.MultiDiscrete) -> list[tuple[str, object, str]]:
    """(label, action, regex of the message) for a 1-D ``MultiDiscrete``."""
    n = space.shape[0]
    nvec = space.nvec
    k = n - 1  # the last component: catches an off-by-one in the reported index
    top = int(nvec[k]) - 1

    def with_value(value: object, dtype: object = None) -> np.ndarray:
        arr = np.zeros(n, dtype=dtype or np.asarray(value).dtype)
        arr[k] = value
        return arr

    return [
        ("one short", np.zeros(n - 1, dtype=np.int64), rf"shape \({n - 1},\); allowed: \({n},\)"),
        ("one long", np.zeros(n + 1, dtype=np.int64), rf"shape \({n + 1},\); allowed: \({n},\)"),
        ("row matrix", np.zeros((1, n), dtype=np.int64), rf"shape \(1, {n}\); allowed: \({n},\)"),
        ("scalar", 0, rf"shape \(\); allowed: \({n},\)"),
        ("NaN", with_value(np.nan), r"NaN or infinity; allowed: integers"),
        ("infinity", with_value(-np.inf), r"NaN or infinity; allowed: integers"),
        ("negative", with_value(-1), rf"\[{k}\]: -1; allowed: 0\.\.{top}"),
        ("negative float", with_value(-1.0), rf"\[{k}\]: -1; allowed: 0\.\.{top}"),
        ("one past the top", with_value(top + 1), rf"\[{k}\]: {top + 1}; allowed: 0\.\.{top}"),
        ("fraction", with_value(0.5), r"fractional values; allowed: integers"),
        ("bool array", np.ones(n, dtype=bool), r"dtype bool; allowed: integers"),
        ("string array", np.array(["1"] * n), r"dtype <U1; allowed: integers"),
        ("string", "1" * n, rf"shape \(\); allowed: \({n},\)"),
        ("None", None, rf"shape \(\); allowed: \({n},\)"),
        ("objects", np.array([None] * n), r"dtype object; allowed: integers"),
    ]


def bad_actions(env: gym.Env) -> list[tuple[str, object, str]]:
    space = env.action_space
    if isinstance(space, spaces.Discrete):
        return discrete_bad_actions(int(space.n))
    return multidiscrete_bad_actions(space)


def _step(env: gym.Env, action: object) -> Record:
    obs, reward, terminated, truncated, info = env.step(action)
    return Record(None, obs, reward, terminated, truncated, info)


@pytest.mark.parametrize("env_id", list(CHEAP_KWARGS))
def test_invalid_actions_raise_action_error_and_leave_the_state_untouched(
    made: dict[str, gym.Env], env_id: str
) -> None:
    """Every malformed action (wrong shape, NaN, infinity, negative, past the top,
    fractional, bool, str, bytes, None, complex) raises ``ActionError`` whose message
    names the offending value or shape and what is allowed; after all of them,
    interleaved between valid steps, the env continues exactly as a twin that never
    saw a bad action (same observations, rewards, infos)."""
    env = made[env_id]
    twin = gym.make(env_id, **CHEAP_KWARGS[env_id])
    gen = np.random.default_rng(4)
    valid = [_draw(env.action_space, gen) for _ in range(4)]

    env.reset(seed=SEED)
    twin.reset(seed=SEED)
    cases = bad_actions(env)
    for i, action in enumerate(valid):
        # a third of the bad actions before each of the first three valid steps
        for label, bad, message in cases[i::3] if i < 3 else []:
            with pytest.raises(ActionError, match=message) as err:
                env.step(bad)
            assert "allowed" in str(err.value), label
        assert_identical(_step(env, action), _step(twin, action), f"step {i} after bad actions")


def _draw(space: spaces.Space, gen: np.random.Generator) -> np.ndarray | np.int64:
    """A valid action from ``gen`` (no global numpy state)."""
    if isinstance(space, spaces.Discrete):
        return np.int64(gen.integers(0, space.n))
    return gen.integers(0, space.nvec).astype(np.int64)


@pytest.mark.parametrize("env_id", list(CHEAP_KWARGS))
def test_equivalent_valid_forms_give_the_same_step(made: dict[str, gym.Env], env_id: str) -> None:
    """What the docs allow is accepted in every numeric form: Python ints and lists,
    numpy ints of any width, integral floats; all give the same transition."""
    env = made[env_id]
    space = env.action_space
    if isinstance(space, spaces.Discrete):
        forms: list[object] = [3, np.int64(3), np.uint8(3), np.array(3), np.array([3]), 3.0]
    else:
        base = np.minimum(np.arange(space.shape[0]) % 3, space.nvec - 1)
        forms = [
            base,
            base.tolist(),
            base.astype(np.int32),
            base.astype(np.uint16),
            base.astype(np.float64),
            base.astype(np.float32),
        ]
    results = []
    for action in forms:
        env.reset(seed=SEED)
        results.append(_step(env, action))
    for i, result in enumerate(results[1:], start=1):
        assert_identical(results[0], result, f"form {i}")


def test_step_before_reset_is_refused() -> None:
    """A fresh env refuses ``step`` until ``reset`` (Gymnasium's OrderEnforcing and
    the env's own guard), rather than stepping an undefined state."""
    env = gym.make(PERISHABLE)
    with pytest.raises(gym.error.ResetNeeded):
        env.step(0)
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.step(0)


@pytest.mark.parametrize("env_id", RETAIL_IDS)
def test_action_vector_layout_is_as_documented(made: dict[str, gym.Env], env_id: str) -> None:
    """The MultiDiscrete vectors are laid out as documented: store orders in
    ``max_order_packs + 1`` values per agent, DC orders in ``max_dc_order_packs + 1``
    per DC-SKU, transfer intents in ``2 · max_transfer_units + 1`` per agent."""
    env = made[env_id].unwrapped
    cfg = env.config
    n = env.n_agents
    net = env.core.network
    parts = {
        "ShelfLife/StoreReplenishment-v0": [cfg.max_order_packs + 1] * n,
        "ShelfLife/CityTransfer-v0": [2 * cfg.max_transfer_units + 1] * n,
        NETWORK: [cfg.max_order_packs + 1] * n
        + [cfg.max_dc_order_packs + 1] * (net.n_dcs * net.n_skus)
        + [2 * cfg.max_transfer_units + 1] * n,
    }[env_id]
    assert env.action_space.nvec.tolist() == parts


# --------------------------------------------------------------------------- bugs
# The two tests below fail today (see the report): ``validate_multidiscrete`` casts
# with ``arr.astype(np.int64)`` (envs/common/actions.py:50) before checking the range.


def test_float_beyond_int64_is_an_action_error_not_a_numpy_warning() -> None:
    """A finite float too large for int64 (1e20 packs) must raise ``ActionError``
    naming it, under warnings-as-errors too. Today the cast emits numpy's
    ``RuntimeWarning: invalid value encountered in cast`` (raised as an error under
    ``-W error``) and otherwise reports ``-9223372036854775808``, a value nobody sent."""
    space = spaces.MultiDiscrete([9, 9, 9])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ActionError, match=r"allowed: 0\.\.8") as err:
            validate_multidiscrete(np.array([1e20, 0.0, 0.0]), space)
    assert "-9223372036854775808" not in str(err.value)


def test_uint64_beyond_int64_is_reported_with_its_own_value() -> None:
    """An unsigned 2**64 − 1 is refused with its real value in the message; today it
    wraps to ``-1`` in the cast and the message says ``action[0]: -1``."""
    space = spaces.MultiDiscrete([9, 9, 9])
    action = np.array([2**64 - 1, 0, 0], dtype=np.uint64)
    with pytest.raises(ActionError, match=r"18446744073709551615; allowed: 0\.\.8"):
        validate_multidiscrete(action, space)
