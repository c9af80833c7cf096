"""Rewards: each store-SKU's profit contribution over a step.

``profit = revenue − cost of goods sold − waste value − damaged value −
holding − disposal − allocated truck cost − allocated courier cost −
stockout_penalty × lost units``.

Truck cost is allocated in proportion to the units each store-SKU received by
truck in the step, courier cost in proportion to units received by courier;
a cost with no units behind it (a courier who found nothing to pick up) is
spread evenly over all store-SKUs, so per-agent rewards always add up to the
environment's reward exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine import Simulation


@dataclass(frozen=True)
class FlowTotals:
    """Cumulative store-SKU counters at one moment (copies). All [stores, skus]."""

    revenue: np.ndarray
    sold: np.ndarray
    lost: np.ndarray
    wasted: np.ndarray
    damaged: np.ndarray
    holding: np.ndarray
    delivered: np.ndarray
    transfer_in: np.ndarray
    truck_cost: float
    courier_cost: float

    @classmethod
    def read(cls, sim: Simulation) -> FlowTotals:
        counters = sim.counters_view()
        c = counters.store
        net = counters.network
        return cls(
            revenue=c.revenue.copy(),
            sold=c.sold_units.copy(),
            lost=c.lost_units.copy(),
            wasted=c.wasted_units.copy(),
            damaged=c.damaged_units.copy(),
            holding=c.holding_cost.copy(),
            delivered=c.delivered_units.copy(),
            transfer_in=c.transfer_in_units.copy(),
            truck_cost=net.truck_cost,
            courier_cost=net.courier_cost,
        )


def _allocate(cost: float, weights: np.ndarray) -> np.ndarray:
    total = weights.sum()
    if cost == 0.0:
        return np.zeros(weights.shape)
    if total > 0:
        return cost * weights / total
    return np.full(weights.shape, cost / weights.size)


def store_sku_profit(
    sim: Simulation, before: FlowTotals, after: FlowTotals, stockout_penalty_per_unit: float
) -> np.ndarray:
    """[stores, skus] float64 profit contribution between two readings."""
    skus = sim.spec.skus
    cost = skus.unit_cost[None, :]
    sold = after.sold - before.sold
    wasted = after.wasted - before.wasted
    damaged = after.damaged - before.damaged
    profit = (
        (after.revenue - before.revenue)
        - sold * cost
        - (wasted + damaged) * (cost + skus.disposal_cost_per_unit[None, :])
        - (after.holding - before.holding)
        - stockout_penalty_per_unit * (after.lost - before.lost)
    )
    profit -= _allocate(after.truck_cost - before.truck_cost, after.delivered - before.delivered)
    profit -= _allocate(
        after.courier_cost - before.courier_cost, after.transfer_in - before.transfer_in
    )
    return profit
