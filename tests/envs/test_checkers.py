"""Gymnasium's and stable-baselines3's env checkers accept every registered id, warning-free."""

from __future__ import annotations

import warnings

import gymnasium as gym
import pytest
from gymnasium import logger as gym_logger
from gymnasium.utils.env_checker import check_env as gym_check_env
from gymnasium.wrappers import TimeLimit
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import envs
from tests.envs.conftest import ENV_IDS


def test_the_four_ids_are_registered_with_their_time_limits() -> None:
    """The ``ShelfLife/`` namespace holds exactly the four documented ids, each made
    with a TimeLimit of the registered length and the env's own entry point."""
    registered = sorted(i for i in gym.registry if i.startswith("ShelfLife/"))
    assert registered == sorted(
        [
            "ShelfLife/PerishableInventory-v0",
            "ShelfLife/StoreReplenishment-v0",
            "ShelfLife/CityTransfer-v0",
            "ShelfLife/RetailNetwork-v0",
        ]
    )
    for env_id, (entry_point, steps) in envs.ENV_SPECS.items():
        spec = gym.spec(env_id)
        assert spec.entry_point == entry_point
        assert spec.max_episode_steps == steps


def test_warnings_really_are_errors_inside_the_checks() -> None:
    """The checks below would be hollow if Gymnasium's logger were muted or a filter
    swallowed warnings: a probe warning must raise under the same settings."""
    assert gym_logger.min_level <= gym_logger.WARN
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="probe"):
            gym_logger.warn("probe")


@pytest.mark.parametrize("render_mode", [None, "ansi"])
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_checkers_pass_without_a_single_warning(env_id: str, render_mode: str | None) -> None:
    """Both checkers pass on the default config of every id, for both render modes,
    with every warning turned into an error; in "ansi" mode ``render()`` returns a
    non-empty str after reset and after a step, and None otherwise."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make(env_id, render_mode=render_mode)
        assert isinstance(env, gym.Wrapper) and env.spec is not None
        assert any(isinstance(w, TimeLimit) for w in _wrappers(env))
        gym_check_env(env.unwrapped)  # its render check also makes the other render mode
        sb3_check_env(env.unwrapped, warn=True, skip_render_check=False)

        env.reset(seed=0)
        text = env.render()
        if render_mode == "ansi":
            assert isinstance(text, str) and text.strip()
            env.action_space.seed(0)
            env.step(env.action_space.sample())
            after = env.render()
            assert isinstance(after, str) and after.strip()
        else:
            assert text is None
        env.close()


def _wrappers(env: gym.Env) -> list[gym.Env]:
    chain = []
    while isinstance(env, gym.Wrapper):
        chain.append(env)
        env = env.env
    return chain
