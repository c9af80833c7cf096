"""Value iteration for ``PerishableProblem``: the Bellman sweep and the two solves.

The method (sparse transition per key, row blocks on 2 threads, relative value
iteration with Odoni bounds, MacQueen bounds when discounted) is described in the
package docstring (``policies.optimal``).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from policies.optimal.chain import evaluate_policy
from policies.optimal.model import Model, PerishableProblem, build_model
from policies.optimal.policy import Solution

CHUNK_ELEMENTS = 1 << 21  # doubles per [states, actions] block of a sweep (16 MB each)


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
