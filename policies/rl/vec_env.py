"""The SKU-agent vector env as a stable-baselines3 ``VecEnv``.

``PPO("MlpPolicy", SkuAgentVecEnv(scenario="city_fresh"))`` trains one shared
per-(store, SKU) policy: each store-SKU is one of the ``num_envs`` sub-envs
(see ``envs.sku_agents``). All sub-envs end together; at that step ``dones``
is all True, each ``infos[i]`` holds ``terminal_observation`` and
``TimeLimit.truncated = True`` (episodes end by time, so SB3 bootstraps), and
the returned observations are the new episode's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices

from envs.sku_agents import SkuAgents


class SkuAgentVecEnv(VecEnv):
    """stable-baselines3 ``VecEnv`` over ``envs.sku_agents.SkuAgents``.

    Args:
        episode_days: days per episode.
        seed: seed of the generator that draws each episode's simulator seed
            (``VecEnv.seed`` overrides it for the next reset).
        **config: ``RetailEnvConfig`` fields.
    """

    def __init__(self, episode_days: int = 28, seed: int | None = None, **config: Any) -> None:
        self.agents = SkuAgents(episode_days=episode_days, **config)
        super().__init__(
            self.agents.num_agents, self.agents.observation_space, self.agents.action_space
        )
        self._rng = np.random.default_rng(seed)
        self._actions: np.ndarray | None = None
        self._empty: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]

    def _next_sim_seed(self) -> int:
        if self._seeds[0] is not None:
            # SB3 gives one seed per sub-env; they share one simulator, so the first decides
            self._rng = np.random.default_rng(self._seeds[0])
            self._reset_seeds()
        return int(self._rng.integers(0, 2**62))

    def reset(self) -> np.ndarray:
        obs = self.agents.reset(self._next_sim_seed())
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        rewards, over = self.agents.step(self._actions)
        if not over:
            # nothing is written into infos on ordinary steps: share one list of empty dicts
            return self.agents.observe(), rewards, np.zeros(self.num_envs, dtype=bool), self._empty
        final = self.agents.observe()
        infos = [
            {"terminal_observation": final[i], "TimeLimit.truncated": True}
            for i in range(self.num_envs)
        ]
        obs = self.agents.reset(self._next_sim_seed())
        return obs, rewards, np.ones(self.num_envs, dtype=bool), infos

    def close(self) -> None:
        return None

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self.agents, attr_name)] * len(list(self._get_indices(indices)))

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self.agents, attr_name, value)

    def env_method(
        self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs
    ) -> list[Any]:
        result = getattr(self.agents, method_name)(*method_args, **method_kwargs)
        return [result] * len(list(self._get_indices(indices)))

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        return [False] * len(list(self._get_indices(indices)))

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None] * self.num_envs
