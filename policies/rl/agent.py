"""A trained stable-baselines3 model as a policy with the common interface."""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecNormalize


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

    def reset(self, seed: int | None = None) -> None:
        self._last = None

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
        actions, state = self.model.predict(
            batch, state=state, episode_start=episode_start, deterministic=deterministic
        )
        self._last = (np.asarray(observation), actions)
        return (actions[0] if single else actions), state

    def explain(self) -> list[str]:
        if self._last is None:
            return []
        obs, actions = self._last
        shown_actions = np.asarray(actions).ravel().tolist()[:10]
        shown_obs = np.round(obs, 2).ravel().tolist()[:10]
        return [f"learned policy: action {shown_actions} for observation {shown_obs}"]
