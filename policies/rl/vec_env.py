"""Vector envs as stable-baselines3 ``VecEnv``s.

``VectorEnvAsVecEnv`` adapts any Gymnasium vector env with SAME_STEP autoreset
(``PerishableInventory-v0``'s batched one: ``gymnasium.make_vec(...,
vectorization_mode="vector_entry_point")``), so PPO collects ``R`` replications
per step from one array step instead of ``R`` env objects in a ``DummyVecEnv``.

The SKU-agent vector env as a stable-baselines3 ``VecEnv``:

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
from gymnasium.vector import AutoresetMode, VectorEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices

from envs.sku_agents import SkuAgents
from sim.errors import ConfigError


class _OneBackendVecEnv(VecEnv):
    """A ``VecEnv`` whose sub-envs are rows of one object (``_backend()``): attributes and
    methods are the backend's, the same for every index; nothing is wrapped."""

    def _backend(self) -> Any:
        raise NotImplementedError

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self._backend(), attr_name)] * len(list(self._get_indices(indices)))

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self._backend(), attr_name, value)

    def env_method(
        self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs
    ) -> list[Any]:
        result = getattr(self._backend(), method_name)(*method_args, **method_kwargs)
        return [result] * len(list(self._get_indices(indices)))

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        return [False] * len(list(self._get_indices(indices)))

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None] * self.num_envs


class VectorEnvAsVecEnv(_OneBackendVecEnv):
    """A Gymnasium ``VectorEnv`` with SAME_STEP autoreset as a stable-baselines3 ``VecEnv``.

    ``VecEnv.seed(s)`` (SB3's call) seeds sub-env ``i`` with ``s + i`` at the next reset.
    At an episode's end ``infos[i]`` holds ``terminal_observation`` and
    ``TimeLimit.truncated`` (truncated and not terminated, so SB3 bootstraps), as
    ``DummyVecEnv`` reports them; ordinary steps share one list of empty dicts.

    Args:
        venv: the vector env.

    Raises:
        ConfigError: if ``venv`` does not autoreset in the same step.
    """

    def __init__(self, venv: VectorEnv) -> None:
        mode = venv.metadata.get("autoreset_mode")
        if mode is not AutoresetMode.SAME_STEP:
            raise ConfigError("venv.metadata.autoreset_mode", mode, "AutoresetMode.SAME_STEP")
        self.venv = venv
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._actions: np.ndarray | None = None
        self._empty: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]

    @classmethod
    def batched(cls, env_id: str, num_envs: int, **env_kwargs: Any) -> VectorEnvAsVecEnv:
        """The registered id's own batched vector env (its ``vector_entry_point``), adapted."""
        return cls(
            gym.make_vec(
                env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **env_kwargs
            )
        )

    def reset(self) -> np.ndarray:
        seeds = None if self._seeds[0] is None else [int(s) for s in self._seeds]
        obs, _ = self.venv.reset(seed=seeds)
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        obs, rewards, terminated, truncated, info = self.venv.step(self._actions)
        dones = terminated | truncated
        if not dones.any():
            return obs, rewards.astype(np.float32), dones, self._empty
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for i in np.flatnonzero(dones):
            infos[i] = {
                "terminal_observation": info["final_obs"][i],
                "TimeLimit.truncated": bool(truncated[i] and not terminated[i]),
            }
        return obs, rewards.astype(np.float32), dones, infos

    def close(self) -> None:
        self.venv.close()

    def _backend(self) -> Any:
        return self.venv


class SkuAgentVecEnv(_OneBackendVecEnv):
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

    def _backend(self) -> Any:
        return self.agents
