"""A trained stable-baselines3 model as a policy with the common interface."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecNormalize

from policies.rl.algos import algo_class


class SB3Agent:
    """Wraps a model and (optionally) the observation normalisation it was trained with.

    Args:
        model: a stable-baselines3 algorithm.
        normalizer: the training ``VecNormalize`` (frozen for evaluation), or None.
    """

    def __init__(self, model: Any, normalizer: VecNormalize | None = None) -> None:
        self.model = model
        self.normalizer = normalizer
        self._last: tuple[np.ndarray, np.ndarray] | None = None
        # recurrent policies (RecurrentPPO): the LSTM state carried between steps
        self._state: Any = None
        self._episode_start = True

    def reset(self, seed: int | None = None) -> None:
        self._last = None
        self._state = None
        self._episode_start = True

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = True,
    ):
        obs = np.asarray(observation, dtype=np.float32)
        single = obs.ndim == len(self.model.observation_space.shape)
        batch = obs[None] if single else obs
        if self.normalizer is not None:
            batch = self.normalizer.normalize_obs(batch)
        if state is None:
            state = self._state
        if episode_start is None:
            episode_start = np.full(len(batch), self._episode_start)
        actions, state = self.model.predict(
            batch, state=state, episode_start=episode_start, deterministic=deterministic
        )
        self._state = state  # None for feed-forward policies
        self._episode_start = False
        self._last = (np.asarray(observation), actions)
        return (actions[0] if single else actions), state

    def explain(self) -> list[str]:
        if self._last is None:
            return []
        obs, actions = self._last
        shown_actions = np.asarray(actions).ravel().tolist()[:10]
        shown_obs = np.round(obs, 2).ravel().tolist()[:10]
        return [f"learned policy: action {shown_actions} for observation {shown_obs}"]


class _SpacesOnly(gym.Env):
    """A stand-in env carrying spaces, so saved normalisation statistics can be loaded."""

    def __init__(self, observation_space: Any, action_space: Any) -> None:
        self.observation_space = observation_space
        self.action_space = action_space

    def reset(self, **_: Any):
        return self.observation_space.sample(), {}

    def step(self, action: Any):
        return self.observation_space.sample(), 0.0, False, False, {}

    def close(self) -> None: ...


def load_agent(
    model_path: str, algo_class_path: str = "stable_baselines3.PPO", stats_path: str | None = None
) -> SB3Agent:
    """A saved SB3 model (and its frozen VecNormalize statistics) as an agent."""
    from stable_baselines3.common.vec_env import DummyVecEnv

    model = algo_class(algo_class_path).load(model_path, device="cpu")
    normalizer = None
    if stats_path:
        stand_in = DummyVecEnv([lambda: _SpacesOnly(model.observation_space, model.action_space)])
        normalizer = VecNormalize.load(stats_path, stand_in)
        normalizer.training = False
        normalizer.norm_reward = False
    return SB3Agent(model, normalizer)
