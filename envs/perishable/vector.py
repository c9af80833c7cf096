"""``PerishableInventory-v0`` as one batched Gymnasium vector env.

``gymnasium.make_vec("ShelfLife/PerishableInventory-v0", num_envs=R,
vectorization_mode="vector_entry_point", **kwargs)`` steps ``R`` replications
of the cell with one call of array arithmetic (``envs.perishable.dynamics``)
instead of ``R`` env objects. Replication ``i`` of a reset with ``seed`` is the
single env (with the registered time limit) seeded ``seed + i``, restarted
after each truncation as ``SyncVectorEnv`` restarts it (SAME_STEP autoreset):
the same demand, observations, rewards, ends and ``info`` values, to the bit
(``tests/envs/test_perishable_fast.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from envs.common.actions import validate_multidiscrete
from envs.perishable.dynamics import DemandBlocks, PeriodCosts, PerishableBatch
from envs.perishable.env import PerishableInventoryEnv
from sim.errors import ConfigError
from sim.validation import integer_value


class PerishableInventoryVectorEnv(VectorEnv):
    """``R`` replications of ``PerishableInventory-v0`` stepped together.

    Args:
        num_envs: ``R`` (1..1,000,000).
        max_episode_steps: the time limit (the registered 365 by default); episodes
            end by truncation only and restart in the same step (SAME_STEP:
            ``info["final_obs"]``/``info["final_info"]`` hold the last ones).
        **env_kwargs: the single env's arguments (``life_days``, ``lead_time``,
            ``issuing``, ``demand``, ``max_order``, the costs, ``max_stock``),
            validated by it. ``engine`` and ``render_mode`` are not taken.

    Each ``info`` entry is an array over replications, as Gymnasium's vector
    envs report them.

    Usage, from a fresh interpreter::

        import gymnasium
        envs = gymnasium.make_vec("envs:ShelfLife/PerishableInventory-v0", num_envs=1024,
                                  vectorization_mode="vector_entry_point", life_days=3)
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}  # noqa: RUF012

    def __init__(self, num_envs: int = 8, max_episode_steps: int = 365, **env_kwargs: Any) -> None:
        for name in ("engine", "render_mode"):
            if env_kwargs.get(name) not in (None, "arrays"):
                raise ConfigError(name, env_kwargs[name], "not set (the vector env has one engine)")
            env_kwargs.pop(name, None)
        self.num_envs = integer_value(num_envs, "num_envs", 1, 1_000_000)
        self.max_episode_steps = integer_value(max_episode_steps, "max_episode_steps", 1, 10**9)
        single = PerishableInventoryEnv(**env_kwargs)  # one validation of the arguments
        self.spec_env = single
        self.single_observation_space = single.observation_space
        self.single_action_space = single.action_space
        self.observation_space = batch_space(single.observation_space, self.num_envs)
        self.action_space = batch_space(single.action_space, self.num_envs)
        self._batch = PerishableBatch(
            single.life_days, single.lead_time, single.issuing, PeriodCosts(**single.costs),
            single.max_stock, replications=self.num_envs,
        )  # fmt: skip
        self._blocks = DemandBlocks(single.demand_spec, self.num_envs)
        self._rngs: list[np.random.Generator] = []
        self._elapsed = np.zeros(self.num_envs, dtype=np.int64)

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start every replication; ``seed`` int gives replication ``i`` the seed ``seed + i``."""
        if seed is None or isinstance(seed, int | np.integer):
            seeds = [None if seed is None else int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ConfigError("seed", f"{len(seeds)} seeds", f"{self.num_envs} (one per env)")
        self._rngs = [seeding.np_random(s)[0] for s in seeds]
        sim_seeds = np.array([self._restart(i) for i in range(self.num_envs)], dtype=np.int64)
        self._batch.clear()
        self._elapsed[:] = 0
        return self._batch.observation(), {"sim_seed": sim_seeds}

    def _restart(self, row: int) -> int:
        sim_seed = int(self._rngs[row].integers(0, 2**62))
        self._blocks.restart(row, sim_seed)
        return sim_seed

    def step(self, actions: object):
        """One period of every replication; ``actions`` holds ``R`` integer orders."""
        if not self._rngs:
            raise RuntimeError("call reset() before step()")
        orders = validate_multidiscrete(actions, self.action_space, "actions")
        out = self._batch.step(orders, self._blocks.next_day())
        self._elapsed += 1
        info: dict[str, Any] = out.info()
        obs = self._batch.observation()
        truncated = self._elapsed >= self.max_episode_steps
        terminated = np.zeros(self.num_envs, dtype=bool)
        if truncated.any():
            rows = np.flatnonzero(truncated)
            info["final_info"] = {key: value.copy() for key, value in info.items()}
            info["_final_info"] = truncated.copy()
            info["final_obs"] = np.empty(self.num_envs, dtype=object)
            info["_final_obs"] = truncated.copy()
            for row in rows:
                info["final_obs"][row] = obs[row].copy()
                self._restart(int(row))
            self._batch.clear(rows)
            self._elapsed[rows] = 0
            obs = self._batch.observation()
        return obs, -out.cost, terminated, truncated, info
