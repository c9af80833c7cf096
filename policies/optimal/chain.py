"""Exact evaluation of stationary policies for ``PerishableProblem``.

A policy table's chain is built on the states reachable from the empty state
(breadth-first search), so the work scales with the states a policy actually
visits, not with the whole state space:

* tiny problems (at most ``DENSE_EVAL_MAX`` states; the brute-force tests evaluate
  thousands of tables): dense algebra, closed classes from the transitive closure,
  stationary distributions by GTH elimination, absorption probabilities if several
  classes are reachable: exact to rounding;
* larger ones: relative value iteration on the sparse chain with the bounds
  ``min(c + P h − h) <= gain <= max(c + P h − h)``, stopped when they are within
  ``tol`` (1e-11 by default), and power iteration for the distribution. Sparse
  direct solvers were tried first: they fill in badly on these chains (minutes for
  50,000 states).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from policies.optimal.model import Model, PerishableProblem, build_model, successors

DENSE_EVAL_MAX = 400  # chains up to this size are solved with dense linear algebra


# --------------------------------------------------------- policy evaluation
@dataclass(frozen=True, eq=False)
class PolicyChain:
    """The Markov chain of a stationary policy on the states reachable from the empty state.

    Attributes:
        states: [n] global state indices in discovery order (the empty state, index 0, first).
        P: [n, n] CSR transition matrix over ``states``.
        cost: [n] expected period cost in each state.
        stationary: [n] long-run distribution from the empty state (Cesàro limit).
        avg_cost: long-run average cost per period from the empty state.
        closed_classes: number of closed (recurrent) classes reachable; None for a large
            chain whose gain bounds met without a class search (one gain everywhere).
    """

    states: np.ndarray
    P: sparse.csr_matrix
    cost: np.ndarray
    stationary: np.ndarray
    avg_cost: float
    closed_classes: int | None


def check_table(problem: PerishableProblem, table: np.ndarray) -> np.ndarray:
    """The table as int64, or ValueError naming the bad shape, dtype or order range."""
    arr = np.asarray(table)
    if arr.shape != (problem.n_states,):
        raise ValueError(f"table: shape {arr.shape}; allowed: ({problem.n_states},)")
    if arr.dtype.kind not in "iu":
        raise ValueError(f"table: dtype {arr.dtype}; allowed: integers")
    if arr.size and (arr.min() < 0 or arr.max() > problem.max_order):
        raise ValueError(
            f"table: orders {int(arr.min())}..{int(arr.max())}; allowed: 0..{problem.max_order}"
        )
    return arr.astype(np.int64)


def _reachable(model: Model, table: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray]:
    """States reachable from the empty state under ``table``, their chain and period costs.

    Returns:
        (states in discovery order, the empty state first; CSR transition matrix over
        them; expected period cost of each).
    """
    seen = np.zeros(model.n_states, dtype=bool)
    slot = np.zeros(model.n_states, dtype=np.int64)
    seen[0] = True
    frontier = np.zeros(1, dtype=np.int64)
    found, succ, costs = [], [], []
    # Breadth-first search from the empty state: the distribution lives on these states.
    while frontier.size:
        nexts, cost = successors(model, frontier, table[frontier])
        found.append(frontier)
        succ.append(nexts)
        costs.append(cost)
        cand = nexts.ravel()
        cand = cand[~seen[cand]]
        # Deduplicate without sorting: whichever write to `slot` wins for a repeated value,
        # exactly one of its copies matches it.
        pos = np.arange(cand.size)
        slot[cand] = pos
        frontier = cand[slot[cand] == pos]
        seen[frontier] = True
    states = np.concatenate(found)
    n = states.size
    local = np.zeros(model.n_states, dtype=np.int64)
    local[states] = np.arange(n)
    width = model.pvals.size
    # Rows are already grouped by state: build the CSR arrays directly (no COO sort).
    P = sparse.csr_matrix(
        (np.tile(model.pvals, n), local[np.concatenate(succ)].ravel(), np.arange(n + 1) * width),
        shape=(n, n),
    )
    # Merge repeated entries: fewer to multiply, and scipy 1.17.1's strongly-connected-
    # components search did not return in 30 s on an 8,000-state chain with duplicates
    # (1 ms once merged).
    P.sum_duplicates()
    return states, P, np.concatenate(costs)


def policy_chain(
    problem: PerishableProblem, table: np.ndarray, *, tol: float = 1e-11
) -> PolicyChain:
    """Build and solve the chain of ``table`` from the empty state (see ``PolicyChain``).

    Args:
        problem: the problem.
        table: [n_states] orders.
        tol: accuracy of ``avg_cost`` for chains too large for dense algebra (bounds gap).
    """
    table = check_table(problem, table)
    model = build_model(problem)
    if model.n_states <= DENSE_EVAL_MAX:
        states, Pd, cost = _small_chain(model, table)
        stationary, avg, n_closed = _dense_long_run(Pd, cost, 0)
        P = sparse.csr_matrix(Pd)
    else:
        states, P, cost = _reachable(model, table)
        found, avg, n_closed = _long_run(P, cost, 0, tol)
        assert found is not None
        stationary = found
    return PolicyChain(
        states=states,
        P=P,
        cost=cost,
        stationary=stationary,
        avg_cost=avg,
        closed_classes=n_closed,
    )


def _long_run(
    P: sparse.csr_matrix,
    cost: np.ndarray,
    start: int,
    tol: float,
    *,
    want_distribution: bool = True,
    stop_above: float | None = None,
) -> tuple[np.ndarray | None, float, int]:
    """Long-run distribution and average cost of the chain started at ``start``.

    Args:
        P, cost: the chain and its period costs.
        start: the initial state.
        tol: accuracy of the average cost (iterative path).
        want_distribution: compute the distribution (else None is returned for it).
        stop_above: give up as soon as the average cost is proven above this; the
            returned cost is then a lower bound above ``stop_above`` (used to prune).

    Returns:
        (distribution (Cesàro limit) or None, average cost, number of closed classes or
        None when not needed: a large chain whose gain bounds met).
    """
    n = P.shape[0]
    if n > DENSE_EVAL_MAX:
        # Iterate on the whole chain first (no class search, no cutting out): the bounds
        # min/max(c + P h − h) hold for the gain of every state, transient ones included,
        # so if they meet, that is the gain from the start. They only fail to meet when
        # closed classes have different gains; then decompose below.
        found = _class_long_run(P, cost, tol, want_distribution, stop_above, multichain_ok=True)
        if found is not None:
            return found[0], found[1], None
    else:
        pi, avg, n_closed = _dense_long_run(P.toarray(), cost, start)
        return (pi if want_distribution else None), avg, n_closed
    n_comp, labels = csgraph.connected_components(P, directed=True, connection="strong")
    row_labels = np.repeat(labels, np.diff(P.indptr))
    leaves = row_labels != labels[P.indices]
    open_comp = np.zeros(n_comp, dtype=bool)
    open_comp[row_labels[leaves]] = True
    closed = np.flatnonzero(~open_comp)
    if closed.size == 1:
        weights = np.ones(1)
    else:
        # Large and several classes: follow the distribution until it has left the
        # transient states (geometric, since every transient state leads to a class).
        PT = P.T.tocsr()
        dist = np.zeros(n)
        dist[start] = 1.0
        transient = open_comp[labels]
        for _ in range(1_000_000):
            if dist[transient].sum() < 1e-15:
                break
            dist = PT @ dist
        weights = np.array([dist[labels == c].sum() for c in closed])
        weights /= weights.sum()
    if closed.size > 1:
        stop_above = None  # a class's bound says nothing about the weighted sum
    pi = np.zeros(n) if want_distribution else None
    avg = 0.0
    for c, weight in zip(closed, weights, strict=True):
        if weight <= 0:
            continue
        members = np.flatnonzero(labels == c)
        pi_c, g_c = _class_long_run(
            P[members][:, members], cost[members], tol, want_distribution, stop_above
        )
        if pi is not None and pi_c is not None:
            pi[members] = weight * pi_c
        avg += weight * g_c
    return pi, float(avg), int(closed.size)


def _small_chain(model: Model, table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dense version of ``_reachable`` for tiny problems (brute force calls it 10^4 times)."""
    n = model.n_states
    states = np.arange(n)
    nexts, cost = successors(model, states, table)
    flat = (states[:, None] * n + nexts).ravel()
    P = np.bincount(flat, weights=np.tile(model.pvals, n), minlength=n * n).reshape(n, n)
    edges = P > 0
    seen = np.zeros(n, dtype=bool)
    seen[0] = True
    while True:
        grown = seen | edges[seen].any(axis=0)
        if (grown == seen).all():
            break
        seen = grown
    keep = np.flatnonzero(seen)  # sorted: the empty state (0) stays first
    return keep, P[np.ix_(keep, keep)], cost[keep]


