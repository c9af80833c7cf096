"""``PerishableInventory-v0``'s period as array arithmetic over a batch of replications.

The simulator path (``sim/``) runs the period as SimPy events: an order event,
an arrival, a demand tick and the day's end. For this one-store, one-SKU
textbook problem that costs about 0.6 ms a period, most of it SimPy's clock,
while the arithmetic is a dozen additions. ``PerishableBatch`` does the same
period for ``R`` independent replications at once in numpy, with the same
order of events (see ``envs.perishable.env``) and the same demand draws
(``sim.demand.stationary.draw_block``), so that its costs, sales and states
equal the simulator's to the unit and to the bit (``tests/envs/test_perishable_fast.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.demand.stationary import BLOCK_DAYS, StationaryDemandSpec, draw_block
from sim.enums import IssuingRule
from sim.rng import RandomStreams


@dataclass(frozen=True)
class PeriodCosts:
    """Cost per unit of each term: ``c, p, w, h``."""

    order_cost: float
    lost_sales_cost: float
    waste_cost: float
    holding_cost: float


@dataclass
class PeriodOutcome:
    """One period of every replication, arrays of shape ``[R]``."""

    order_units: np.ndarray
    order_reduced_units: np.ndarray
    demand_units: np.ndarray
    sold_units: np.ndarray
    lost_units: np.ndarray
    wasted_units: np.ndarray
    carried_units: np.ndarray
    order_cost: np.ndarray
    lost_sales_cost: np.ndarray
    waste_cost: np.ndarray
    holding_cost: np.ndarray
    cost: np.ndarray

    def info(self, row: int | None = None) -> dict[str, Any]:
        """The env's ``info`` entries (``envs.perishable.env``'s KPIs): arrays over the
        replications, or with ``row`` that replication's as Python numbers (the single env's
        hot path: no arrays built for one value)."""
        entries: dict[str, Any] = {
            "order_units": self.order_units,
            "order_reduced_units": self.order_reduced_units,
            "demand_units": self.demand_units,
            "sold_units": self.sold_units,
            "lost_units": self.lost_units,
            "wasted_units": self.wasted_units,
            "on_hand_units": self.carried_units,
            "fill_rate": None,  # sold / demand, 1 without demand
            "stockout": None,  # 1 if demand was lost
            "order_cost": self.order_cost,
            "lost_sales_cost": self.lost_sales_cost,
            "waste_cost": self.waste_cost,
            "holding_cost": self.holding_cost,
            "cost": self.cost,
        }
        if row is None:
            demand, sold = self.demand_units, self.sold_units
            # where there is no demand nothing was sold: the maximum only avoids 0 / 0
            entries["fill_rate"] = np.where(demand > 0, sold / np.maximum(demand, 1), 1.0)
            entries["stockout"] = (self.lost_units > 0).astype(np.int64)
            return entries
        entries = {
            key: None if value is None else value.item(row) for key, value in entries.items()
        }
        demand, sold = entries["demand_units"], entries["sold_units"]
        entries["fill_rate"] = sold / demand if demand else 1.0
        entries["stockout"] = int(entries["lost_units"] > 0)
        return entries


class PerishableBatch:
    """The state and period of ``R`` replications of one perishable-inventory cell.

    State (int64): ``hand[r, k]`` units on hand with remaining life ``k + 1``
    (``k = 0 .. m − 1``; the last column is empty between periods and takes the
    arrival), or one column of on-hand units for a non-perishable item;
    ``pipeline[r, j]`` units arriving at the start of period ``t + j``.

    Args:
        life_days: ``m`` (0: does not perish).
        lead_time: ``L``.
        issuing: FIFO or LIFO.
        costs: per-unit costs.
        max_stock: non-perishable only: the inventory-position cap.
        replications: ``R``.
    """

    def __init__(
        self,
        life_days: int,
        lead_time: int,
        issuing: IssuingRule,
        costs: PeriodCosts,
        max_stock: int,
        replications: int,
    ) -> None:
        self.life_days = life_days
        self.lead_time = lead_time
        self.costs = costs
        self.max_stock = max_stock
        self.replications = replications
        width = max(life_days, 1)
        self.hand = np.zeros((replications, width), dtype=np.int64)
        self.pipeline = np.zeros((replications, lead_time), dtype=np.int64)
        # FIFO sells the shortest remaining life first; LIFO the freshest
        order = range(width) if issuing is IssuingRule.FIFO else range(width - 1, -1, -1)
        self._issue_order = tuple(order)
        self.n_stock = (life_days - 1) if life_days else 1
        self._no_reduction = np.zeros(replications, dtype=np.int64)

    def clear(self, rows: np.ndarray | slice = slice(None)) -> None:
        """Empty shelves and pipeline (the starting state) for the given replications."""
        self.hand[rows] = 0
        self.pipeline[rows] = 0

    def observation(self, out: np.ndarray | None = None) -> np.ndarray:
        """``[R, n_stock + L]`` float32: stock by remaining life 1..m−1, then the pipeline."""
        n = self.n_stock
        if out is None:
            out = np.empty((self.replications, n + self.lead_time), dtype=np.float32)
        out[:, :n] = self.hand[:, :n]
        out[:, n:] = self.pipeline
        return out

    def step(self, orders: np.ndarray, demand: np.ndarray) -> PeriodOutcome:
        """One period for every replication: orders, arrival, sales, waste, ageing.

        Args:
            orders: ``[R]`` int64 units ordered now (already validated).
            demand: ``[R]`` int64 units of demand this period.
        """
        hand, pipe = self.hand, self.pipeline
        reduced = self._no_reduction
        if not self.life_days:
            room = np.maximum(self.max_stock - hand[:, 0] - pipe.sum(axis=1), 0)
            reduced = np.maximum(orders - room, 0)
            orders = orders - reduced
        last = hand.shape[1] - 1
        if self.lead_time:
            hand[:, last] += pipe[:, 0]
            pipe[:, :-1] = pipe[:, 1:]
            pipe[:, -1] = orders
        else:
            hand[:, last] += orders
        unmet = demand.copy()
        for k in self._issue_order:
            take = np.minimum(hand[:, k], unmet)
            hand[:, k] -= take
            unmet -= take
        if self.life_days:
            wasted = hand[:, 0].copy()
            hand[:, :-1] = hand[:, 1:]
            hand[:, -1] = 0
        else:
            wasted = np.zeros_like(orders)
        carried = hand.sum(axis=1)
        c = self.costs
        order_cost = c.order_cost * orders
        lost_sales_cost = c.lost_sales_cost * unmet
        waste_cost = c.waste_cost * wasted
        holding_cost = c.holding_cost * carried
        # the simulator path's order of addition, so that both agree to the bit
        cost = order_cost + lost_sales_cost + waste_cost + holding_cost
        return PeriodOutcome(
            order_units=orders,
            order_reduced_units=reduced,
            demand_units=demand,
            sold_units=demand - unmet,
            lost_units=unmet,
            wasted_units=wasted,
            carried_units=carried,
            order_cost=order_cost,
            lost_sales_cost=lost_sales_cost,
            waste_cost=waste_cost,
            holding_cost=holding_cost,
            cost=cost,
        )


class DemandBlocks:
    """Per-replication demand, drawn ``BLOCK_DAYS`` at a time exactly as the simulator draws
    it (``draw_block`` from each replication's ``RandomStreams(sim_seed)``).

    Args:
        spec: the daily distribution.
        replications: ``R``.
    """

    def __init__(self, spec: StationaryDemandSpec, replications: int) -> None:
        self.spec = spec
        self._streams: list[RandomStreams | None] = [None] * replications
        self._days = np.zeros(replications, dtype=np.int64)
        self._blocks = np.zeros((replications, BLOCK_DAYS), dtype=np.int64)
        self._rows = np.arange(replications)
        self._until_refill = 0  # days until some replication needs its next block

    def restart(self, row: int, sim_seed: int) -> None:
        """Replication ``row`` starts a new episode from day 0 with this simulator seed."""
        streams = RandomStreams(sim_seed)
        self._streams[row] = streams
        self._days[row] = 0
        self._blocks[row] = draw_block(self.spec, streams, 0, (1,))[:, 0]
        self._until_refill = 0  # recount at the next day

    def next_day(self) -> np.ndarray:
        """``[R]``: every replication's demand of its current day; then each moves on a day."""
        demand = self._blocks[self._rows, self._days % BLOCK_DAYS]
        self._days += 1
        self._until_refill -= 1
        if self._until_refill <= 0:
            left = BLOCK_DAYS - self._days % BLOCK_DAYS  # BLOCK_DAYS: just crossed into a block
            for row in np.flatnonzero(left == BLOCK_DAYS):
                block = int(self._days[row]) // BLOCK_DAYS
                self._blocks[row] = draw_block(self.spec, self._streams[row], block, (1,))[:, 0]
            self._until_refill = int(left.min()) if (left < BLOCK_DAYS).any() else BLOCK_DAYS
        return demand
