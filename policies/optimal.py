"""Exact optimum of the single-SKU perishable inventory problem, by value iteration.

The problem is exactly what ``ShelfLife/PerishableInventory-v0`` simulates: one
SKU, one store, daily periods, useful life ``m`` days (or non-perishable), lead
time ``L`` periods, FIFO or LIFO issuing, lost sales, order cap ``Q``.

Order of events in period ``t``:

1. observe the state (the env's observation, layout below);
2. place the order ``a_t`` in ``0..Q`` and pay ``c · a_t``;
3. the order placed ``L`` periods earlier (``a_{t-L}``) arrives with full life
   ``m`` (with ``L = 0`` it is ``a_t`` itself);
4. demand ``d_t`` (i.i.d., ``StationaryDemandSpec.daily_pmf``) is served from
   stock on hand by the issuing rule; the unmet part is lost (``p`` per unit);
5. units at the end of their life unsold are wasted (``w`` per unit): a unit
   arriving in period ``s`` can be sold in periods ``s .. s+m-1``;
6. what remains ages one day and pays ``h`` per unit.

Reward = −(period cost).

API (``policies.optimal``; the pieces live in ``optimal_model`` and ``optimal_chain``):
``PerishableProblem``, ``solve_average_cost``, ``solve_discounted``, ``Solution``,
``evaluate_policy``, ``policy_chain``, ``best_base_stock``, ``discounted_return``,
``OptimalPolicy`` (``act``, ``predict``, ``explain``, ``save``/``load``),
``period_outcome`` (the reference dynamics) and the CLI ``main``.

State layout (the env's float32 observation, read as integers):

* perishable: ``obs[r-1]`` = units on hand with remaining life ``r`` (r = 1..m−1,
  "can still be sold in r periods, this one included"), then
  ``obs[m-1+j]`` = units arriving at the start of period ``t+j`` (j = 0..L−1;
  j = 0 is ``a_{t-L}``). Every entry is in ``0..Q`` (each bucket comes from one
  order), so there are ``(Q+1)^((m-1)+L)`` states: the model is exact.
* non-perishable: ``obs[0]`` = units on hand, then the pipeline. The state is
  bounded the way the env bounds it: an order that would lift the inventory
  position (on hand + pipeline) above ``max_stock`` is reduced to fit (and only
  the reduced quantity is paid). With the same ``max_stock`` the solver and the
  env are the same chain; ``--json`` reports the stationary probability that
  the optimal policy's position reaches the cap, to show that a small cap (the
  default ``Q·(L+2) + demand support``) does not bind.

States are indexed in C order over the observation (``np.ravel_multi_index``),
so the last pipeline slot (the order just placed) is the fastest axis.

Method:

* Every period's randomness enters through the post-arrival stock only. A
  "key" is (on hand, arrival) (for a non-perishable item just their sum); for
  every key and demand value the next on-hand index and the period cost are
  precomputed (``optimal_model.build_model``), giving a sparse matrix
  ``T[key, next on hand]`` of probabilities. The pipeline moves
  deterministically: the next state is ``(next on hand, y_1 .. y_{L-1}, a)``, so
  ``E[V(next) | state, a]`` for every state and action is one sparse × dense
  product ``T @ V.reshape(on hand, pipeline)`` (the order only fills the
  pipeline's last slot; with ``L = 0`` the order is the arrival and part of the
  key). It is done in row blocks of 2^21 doubles (bounded memory) on 2 threads
  (scipy's kernel and numpy release the GIL: 0.13 s per sweep of 1.77 M states
  against 0.25 s on one), and the minimum over actions is taken in place.
* Average cost: relative value iteration from ``V = 0``, stopped when the span of
  ``T V − V`` (the Odoni bounds on the optimal gain) is below ``tol``
  (1e-9); the greedy policy is then ``tol``-optimal. If the span stalls for 200
  sweeps (a periodic chain), the aperiodicity transform ``τ T + (1 − τ) I`` with
  ``τ = 0.5`` is switched on. No warm start by default: 60–80 sweeps suffice, and
  the base-stock value function over all states would cost as many sweeps
  (``initial_values`` takes one anyway). Discounted: value iteration with
  MacQueen bounds.
* A policy is evaluated exactly on the states reachable from the empty state
  (``optimal_chain``; 14 to 13,560 states for the optima below).

Timings (this machine: 2 cores, Python 3.11, numpy 2.4, scipy 1.17; ``python -m
policies.optimal … --json``, one run each, machine otherwise idle; demand
Gamma(4, 0.5) clipped at 16 unless said, Q = 10, c, p, w, h = 3, 5, 7, 1):

=================================  =========  ======  =======  ==========  =======  =======
case                               states     sweeps  solve s  base stock  total s  peak MB
=================================  =========  ======  =======  ==========  =======  =======
m = 2, L = 1, FIFO                 121        26      0.65     0.05        1.8      170
m = 5, L = 2, FIFO                 1,771,561  58      8.6      16          26       1,390
m = 5, L = 2, LIFO                 1,771,561  64      9.8      23          35       1,400
non-perishable, L = 4, Poisson(5)  1,508,023  77      10.8     61          73       1,640
=================================  =========  ======  =======  ==========  =======  =======

("solve s" includes building the model and scipy's first import, about 0.6 s;
"base stock" = ``best_base_stock``, all 71 / 103 levels, each exact or proven
worse than the best so far; "total" is the wall time of the whole command;
non-perishable: ``max_stock`` = 102, the default.)

Example::

    python -m policies.optimal --life 2 --lead-time 1 --issuing fifo --demand gamma \\
        --mean 4 --cv 0.5 --max-order 10 --order-cost 3 --lost-sales-cost 5 \\
        --waste-cost 7 --holding-cost 1 --json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from policies.optimal_chain import (
    PolicyChain,
    base_stock_levels,
    base_stock_table,
    best_base_stock,
    check_table,
    discounted_return,
    evaluate_policy,
    policy_chain,
)
from policies.optimal_model import (
    MAX_STATES,
    Model,
    PeriodOutcome,
    PerishableProblem,
    build_model,
    demand_values,
    period_outcome,
    transitions,
)
from sim.demand.stationary import StationaryDemandSpec
from sim.enums import DemandDistribution, IssuingRule

__all__ = [
    "MAX_STATES",
    "OptimalPolicy",
    "PeriodOutcome",
    "PerishableProblem",
    "PolicyChain",
    "Solution",
    "base_stock_levels",
    "base_stock_table",
    "best_base_stock",
    "demand_values",
    "discounted_return",
    "evaluate_policy",
    "main",
    "period_outcome",
    "policy_chain",
    "solve_average_cost",
    "solve_discounted",
    "transitions",
]

CHUNK_ELEMENTS = 1 << 21  # doubles per [states, actions] block of a sweep (16 MB each)
TABLE_FORMAT = "shelflife.optimal_policy/1"


# ---------------------------------------------------------------- Bellman sweep
def _chunks(total: int, width: int) -> list[tuple[int, int]]:
    step = max(1, CHUNK_ELEMENTS // max(width, 1))
    return [(i, min(i + step, total)) for i in range(0, total, step)]


class _Sweeper:
    """Applies the Bellman operator ``(T V)(s) = min_a [cost(s, a) + β E V(next)]``."""

    def __init__(self, model: Model, threads: int | None) -> None:
        self.model = model
        pb = model.problem
        self.actions = np.arange(model.q1)
        self.order_cost = pb.order_cost * self.actions
        lead = pb.lead_time
        if lead >= 1:
            rows = model.nx * model.q1  # (on hand, y0) pairs; each owns p1 consecutive states
            self.blocks = _chunks(rows, model.pl)
            # Perishable keys are the rows themselves: pre-slice T once per block.
            self.T_blocks = [model.T[a:b] for a, b in self.blocks] if pb.perishable else None
        else:
            self.blocks = _chunks(model.nx, model.q1)
            self.T_blocks = None
        n_threads = threads if threads is not None else min(2, os.cpu_count() or 1)
        self.pool = (
            ThreadPoolExecutor(n_threads) if n_threads > 1 and len(self.blocks) > 1 else None
        )

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def __call__(
        self, V: np.ndarray, beta: float = 1.0, want_policy: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        model = self.model
        out = np.empty(model.n_states)
        policy = np.empty(model.n_states, dtype=np.int16) if want_policy else None
        if model.problem.lead_time >= 1:
            Vmat = V.reshape(model.nx, model.pl)
            # Non-perishable: E V depends on (on hand + arrival) only; one small product.
            U = None if self.T_blocks is not None else model.T @ Vmat
            key_rows = model.key_of.ravel()

            def work(i: int) -> None:
                a, b = self.blocks[i]
                ev = self.T_blocks[i] @ Vmat if U is None else U[key_rows[a:b]]
                q = np.asarray(ev).reshape(-1, model.q1)  # [states of the block, actions]
                self._finish(q, a * model.p1, b * model.p1, beta, out, policy)
                # the period cost without the order depends on the (on hand, y0) row only
                out[a * model.p1 : b * model.p1] += np.repeat(
                    model.key_cost[key_rows[a:b]], model.p1
                )
        else:
            ev_keys = model.T @ V
            cost_keys = model.key_cost + beta * ev_keys

            def work(i: int) -> None:
                a, b = self.blocks[i]
                # with L = 0 the order is the arrival: the key (and its cost) depend on it
                self._finish(cost_keys[model.key_of[a:b]], a, b, 1.0, out, policy)

        if self.pool is None:
            for i in range(len(self.blocks)):
                work(i)
        else:
            list(self.pool.map(work, range(len(self.blocks))))
        return out, policy

    def _finish(
        self,
        ev: np.ndarray,
        s0: int,
        s1: int,
        beta: float,
        out: np.ndarray,
        policy: np.ndarray | None,
    ) -> None:
        """``out[s0:s1] = min_a (c·a + β·ev)`` (and the argmin), honouring the position cap."""
        q = ev  # a fresh array of the caller's: updated in place
        if beta != 1.0:
            q *= beta
        q += self.order_cost
        room = self.model.room
        if room is not None:
            # An order above the cap is the capped order: forbid it, so the argmin is the
            # quantity actually ordered.
            q[self.actions[None, :] > room[s0:s1, None]] = np.inf
        if policy is None:
            out[s0:s1] = q.min(axis=1)
        else:
            best = q.argmin(axis=1)
            policy[s0:s1] = best
            out[s0:s1] = np.take_along_axis(q, best[:, None], axis=1)[:, 0]


# ------------------------------------------------------------------- solutions
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


def solve_average_cost(
    problem: PerishableProblem,
    *,
    tol: float = 1e-9,
    max_iter: int = 20_000,
    aperiodicity: float | None = None,
    threads: int | None = None,
    initial_values: np.ndarray | None = None,
    progress: Callable[[int, float, float], None] | None = None,
) -> Solution:
    """Minimise the long-run average cost per period by relative value iteration.

    Args:
        problem: the problem.
        tol: stop when ``max(TV − V) − min(TV − V)`` (the gap between the Odoni bounds on
            the optimal gain) is below this.
        max_iter: give up after this many sweeps (``converged=False``).
        aperiodicity: ``τ`` in (0, 1] of the transform ``τ T + (1 − τ) I``; None = 1,
            switched to 0.5 if the span has not improved for 200 sweeps (periodicity).
        threads: threads per sweep (default: up to 2).
        initial_values: a warm start (e.g. a previous solution's ``value``).
        progress: called as ``progress(iteration, lower, upper)`` after every sweep.

    Returns:
        The greedy policy of the final values; its gain is within ``tol`` of the optimum.
    """
    if not (tol > 0):
        raise ValueError(f"tol: {tol!r}; allowed: a number > 0")
    if aperiodicity is not None and not 0 < aperiodicity <= 1:
        raise ValueError(f"aperiodicity: {aperiodicity!r}; allowed: 0 < τ <= 1, or None (auto)")
    start = time.perf_counter()
    model = build_model(problem)
    sweep = _Sweeper(model, threads)
    tau = 1.0 if aperiodicity is None else float(aperiodicity)
    V = np.zeros(model.n_states) if initial_values is None else np.array(initial_values, float)
    if V.shape != (model.n_states,):
        raise ValueError(f"initial_values: shape {V.shape}; allowed: ({model.n_states},)")
    V -= V[0]
    best_span, best_at = math.inf, 0
    converged = False
    it = 0
    try:
        for it in range(1, max_iter + 1):
            TV, _ = sweep(V)
            diff = TV - V
            lower, upper = float(diff.min()), float(diff.max())
            if tau != 1.0:
                TV = tau * TV + (1.0 - tau) * V  # gain bounds are on the untransformed operator
            V = TV - TV[0]  # relative values: 0 at the empty state keeps them bounded
            if progress is not None:
                progress(it, lower, upper)
            span = upper - lower
            if span < tol:
                converged = True
                break
            if span < best_span * (1 - 1e-6):
                best_span, best_at = span, it
            elif it - best_at > 200:
                if aperiodicity is not None or tau != 1.0:
                    break  # stuck even when lazy: rounding noise above `tol` (converged=False)
                tau, best_span, best_at = 0.5, math.inf, it  # periodic: make it aperiodic
        TV, table = sweep(V, want_policy=True)
        diff = TV - V
        # The greedy policy of V has gain <= max(T V − V) = upper, and no policy beats lower.
        lower, upper = float(diff.min()), float(diff.max())
        assert table is not None
    finally:
        sweep.close()
    return Solution(
        problem=problem,
        table=table,
        avg_cost=0.5 * (lower + upper),
        avg_cost_bounds=(lower, upper),
        value=V,
        iterations=it,
        seconds=time.perf_counter() - start,
        converged=converged,
        aperiodicity=tau,
    )


def solve_discounted(
    problem: PerishableProblem,
    gamma: float,
    *,
    tol: float = 1e-8,
    max_iter: int = 100_000,
    threads: int | None = None,
    evaluate: bool = True,
) -> Solution:
    """Minimise the expected discounted cost ``E Σ γ^t cost_t`` by value iteration.

    Args:
        problem: the problem.
        gamma: discount factor in (0, 1).
        tol: stop when the MacQueen bounds pin every value within ``tol``.
        max_iter: give up after this many sweeps.
        threads: threads per sweep.
        evaluate: also compute the table's long-run average cost (``avg_cost``; NaN if False).

    Returns:
        ``value`` = the discounted expected cost from every state (bound midpoints).
    """
    if not 0 < gamma < 1:
        raise ValueError(f"gamma: {gamma!r}; allowed: 0 < gamma < 1")
    start = time.perf_counter()
    model = build_model(problem)
    sweep = _Sweeper(model, threads)
    V = np.zeros(model.n_states)
    factor = gamma / (1 - gamma)
    converged = False
    it = 0
    try:
        for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported after the loop
            TV, _ = sweep(V, beta=gamma)
            diff = TV - V
            lo, hi = float(diff.min()), float(diff.max())
            V = TV
            if factor * (hi - lo) < tol:
                converged = True
                break
        TV, table = sweep(V, beta=gamma, want_policy=True)
        diff = TV - V
        V = TV + factor * 0.5 * (float(diff.min()) + float(diff.max()))
        assert table is not None
    finally:
        sweep.close()
    seconds = time.perf_counter() - start
    avg = evaluate_policy(problem, table) if evaluate else math.nan
    return Solution(
        problem=problem,
        table=table,
        avg_cost=avg,
        avg_cost_bounds=None,
        value=V,
        iterations=it,
        seconds=seconds,
        converged=converged,
        discount=float(gamma),
    )


# -------------------------------------------------------------------- policy
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
        """Index of an env observation (float32, layout in the module docstring).

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


# ----------------------------------------------------------------------- CLI
def _life(text: str) -> int | None:
    if text.lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: an integer >= 1, or 'none'")
    return value


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: an integer >= 0")
    return value


def _pos_int(text: str) -> int:
    value = _nonneg_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: an integer >= 1")
    return value


def _cost(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: a finite number >= 0")
    return value


def _positive(text: str) -> float:
    value = _cost(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: a finite number > 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m policies.optimal",
        description="Exact optimum of the single-SKU perishable inventory problem "
        "(ShelfLife/PerishableInventory-v0) by value iteration.",
    )
    parser.add_argument(
        "--life", type=_life, required=True, help="useful life m in days, or 'none'"
    )
    parser.add_argument("--lead-time", type=_nonneg_int, required=True, help="L in periods")
    parser.add_argument("--issuing", choices=("fifo", "lifo"), default="fifo")
    parser.add_argument("--demand", choices=("poisson", "gamma"), default="gamma")
    parser.add_argument("--mean", type=_positive, default=4.0, help="mean daily demand")
    parser.add_argument("--cv", type=_positive, default=0.5, help="gamma only")
    parser.add_argument(
        "--max-demand",
        type=_pos_int,
        default=None,
        help="clip of the demand (default: gamma ceil(mean + 6·mean·cv); poisson: a 1e-12 tail)",
    )
    parser.add_argument("--max-order", type=_pos_int, default=10, help="Q")
    parser.add_argument("--order-cost", type=_cost, default=3.0)
    parser.add_argument("--lost-sales-cost", type=_cost, default=5.0)
    parser.add_argument("--waste-cost", type=_cost, default=7.0)
    parser.add_argument("--holding-cost", type=_cost, default=1.0)
    parser.add_argument(
        "--max-stock",
        type=_pos_int,
        default=None,
        help="non-perishable only: cap on the inventory position (default Q·(L+2) + support)",
    )
    parser.add_argument("--tol", type=_positive, default=1e-9, help="span stopping rule")
    parser.add_argument("--gamma", type=_positive, default=0.99, help="for discounted_return")
    parser.add_argument("--burn-in", type=_nonneg_int, default=100)
    parser.add_argument("--horizon", type=_nonneg_int, default=365)
    parser.add_argument("--no-base-stock", action="store_true", help="skip best_base_stock")
    parser.add_argument("--save-table", type=Path, default=None, help="write PATH.npy + PATH.json")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--verbose", action="store_true", help="progress on stderr")
    return parser


def problem_from_args(args: argparse.Namespace) -> PerishableProblem:
    dist = DemandDistribution(args.demand)
    max_demand = args.max_demand
    if max_demand is None and dist is DemandDistribution.GAMMA:
        # 1e-9 absorbs float noise in mean·cv (ceil(16.000000000000004) would be 17)
        max_demand = math.ceil(args.mean + 6 * args.mean * args.cv - 1e-9)
    spec = StationaryDemandSpec(dist, mean=args.mean, cv=args.cv, max_demand=max_demand)
    return PerishableProblem(
        life_days=args.life,
        lead_time=args.lead_time,
        issuing=IssuingRule(args.issuing),
        demand=spec,
        max_order=args.max_order,
        order_cost=args.order_cost,
        lost_sales_cost=args.lost_sales_cost,
        waste_cost=args.waste_cost,
        holding_cost=args.holding_cost,
        max_stock=args.max_stock,
    )


def report(problem: PerishableProblem, args: argparse.Namespace) -> dict[str, Any]:
    """Solve, evaluate and summarise (the CLI's JSON object)."""
    log = (lambda msg: print(msg, file=sys.stderr, flush=True)) if args.verbose else None
    t0 = time.perf_counter()

    def progress(it: int, lo: float, hi: float) -> None:
        if log is not None and (it <= 3 or it % 10 == 0):
            log(f"sweep {it}: {lo:.9f} <= gain <= {hi:.9f} ({time.perf_counter() - t0:.1f} s)")

    solution = solve_average_cost(problem, tol=args.tol, progress=progress)
    warnings_: list[str] = []
    if not solution.converged:
        warnings_.append(f"not converged after {solution.iterations} sweeps")
    t1 = time.perf_counter()
    chain = policy_chain(problem, solution.table)
    ret = discounted_return(problem, solution.table, args.gamma, args.burn_in, args.horizon)
    eval_seconds = time.perf_counter() - t1
    out: dict[str, Any] = {
        "problem": problem.to_dict(),
        "demand_support_max": problem.demand.support_max,
        "states": problem.n_states,
        "state_dims": list(problem.dims),
        "iterations": solution.iterations,
        "converged": solution.converged,
        "solve_seconds": round(solution.seconds, 3),
        "avg_cost_per_period": solution.avg_cost,
        "avg_cost_bounds": list(solution.avg_cost_bounds or ()),
        # the table's own cost, from its stationary distribution (within the bounds above)
        "table_avg_cost_per_period": chain.avg_cost,
        "discounted_return": ret,
        "discounted_return_settings": {
            "gamma": args.gamma,
            "burn_in": args.burn_in,
            "horizon": args.horizon,
            "start": "empty",
            "policy": "average-cost optimal",
        },
        "reachable_states": int(chain.states.size),
        "evaluate_seconds": round(eval_seconds, 3),
    }
    if not problem.perishable:
        positions = problem.inventory_positions()[chain.states]
        orders = solution.table[chain.states].astype(np.int64)
        at_cap = float(chain.stationary[positions + orders >= problem.max_stock].sum())
        out["cap_mass"] = at_cap
        if at_cap > 1e-6:
            warnings_.append(
                f"the position cap max_stock={problem.max_stock} is reached with stationary "
                f"probability {at_cap:.2e}: raise --max-stock"
            )
    if not args.no_base_stock:
        t2 = time.perf_counter()
        if log is not None:
            log("best base stock ...")
        level, cost = best_base_stock(problem)
        out["best_base_stock"] = {
            "level": level,
            "avg_cost_per_period": cost,
            "seconds": round(time.perf_counter() - t2, 3),
            "optimal_saves_pct": 100.0 * (cost - solution.avg_cost) / cost if cost > 0 else 0.0,
        }
    if args.save_table is not None:
        npy, meta = OptimalPolicy(problem, solution.table).save(
            args.save_table, {"avg_cost_per_period": solution.avg_cost}
        )
        out["table_files"] = [str(npy), str(meta)]
    out["warnings"] = warnings_
    out["total_seconds"] = round(time.perf_counter() - t0, 3)
    return out


def _summary(out: dict[str, Any]) -> str:
    pb = out["problem"]
    life = "non-perishable" if pb["life_days"] is None else f"life {pb['life_days']} days"
    d = pb["demand"]
    demand = f"{d['distribution']}(mean {d['mean']}" + (
        f", cv {d['cv']}, max {d['max_demand']})" if d["distribution"] == "gamma" else ")"
    )
    lines = [
        f"ShelfLife perishable inventory: {life}, lead time {pb['lead_time']}, "
        f"{pb['issuing'].upper()}, demand {demand}, Q = {pb['max_order']}",
        f"  costs: order {pb['order_cost']}, lost sale {pb['lost_sales_cost']}, "
        f"waste {pb['waste_cost']}, holding {pb['holding_cost']}",
        f"  states {out['states']:,} (reachable from empty under the optimum: "
        f"{out['reachable_states']:,})",
        f"  optimal average cost per period: {out['avg_cost_per_period']:.6f} "
        f"({out['iterations']} sweeps, {out['solve_seconds']:.1f} s)",
        f"  discounted return (gamma {out['discounted_return_settings']['gamma']}, "
        f"{out['discounted_return_settings']['horizon']} periods after "
        f"{out['discounted_return_settings']['burn_in']}): {out['discounted_return']:.4f}",
    ]
    if "best_base_stock" in out:
        b = out["best_base_stock"]
        lines.append(
            f"  best base stock: level {b['level']}, {b['avg_cost_per_period']:.6f} per period "
            f"(optimal saves {b['optimal_saves_pct']:.2f} %)"
        )
    if "cap_mass" in out:
        lines.append(
            f"  stationary mass at the position cap {pb['max_stock']}: {out['cap_mass']:.2e}"
        )
    lines += [f"  warning: {w}" for w in out["warnings"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        problem = problem_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    out = report(problem, args)
    print(json.dumps(out, indent=2) if args.json else _summary(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
