"""Rewards: each agent's share of the chain's profit over a step, plus one shaping term.

With ``stockout_penalty_per_unit = 0`` the rewards of all agents add up, step by
step, to the change of the chain's ``profit`` KPI (``sim.kpis``) when every
store is controlled: every money flow of that KPI goes to exactly one agent.
A ``sim.reset_kpis()`` between two steps (an evaluation starting its KPI period
after the env's warm-up) starts the next step's flows from zero.

* A store-SKU's own flows: revenue − cost of goods sold − (wasted + damaged) ×
  (unit cost + disposal) − holding.
* Truck cost of the step: to the agents in proportion to the units each
  received by truck; courier cost: in proportion to units received by courier.
* The DC's costs of the step per SKU (holding, expired units at unit cost plus
  disposal): to the agents of that SKU at the stores the DC serves, in
  proportion to the units each received by truck in the step (what it pulled
  from the DC), evenly over them when none received any.
* A cost with no agent behind it by those rules (a courier who found nothing
  to pick up, a DC SKU no agent orders) is spread evenly over all agents.

Shaping (explicit, documented, not money): ``stockout_penalty_per_unit`` × lost
units, subtracted from the agent that lost them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import Simulation


@dataclass(frozen=True)
class FlowTotals:
    """Cumulative counters at one moment (copies). Store arrays [stores, skus], DC [dcs, skus]."""

    revenue: np.ndarray
    sold: np.ndarray
    lost: np.ndarray
    wasted: np.ndarray
    damaged: np.ndarray
    holding: np.ndarray
    delivered: np.ndarray
    transfer_in: np.ndarray
    dc_holding: np.ndarray
    dc_wasted: np.ndarray
    truck_cost: float
    courier_cost: float
    period_start_hours: float  # the KPI period these totals belong to

    @classmethod
    def read(cls, sim: Simulation) -> FlowTotals:
        counters = sim.counters_view()
        c, d, net = counters.store, counters.dc, counters.network
        return cls(
            revenue=c.revenue.copy(),
            sold=c.sold_units.copy(),
            lost=c.lost_units.copy(),
            wasted=c.wasted_units.copy(),
            damaged=c.damaged_units.copy(),
            holding=c.holding_cost.copy(),
            delivered=c.delivered_units.copy(),
            transfer_in=c.transfer_in_units.copy(),
            dc_holding=d.holding_cost.copy(),
            dc_wasted=d.wasted_units.copy(),
            truck_cost=net.truck_cost,
            courier_cost=net.courier_cost,
            period_start_hours=net.period_start_hours,
        )

    def zeros_like(self, period_start_hours: float) -> FlowTotals:
        """Totals at the start of a new KPI period (``sim.reset_kpis`` zeroes the counters)."""
        return FlowTotals(
            **{
                name: np.zeros_like(value) if isinstance(value, np.ndarray) else 0.0
                for name, value in vars(self).items()
                if name != "period_start_hours"
            },
            period_start_hours=period_start_hours,
        )


def _allocate(cost: np.ndarray, weights: np.ndarray, agents: np.ndarray) -> np.ndarray:
    """Split ``cost`` (broadcast over the leading axes of ``weights``) by ``weights`` over
    ``agents``; where the agents' weights sum to 0, evenly over the agents. [..., n] -> [..., n]."""
    w = np.where(agents, weights, 0.0).astype(np.float64)
    total = w.sum(axis=-1, keepdims=True)
    count = agents.sum(axis=-1, keepdims=True)
    even = np.where(agents, 1.0, 0.0) / np.maximum(count, 1)
    share = np.where(total > 0, w / np.where(total > 0, total, 1.0), even)
    return np.asarray(cost)[..., None] * share


def store_sku_profit(
    sim: Simulation,
    before: FlowTotals,
    after: FlowTotals,
    stockout_penalty_per_unit: float,
    agents: np.ndarray | None = None,
) -> np.ndarray:
    """[stores, skus] float64 profit share between two readings (0 outside ``agents``).

    Args:
        agents: [stores, skus] bool, the store-SKUs that receive rewards (default: all).
    """
    if after.period_start_hours != before.period_start_hours:
        # the counters were reset between the readings (e.g. after a warm-up): the flows
        # since then are all in ``after``
        before = before.zeros_like(after.period_start_hours)
    spec = sim.spec
    skus = spec.skus
    if agents is None:
        agents = np.ones((spec.n_stores, spec.n_skus), dtype=bool)
    cost = skus.unit_cost[None, :]
    sold = after.sold - before.sold
    wasted = after.wasted - before.wasted
    damaged = after.damaged - before.damaged
    delivered = after.delivered - before.delivered
    own = (
        (after.revenue - before.revenue)
        - sold * cost
        - (wasted + damaged) * (cost + skus.disposal_cost_per_unit[None, :])
        - (after.holding - before.holding)
        - stockout_penalty_per_unit * (after.lost - before.lost)
    )
    # costs with no agent behind them by the rules below are spread over all agents
    # (a store with no agent at all is not controlled: its own flows are not the agents')
    controlled = agents.any(axis=1, keepdims=True)
    unowned = float(np.where(~agents & controlled, own, 0.0).sum())
    profit = np.where(agents, own, 0.0)
    flat = agents.reshape(-1)
    truck = _allocate(np.float64(after.truck_cost - before.truck_cost), delivered.reshape(-1), flat)
    courier = _allocate(
        np.float64(after.courier_cost - before.courier_cost),
        (after.transfer_in - before.transfer_in).reshape(-1),
        flat,
    )
    profit -= (truck + courier).reshape(profit.shape)
    dc_cost = (after.dc_holding - before.dc_holding) + (after.dc_wasted - before.dc_wasted) * (
        skus.unit_cost + skus.disposal_cost_per_unit
    )[None, :]  # [dcs, skus]
    store_dc = spec.store_dc()
    for j in range(spec.n_dcs):
        stores = store_dc == j
        served = agents[stores]  # [stores of j, skus]
        share = _allocate(dc_cost[j], delivered[stores].T, served.T).T  # per SKU over stores
        profit[stores] -= share
        unowned -= float(dc_cost[j][~served.any(axis=0)].sum())
    if unowned != 0.0:
        profit += np.where(agents, unowned / max(int(agents.sum()), 1), 0.0)
    return profit