def _dense_long_run(P: np.ndarray, cost: np.ndarray, start: int) -> tuple[np.ndarray, float, int]:
    """Exact ``_long_run`` for a small dense chain: classes from the transitive closure."""
    n = P.shape[0]
    reach = (P > 0) | np.eye(n, dtype=bool)
    for _ in range(max(1, math.ceil(math.log2(n))) + 1):
        reach = (reach.astype(np.float64) @ reach.astype(np.float64)) > 0
    # i is recurrent iff everything it reaches reaches it back; its class is its row.
    recurrent = (reach <= reach.T).all(axis=1)
    rep = np.where(recurrent, reach.argmax(axis=1), -1)  # lowest state of i's class
    reps = np.unique(rep[recurrent])
    if reps.size == 1:
        weights = np.ones(1)
    else:
        # Several closed classes (the start is then transient): absorption probabilities.
        transient = np.flatnonzero(~recurrent)
        A = np.eye(transient.size) - P[np.ix_(transient, transient)]
        into = np.stack([P[np.ix_(transient, rep == r)].sum(axis=1) for r in reps], axis=1)
        weights = np.linalg.solve(A, into)[np.searchsorted(transient, start)]
    pi = np.zeros(n)
    for r, weight in zip(reps, weights, strict=True):
        members = np.flatnonzero(rep == r)
        pi[members] = weight * _gth(P[np.ix_(members, members)])
    return pi, float(pi @ cost), int(reps.size)


