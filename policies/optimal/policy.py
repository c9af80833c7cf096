"""A solve's result (``Solution``) and its table as a policy that plays the env."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from policies.optimal.chain import check_table
from policies.optimal.model import PerishableProblem

TABLE_FORMAT = "shelflife.optimal_policy/1"


@dataclass(frozen=True, eq=False)
class Solution:
    """Result of a solve.

    Attributes:
        problem: what was solved.
        table: [n_states] int16: the order in every state (index: ``problem.state_index``).
        avg_cost: long-run average cost per period of ``table`` (average-cost solve: the
            midpoint of the final Odoni bounds; discounted solve: ``evaluate_policy``).
        avg_cost_bounds: (lower, upper) bounds on the optimal average cost (average-cost
            solve only; the table's cost is at most ``upper``), else None.
        value: [n_states] relative values (average cost, 0 at the empty state) or the
            discounted expected costs.
        iterations: Bellman sweeps.
        seconds: wall time of the solve.
        converged: whether the stopping rule was met within ``max_iter``.
        discount: the discount factor (None for the average-cost solve).
        aperiodicity: the ``τ`` finally used (average-cost solve).
    """

    problem: PerishableProblem
    table: np.ndarray
    avg_cost: float
    avg_cost_bounds: tuple[float, float] | None
    value: np.ndarray
    iterations: int
    seconds: float
    converged: bool
    discount: float | None = None
    aperiodicity: float = 1.0

    def policy(self) -> OptimalPolicy:
        return OptimalPolicy(self.problem, self.table)


class OptimalPolicy:
    """A policy table that plays the env: observation → order.

    Implements ``policies.agent.Agent`` (``reset``, SB3-style ``predict``, ``explain``),
    so it is evaluated by the same loops as heuristics and RL agents. Build the env with
    ``PerishableInventoryEnv(**problem.env_kwargs())`` so both are the same chain.

    Args:
        problem: the problem the table solves.
        table: [n_states] integer orders (``Solution.table``).
    """

    def __init__(self, problem: PerishableProblem, table: np.ndarray) -> None:
        self.problem = problem
        self.table = check_table(problem, table)
        self.table.setflags(write=False)
        self._last_obs: np.ndarray | None = None

    @classmethod
    def from_solution(cls, solution: Solution) -> OptimalPolicy:
        return cls(solution.problem, solution.table)

    def state_index(self, obs: np.ndarray) -> int:
        """Index of an env observation (float32, layout in the package docstring).

        Raises:
            ValueError: wrong shape, a non-integer entry, or one outside the solver's range.
        """
        return self.problem.state_index(np.asarray(obs))

    def act(self, obs: np.ndarray) -> int:
        """The optimal order for one observation."""
        order = int(self.table[self.state_index(obs)])
        self._last_obs = np.array(obs, copy=True)
        return order

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, None]:
        """Stable-baselines3's ``predict``: a batch ``[n, obs_dim]`` → orders ``[n]``.

        A single observation ``[obs_dim]`` gives a 0-d array, as SB3 does for one env.
        ``state``, ``episode_start`` and ``deterministic`` are accepted and ignored (the
        policy is deterministic and memoryless).
        """
        obs = np.asarray(observation)
        if obs.ndim == 1:
            return np.asarray(self.act(obs), dtype=np.int64), None
        idx = self.problem.state_indices(obs.reshape(obs.shape[0], -1))
        return self.table[idx].astype(np.int64), None

    def reset(self, seed: int | None = None) -> None:
        """Nothing to reset (``policies.agent.Agent`` interface); forgets the last decision."""
        self._last_obs = None

    def explain(self, obs: np.ndarray | None = None) -> str | list[str]:
        """Why an order: ``explain(obs)`` gives one line for ``obs``, e.g.
        ``"order 6: state (on hand by remaining life (life 1: 0, life 2: 3); arriving
        t+0: 4; position 7) → optimal table, state #…"``. Without ``obs`` (the
        ``policies.agent.Agent`` interface) it lists that line for the last single
        observation ``act``/``predict`` saw (empty before any).
        """
        if obs is None:
            return [] if self._last_obs is None else [self.explain(self._last_obs)]
        pb = self.problem
        index = self.state_index(np.asarray(obs))
        state = pb.state_of(index)
        order = int(self.table[index])
        k = pb.n_stock
        if pb.perishable:
            stock = ", ".join(f"life {r + 1}: {u}" for r, u in enumerate(state[:k])) or "none"
            stock = f"on hand by remaining life ({stock})"
        else:
            stock = f"on hand {state[0]}"
        pipe = ", ".join(f"t+{j}: {u}" for j, u in enumerate(state[k:])) or "none"
        return (
            f"order {order}: state ({stock}; arriving {pipe}; position {sum(state)}) "
            f"→ optimal table, state #{index}"
        )

    # ---------------------------------------------------------- files
    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> tuple[Path, Path]:
        """Write the table as ``.npy`` and a JSON sidecar (the problem; no pickle).

        Returns:
            (table path, sidecar path): ``path`` with suffixes ``.npy`` and ``.json``.
        """
        npy = Path(path).with_suffix(".npy")
        meta = npy.with_suffix(".json")
        table = np.ascontiguousarray(self.table.astype(np.int16))
        np.save(npy, table, allow_pickle=False)
        doc = {
            "format": TABLE_FORMAT,
            "problem": self.problem.to_dict(),
            "state_dims": list(self.problem.dims),
            "state_layout": [self.problem.entry_name(i) for i in range(self.problem.obs_dim)],
            "index": "numpy.ravel_multi_index(obs.astype(int), state_dims) (C order)",
            "table_dtype": "int16",
            "table_sha256": hashlib.sha256(table.tobytes()).hexdigest(),
            **(extra or {}),
        }
        meta.write_text(json.dumps(doc, indent=2) + "\n")
        return npy, meta

    @classmethod
    def load(cls, path: str | Path) -> OptimalPolicy:
        """Read what ``save`` wrote (checks the format, the shape and the hash).

        Raises:
            ValueError: unknown format, or a table that does not match its sidecar.
        """
        npy = Path(path).with_suffix(".npy")
        doc = json.loads(npy.with_suffix(".json").read_text())
        if doc.get("format") != TABLE_FORMAT:
            raise ValueError(f"{npy}: format {doc.get('format')!r}; allowed: {TABLE_FORMAT}")
        table = np.load(npy, allow_pickle=False)
        digest = hashlib.sha256(np.ascontiguousarray(table).tobytes()).hexdigest()
        if digest != doc["table_sha256"]:
            raise ValueError(f"{npy}: SHA-256 {digest} differs from the sidecar's")
        return cls(PerishableProblem.from_dict(doc["problem"]), table)
