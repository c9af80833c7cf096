"""The single-SKU perishable inventory problem: definition, dynamics, transition model.

Part of the exact solver ``policies.optimal``, whose package docstring describes the
problem, the order of events and the state layout. This module holds:

* ``PerishableProblem``: the validated problem and its state layout;
* ``period_outcome``: one period unit by unit in plain Python, the reference the
  vectorised model (and the env) are tested against;
* ``build_model``: the precomputed transitions every solver sweep uses;
* ``transitions``: next states, probabilities and expected costs of (state, order) pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse

from sim.demand.stationary import StationaryDemandSpec
from sim.enums import DemandDistribution, IssuingRule
from sim.errors import ConfigError

MAX_STATES = 4_000_000  # 11^6 = 1.77 M takes < 1.5 GB; much beyond, memory and time blow up


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


@dataclass(frozen=True)
class PerishableProblem:
    """The single-SKU perishable inventory problem (see ``policies.optimal``'s docstring).

    Attributes:
        life_days: useful life ``m`` in days (>= 1), or 0 (non-perishable).
        lead_time: ``L`` in periods (>= 0; 0 = the order arrives before demand).
        issuing: ``IssuingRule.FIFO`` (oldest first) or ``IssuingRule.LIFO``.
        demand: the daily demand; its ``daily_pmf()`` is used as is.
        max_order: ``Q``; the action is the order quantity ``0..Q``.
        order_cost: ``c`` per unit ordered (paid when placed).
        lost_sales_cost: ``p`` per unit of unmet demand.
        waste_cost: ``w`` per unit that expires.
        holding_cost: ``h`` per unit carried into the next period.
        max_stock: non-perishable only: cap on the inventory position (orders
            are reduced to fit, as in the env). None = ``Q·(L+2) + support_max``
            (resolved at construction). Must be None for a perishable item.

    Raises:
        ConfigError (a ValueError): naming the field, the value and what is allowed.
    """

    life_days: int
    lead_time: int
    issuing: IssuingRule
    demand: StationaryDemandSpec
    max_order: int
    order_cost: float
    lost_sales_cost: float
    waste_cost: float
    holding_cost: float
    max_stock: int | None = None

    def __post_init__(self) -> None:
        m = self.life_days
        if not _is_int(m) or m < 0:
            raise ConfigError("life_days", m, "an integer >= 1, or 0 (non-perishable)")
        if not _is_int(self.lead_time) or self.lead_time < 0:
            raise ConfigError("lead_time", self.lead_time, "an integer >= 0")
        if m == 1 and self.lead_time == 0:
            raise ConfigError(
                "life_days/lead_time",
                (m, self.lead_time),
                "not both 1 and 0 (the state would be empty: solve it as a newsvendor)",
            )
        if not isinstance(self.issuing, IssuingRule) or self.issuing is IssuingRule.MIXED:
            raise ConfigError(
                "issuing",
                self.issuing,
                "IssuingRule.FIFO or IssuingRule.LIFO (MIXED is not supported by the exact solver)",
            )
        if not isinstance(self.demand, StationaryDemandSpec):
            raise ConfigError("demand", self.demand, "a sim.demand.stationary.StationaryDemandSpec")
        if not _is_int(self.max_order) or self.max_order < 1:
            raise ConfigError("max_order", self.max_order, "an integer >= 1")
        for name in ("order_cost", "lost_sales_cost", "waste_cost", "holding_cost"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float | np.integer | np.floating)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ConfigError(name, value, "a finite number >= 0")
            object.__setattr__(self, name, float(value))
        object.__setattr__(self, "lead_time", int(self.lead_time))
        object.__setattr__(self, "max_order", int(self.max_order))
        object.__setattr__(self, "life_days", int(m))
        if m > 0:
            if self.max_stock is not None:
                raise ConfigError(
                    "max_stock",
                    self.max_stock,
                    "None for a perishable item (every bucket is bounded by max_order)",
                )
        elif self.max_stock is None:
            default = self.max_order * (self.lead_time + 2) + self.demand.support_max
            object.__setattr__(self, "max_stock", int(default))
        elif not _is_int(self.max_stock) or self.max_stock < 1:
            raise ConfigError("max_stock", self.max_stock, "an integer >= 1, or None (default)")
        else:
            object.__setattr__(self, "max_stock", int(self.max_stock))

    # -------------------------------------------------------------- layout
    @property
    def perishable(self) -> bool:
        return self.life_days > 0

    @property
    def n_stock(self) -> int:
        """Number of on-hand entries of the state: ``m − 1``, or 1 if non-perishable."""
        return self.life_days - 1 if self.life_days > 0 else 1

    @property
    def obs_dim(self) -> int:
        return self.n_stock + self.lead_time

    @property
    def dims(self) -> tuple[int, ...]:
        """Number of values of each state entry (the observation's layout)."""
        q1 = self.max_order + 1
        stock = (q1,) * self.n_stock if self.perishable else (self.max_stock + 1,)
        return stock + (q1,) * self.lead_time

    @property
    def n_states(self) -> int:
        return math.prod(self.dims)

    def state_index(self, state: Sequence[int] | np.ndarray) -> int:
        """Index of one state (integers, observation layout).

        Raises:
            ValueError: wrong length, or an entry outside its range.
        """
        values = np.asarray(state)
        if values.shape != (self.obs_dim,):
            raise ValueError(f"state: shape {values.shape}; allowed: ({self.obs_dim},)")
        return int(self.state_indices(values[None, :])[0])

    def state_indices(self, states: np.ndarray) -> np.ndarray:
        """Indices of a batch of states ``[n, obs_dim]`` (finite non-negative integers).

        Raises:
            ValueError: naming the first bad entry and its allowed range.
        """
        arr = np.asarray(states)
        if arr.ndim != 2 or arr.shape[1] != self.obs_dim:
            raise ValueError(f"states: shape {arr.shape}; allowed: (n, {self.obs_dim})")
        if arr.dtype.kind == "f":
            if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
                raise ValueError("states: non-integer or non-finite entries; allowed: integers")
        elif arr.dtype.kind not in "iu":
            raise ValueError(
                f"states: dtype {arr.dtype}; allowed: integers or floats holding integers"
            )
        ints = arr.astype(np.int64)
        high = np.asarray(self.dims) - 1
        bad = (ints < 0) | (ints > high)
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"state[{row}][{col}] ({self.entry_name(col)}) = {int(ints[row, col])}; "
                f"allowed: 0..{int(high[col])}"
            )
        return np.ravel_multi_index(tuple(ints.T), self.dims).astype(np.int64)

    def state_of(self, index: int) -> tuple[int, ...]:
        """The state (observation layout, integers) of an index."""
        return tuple(int(v) for v in np.unravel_index(int(index), self.dims))

    def entry_name(self, i: int) -> str:
        """What entry ``i`` of the state means, in words."""
        if i < self.n_stock:
            return f"on hand, remaining life {i + 1}" if self.perishable else "on hand"
        j = i - self.n_stock
        return f"arriving at t+{j}"

    def inventory_positions(self) -> np.ndarray:
        """On hand + pipeline of every state (int64 [n_states])."""
        pos = np.zeros(1, dtype=np.int64)
        for size in self.dims:
            pos = (pos[:, None] + np.arange(size)[None, :]).ravel()
        return pos

    # ------------------------------------------------------------ echo
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (enums as their values)."""
        return {
            "life_days": self.life_days,
            "lead_time": self.lead_time,
            "issuing": self.issuing.value,
            "demand": {
                "distribution": self.demand.distribution.value,
                "mean": self.demand.mean,
                "cv": self.demand.cv,
                "max_demand": self.demand.max_demand,
            },
            "max_order": self.max_order,
            "order_cost": self.order_cost,
            "lost_sales_cost": self.lost_sales_cost,
            "waste_cost": self.waste_cost,
            "holding_cost": self.holding_cost,
            "max_stock": self.max_stock,
        }

    def env_kwargs(self) -> dict[str, Any]:
        """Arguments of ``envs.perishable.env.PerishableInventoryEnv`` for the same chain.

        ``max_stock`` is passed for a non-perishable item: the env's own default cap is
        much higher, which only matters if a policy pushes the position that far.
        """
        kwargs: dict[str, Any] = {
            "life_days": self.life_days,
            "lead_time": self.lead_time,
            "issuing": self.issuing,
            "demand": self.demand,
            "max_order": self.max_order,
            "order_cost": self.order_cost,
            "lost_sales_cost": self.lost_sales_cost,
            "waste_cost": self.waste_cost,
            "holding_cost": self.holding_cost,
        }
        if not self.perishable:
            kwargs["max_stock"] = self.max_stock
        return kwargs

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PerishableProblem:
        """Inverse of ``to_dict``.

        Raises:
            ConfigError: unknown issuing rule or demand distribution, or a bad field.
        """
        fields = dict(data)
        issuing = fields.pop("issuing")
        rules = {r.value: r for r in (IssuingRule.FIFO, IssuingRule.LIFO)}
        if issuing not in rules:
            raise ConfigError("issuing", issuing, "fifo or lifo")
        demand = dict(fields.pop("demand"))
        dists = {d.value: d for d in (DemandDistribution.POISSON, DemandDistribution.GAMMA)}
        dist = demand.pop("distribution")
        if dist not in dists:
            raise ConfigError("demand.distribution", dist, "poisson or gamma")
        spec = StationaryDemandSpec(dists[dist], **demand)
        return cls(issuing=rules[issuing], demand=spec, **fields)


# ------------------------------------------------------------------- dynamics
@dataclass(frozen=True)
class PeriodOutcome:
    """One period from a state, an order and a demand (the reference dynamics).

    Attributes:
        next_state: the next state (observation layout, integers).
        ordered: units actually ordered (non-perishable: reduced to the cap).
        sold, lost, wasted, carried: units in the period.
        cost: ``c·ordered + p·lost + w·wasted + h·carried``.
    """

    next_state: tuple[int, ...]
    ordered: int
    sold: int
    lost: int
    wasted: int
    carried: int
    cost: float


def period_outcome(
    problem: PerishableProblem, state: Sequence[int], order: int, demand: int
) -> PeriodOutcome:
    """One period, unit by unit, in plain Python: the reference the solver is tested against."""
    pb = problem
    state = [int(v) for v in state]
    pb.state_index(state)  # validates
    k, lead = pb.n_stock, pb.lead_time
    stock, pipe = state[:k], state[k:]
    order = int(order)
    if not 0 <= order <= pb.max_order:
        raise ValueError(f"order: {order}; allowed: 0..{pb.max_order}")
    if not pb.perishable:
        order = min(order, max(pb.max_stock - sum(state), 0))  # the position cap, as the env
    if lead >= 1:
        arrival, pipe = pipe[0], [*pipe[1:], order]
    else:
        arrival = order
    if pb.perishable:
        buckets = [*stock, arrival]  # index r-1 = remaining life r, r = 1..m
        order_of_use = range(len(buckets))
        if pb.issuing is IssuingRule.LIFO:
            order_of_use = reversed(order_of_use)
        left = int(demand)
        for r in order_of_use:
            take = min(buckets[r], left)
            buckets[r] -= take
            left -= take
        lost = left
        wasted = buckets[0]
        new_stock = buckets[1:]
        carried = sum(new_stock)
    else:
        total = stock[0] + arrival
        lost = max(int(demand) - total, 0)
        wasted = 0
        carried = max(total - int(demand), 0)
        new_stock = [min(carried, pb.max_stock)]
    cost = (
        pb.order_cost * order
        + pb.lost_sales_cost * lost
        + pb.waste_cost * wasted
        + pb.holding_cost * carried
    )
    return PeriodOutcome(
        next_state=tuple(new_stock + pipe),
        ordered=order,
        sold=int(demand) - lost,
        lost=lost,
        wasted=wasted,
        carried=carried,
        cost=cost,
    )


@dataclass(frozen=True, eq=False)
class Model:
    """Precomputed transitions (see ``policies.optimal``'s docstring, "Method").

    Attributes:
        q1: ``Q + 1``; nx: number of on-hand indices; pl: ``(Q+1)^L``;
        p1: ``(Q+1)^(L-1)`` (1 if L = 0); n_states: ``nx · pl``.
        dvals, pvals: demand values with positive probability and their probabilities.
        key_of: [nx, q1] key of (on hand, arrival).
        xnext: [keys, len(dvals)] next on-hand index (int32).
        key_cost: [keys] expected period cost without the order cost.
        T: [keys, nx] transition probabilities of the on-hand part (CSR, or dense if small).
        room: [n_states] largest order the position cap allows (non-perishable), else None.
    """

    problem: PerishableProblem
    q1: int
    nx: int
    pl: int
    p1: int
    n_states: int
    dvals: np.ndarray
    pvals: np.ndarray
    key_of: np.ndarray
    xnext: np.ndarray
    key_cost: np.ndarray
    T: Any
    room: np.ndarray | None


@lru_cache(maxsize=8)
def build_model(problem: PerishableProblem) -> Model:
    pb = problem
    n_states = pb.n_states
    if n_states > MAX_STATES:
        raise ConfigError(
            "state space",
            n_states,
            f"at most {MAX_STATES:,} states (dims {pb.dims}); lower max_order, life_days, "
            "lead_time or max_stock",
        )
    q1 = pb.max_order + 1
    pmf = pb.demand.daily_pmf()
    keep = pmf > 0  # a zero-probability demand must not create an edge (it would change classes)
    dvals = np.flatnonzero(keep).astype(np.int64)
    pvals = pmf[keep]
    p, w, h = pb.lost_sales_cost, pb.waste_cost, pb.holding_cost
    if pb.perishable:
        m = pb.life_days
        nx = q1 ** (m - 1)
        n_keys = nx * q1
        # buckets[:, r-1] = units with remaining life r after the arrival (column m-1 = arrival)
        buckets = np.stack(np.unravel_index(np.arange(n_keys), (q1,) * m), axis=1)
        key_of = np.arange(n_keys, dtype=np.int64).reshape(nx, q1)
        strides = q1 ** np.arange(m - 2, -1, -1, dtype=np.int64)  # on-hand entries, C order
        use = range(m) if pb.issuing is IssuingRule.FIFO else range(m - 1, -1, -1)
        xnext = np.empty((n_keys, dvals.size), dtype=np.int32)
        cost = np.empty((n_keys, dvals.size))
        for i, d in enumerate(dvals):
            left = np.full(n_keys, d, dtype=np.int64)
            b = buckets.copy()
            for r in use:
                take = np.minimum(b[:, r], left)
                b[:, r] -= take
                left -= take
            carried = b[:, 1:].sum(axis=1)
            xnext[:, i] = b[:, 1:] @ strides
            cost[:, i] = p * left + w * b[:, 0] + h * carried
    else:
        cap = pb.max_stock
        nx = cap + 1
        n_keys = cap + q1  # key = on hand + arrival = 0 .. cap + Q
        key_of = np.arange(nx, dtype=np.int64)[:, None] + np.arange(q1, dtype=np.int64)[None, :]
        z = np.arange(n_keys, dtype=np.int64)[:, None]
        after = z - dvals[None, :]
        # Only states above the cap (unreachable from the empty state) can overflow it.
        xnext = np.clip(after, 0, cap).astype(np.int32)
        cost = p * np.maximum(-after, 0) + h * np.maximum(after, 0)
    key_cost = cost @ pvals
    rows = np.repeat(np.arange(n_keys), dvals.size)
    T = sparse.csr_matrix(
        (np.tile(pvals, n_keys), (rows, xnext.ravel())), shape=(n_keys, nx)
    )  # duplicates (several demands, same next stock) are summed
    T.sum_duplicates()
    if n_keys * nx <= 4_000_000 and T.nnz > 0.05 * n_keys * nx:
        T = T.toarray()  # small and dense: BLAS beats the sparse kernel
    lead = pb.lead_time
    pl = q1**lead
    room = None
    if not pb.perishable:
        room = np.clip(pb.max_stock - pb.inventory_positions(), 0, pb.max_order).astype(np.int16)
    return Model(
        problem=pb,
        q1=q1,
        nx=nx,
        pl=pl,
        p1=q1 ** (lead - 1) if lead >= 1 else 1,
        n_states=nx * pl,
        dvals=dvals,
        pvals=pvals,
        key_of=key_of,
        xnext=xnext,
        key_cost=key_cost,
        T=T,
        room=room,
    )


def successors(
    model: Model, states: np.ndarray, actions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Next-state indices ``[n, len(dvals)]`` and expected period cost ``[n]`` of (state, order)."""
    pb = model.problem
    if model.room is not None:
        actions = np.minimum(actions, model.room[states])  # the env's position cap
    if pb.lead_time >= 1:
        row, rest = np.divmod(states, model.p1)  # row = (on hand, y0), rest = (y1 .. y_{L-1})
        x, y0 = np.divmod(row, model.q1)
        keys = model.key_of[x, y0]
        tail = rest * model.q1 + actions  # next pipeline (y1 .. y_{L-1}, a)
        nexts = model.xnext[keys].astype(np.int64) * model.pl + tail[:, None]
    else:
        keys = model.key_of[states, actions]
        nexts = model.xnext[keys].astype(np.int64)
    cost = pb.order_cost * actions + model.key_cost[keys]
    return nexts, cost


def transitions(
    problem: PerishableProblem, states: np.ndarray, orders: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where (state, order) pairs lead, by the precomputed model the solvers use.

    Args:
        problem: the problem.
        states: [n] state indices.
        orders: [n] orders (non-perishable: reduced to the position cap, as in the env).

    Returns:
        (next state indices [n, k], probabilities [k] of the demand values
        ``demand_values(problem)`` that cause them, expected period costs [n] including
        the order cost).
    """
    model = build_model(problem)
    states = np.asarray(states, dtype=np.int64)
    orders = np.asarray(orders, dtype=np.int64)
    if states.shape != orders.shape or states.ndim != 1:
        raise ValueError(
            f"states, orders: shapes {states.shape}, {orders.shape}; allowed: equal, 1-D"
        )
    if states.size and (states.min() < 0 or states.max() >= model.n_states):
        raise ValueError(f"states: allowed 0..{model.n_states - 1}")
    if orders.size and (orders.min() < 0 or orders.max() > problem.max_order):
        raise ValueError(f"orders: allowed 0..{problem.max_order}")
    nexts, cost = successors(model, states, orders)
    return nexts, model.pvals.copy(), cost


def demand_values(problem: PerishableProblem) -> np.ndarray:
    """The demand values with positive probability, in the order ``transitions`` uses."""
    return build_model(problem).dvals.copy()