def _gth(P: np.ndarray) -> np.ndarray:
    """Stationary distribution of an irreducible chain by Grassmann–Taksar–Heyman elimination.

    No subtractions, so every entry is accurate relative to itself, even when some
    states have probabilities like 1e-18 (pinning one of those and solving would be
    numerically singular).
    """
    A = P.astype(np.float64, copy=True)
    n = A.shape[0]
    for k in range(n - 1, 0, -1):
        out = A[k, :k].sum()  # > 0: in an irreducible chain state k reaches a lower one
        A[:k, k] /= out
        A[:k, :k] += np.outer(A[:k, k], A[k, :k])
    pi = np.zeros(n)
    pi[0] = 1.0
    for k in range(1, n):
        pi[k] = pi[:k] @ A[:k, k]
    return pi / pi.sum()


def _class_long_run(
    P: sparse.csr_matrix,
    cost: np.ndarray,
    tol: float,
    want_distribution: bool = True,
    stop_above: float | None = None,
    multichain_ok: bool = False,
) -> tuple[np.ndarray | None, float] | None:
    """Stationary distribution and gain of a large irreducible chain (or unichain).

    With ``multichain_ok``, returns None if the gain bounds stop closing (several closed
    classes with different gains) instead of iterating on.

    Relative value iteration on ``h``, stopped when the bounds
    ``min(c + P h − h) <= g <= max(c + P h − h)`` are within ``tol``, with the
    distribution from power iteration alongside. Every iteration's lower bound is a
    valid one, so once it passes ``stop_above`` the chain is proven worse and the
    search stops.
    """
    n = P.shape[0]
    PT = P.T.tocsr() if want_distribution else None
    h = np.zeros(n)
    pi = np.full(n, 1.0 / n) if want_distribution else None
    tau, best_span, best_at = 1.0, math.inf, 0
    lower, upper = -math.inf, math.inf
    for it in range(1, 1_000_000):
        Th = cost + P @ h
        diff = Th - h
        lower, upper = float(diff.min()), float(diff.max())
        if stop_above is not None and lower > stop_above:
            return None, lower
        if tau != 1.0:
            Th = tau * Th + (1 - tau) * h
        h = Th - Th[0]
        moved = 0.0
        if pi is not None:
            new_pi = PT @ pi
            if tau != 1.0:
                new_pi = tau * new_pi + (1 - tau) * pi
            moved = float(np.abs(new_pi - pi).sum())
            pi = new_pi
        span = upper - lower
        if span < tol and moved < 1e-12:
            break
        if span < best_span * (1 - 1e-6):
            best_span, best_at = span, it
        elif it - best_at > 200:
            if tau != 1.0:
                # Lazy and still stuck: several gains (multichain), or rounding noise
                # above `tol` in an irreducible class (then the midpoint is the answer).
                if multichain_ok:
                    return None
                break
            tau, best_span, best_at = 0.5, math.inf, it  # periodic class: make it lazy
    return (None if pi is None else pi / pi.sum()), 0.5 * (lower + upper)


def evaluate_policy(problem: PerishableProblem, table: np.ndarray) -> float:
    """Exact long-run average cost per period of a stationary policy table.

    Computed from the stationary distribution of the chain started at the empty state
    (with several closed classes: weighted by their absorption probabilities), so it
    is the average cost an env episode converges to.
    """
    model = build_model(problem)
    if model.n_states <= DENSE_EVAL_MAX:  # skip scipy's per-call overheads
        _, P, cost = _small_chain(model, check_table(problem, table))
        return _dense_long_run(P, cost, 0)[1]
    return policy_chain(problem, table).avg_cost


def base_stock_table(problem: PerishableProblem, level: int) -> np.ndarray:
    """Order-up-to ``level`` on the inventory position: ``clip(level − position, 0, Q)``."""
    pos = problem.inventory_positions()
    return np.clip(level - pos, 0, problem.max_order).astype(np.int16)


def base_stock_levels(problem: PerishableProblem) -> range:
    """Levels that give distinct base-stock policies.

    A position never exceeds ``Q·((m−1) + L)`` (perishable) or ``max_stock``
    (non-perishable, the cap), so a level beyond ``that + Q`` orders ``Q``
    everywhere, like ``that + Q`` itself; and for a non-perishable item the cap
    makes every level above ``max_stock`` act like ``max_stock``.
    """
    if problem.perishable:
        return range(problem.max_order * (problem.n_stock + problem.lead_time + 1) + 1)
    return range(problem.max_stock + 1)


def best_base_stock(
    problem: PerishableProblem, levels: Sequence[int] | None = None
) -> tuple[int, float]:
    """The best order-up-to level on the inventory position, each level evaluated exactly.

    Args:
        problem: the problem.
        levels: the levels to try (default: ``base_stock_levels``, all distinct policies).

    Returns:
        ``(level, avg_cost)``; ties go to the lowest level.
    """
    levels = base_stock_levels(problem) if levels is None else levels
    model = build_model(problem)
    positions = problem.inventory_positions()
    best = (-1, math.inf)
    for level in levels:
        table = np.clip(int(level) - positions, 0, problem.max_order)
        _, P, cost = _reachable(model, table)
        # Stop a level's evaluation once its cost is proven above the best so far (the
        # lower Odoni bound only rises): the result is the same as evaluating it fully.
        _, avg, _ = _long_run(
            P, cost, 0, 1e-11, want_distribution=False, stop_above=best[1] + 1e-12
        )
        if avg < best[1] - 1e-12:
            best = (int(level), avg)
    return best


def discounted_return(
    problem: PerishableProblem,
    table: np.ndarray,
    gamma: float = 0.99,
    burn_in: int = 100,
    horizon: int = 365,
) -> float:
    """Expected ``Σ_{k=0}^{horizon-1} γ^k · reward_{burn_in + k}`` from the empty state.

    Periods are numbered from 0 (the first decision, empty state); the first
    ``burn_in`` periods are not counted and ``k`` restarts at 0 after them.
    Exact: the state distribution is propagated over the states reachable from
    the empty state under ``table``.
    """
    if not 0 < gamma <= 1:
        raise ValueError(f"gamma: {gamma!r}; allowed: 0 < gamma <= 1")
    if burn_in < 0 or horizon < 0:
        raise ValueError(f"burn_in, horizon: {burn_in}, {horizon}; allowed: integers >= 0")
    states, P, cost = _reachable(build_model(problem), check_table(problem, table))
    PT = P.T.tocsr()
    dist = np.zeros(states.size)
    dist[0] = 1.0
    for _ in range(burn_in):
        dist = PT @ dist
    total = 0.0
    for k in range(horizon):
        total += gamma**k * float(dist @ cost)
        dist = PT @ dist
    return -total
