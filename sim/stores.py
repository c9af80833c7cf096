"""What happens at a store: serving customers, refilling the shelf, receiving stock.

All functions act on one store's whole SKU vector at once.

Timing of demand: tick ``k`` of day ``d`` covers
``[24 d + tick_start[k], 24 d + tick_start[k] + tick_length)`` and its units
arrive at the tick's end. A store's demand is issued lazily, just before
anything changes its stock (a delivery, a pickup, a shelf refill, the day
end): ``serve_until(t)`` issues every tick that ended at or before ``t``.
Between two stock changes, issuing tick by tick and issuing the ticks' sum at
once give the same sales, lost sales and ages (FIFO and LIFO are additive);
with MIXED issuing the freshest-first share applies to each such batch.

Customers buy from the shelf only. The shelf is refilled from the backroom at
opening, at the store's restock hours and right after every delivery; between
refills an empty shelf loses sales even if the backroom has stock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.enums import EventKind, IssuingRule, Stream
from sim.inventory import advance_ages, issue, issue_sparse

if TYPE_CHECKING:
    from sim.context import SimContext


def serve_until(ctx: SimContext, store: int, t_hours: float) -> None:
    """Issue the store's demand of every tick that ended at or before ``t_hours``."""
    st = ctx.state
    k1 = int(np.searchsorted(ctx.tick_end_hours, t_hours - 24.0 * ctx.day, side="right"))
    k0 = int(st.served_ticks[store])
    if k1 <= k0:
        return
    st.served_ticks[store] = k1
    ticks = st.day_demand[store, k0:k1]
    demand = ticks[0].copy() if k1 - k0 == 1 else ticks.sum(axis=0)
    shelf = st.store_shelf[store]
    sold = np.minimum(demand, shelf)
    spec = ctx.spec.stores[store]
    issue_sparse(st.store_stock[store], sold, spec.issuing, spec.fresh_first_share)
    st.store_units[store] -= sold
    shelf -= sold
    lost = demand - sold
    c = ctx.counters.store
    c.demand_units[store] += demand
    c.sold_units[store] += sold
    c.lost_units[store] += lost
    paid = ctx.spec.skus.price * st.price_multiplier[store] * st.promotion_price[store]
    c.revenue[store] += sold * paid
    st.sales_today[store] += sold
    st.lost_today[store] += lost
    st.demand_today[store] += demand
    ctx.balance.sold += int(sold.sum())
    ctx.record(
        EventKind.SERVE,
        store,
        f"demand={int(demand.sum())} sold={int(sold.sum())} lost={int(lost.sum())}",
    )


def restock_shelf(ctx: SimContext, store: int) -> None:
    """Refill the shelf from the backroom up to its capacity."""
    st = ctx.state
    np.minimum(
        ctx.spec.store_sku.shelf_capacity_units[store],
        st.store_units[store],
        out=st.store_shelf[store],
    )


def clamp_shelf(ctx: SimContext, store: int) -> None:
    """Keep the shelf count within what is on hand after stock left the store."""
    st = ctx.state
    np.minimum(st.store_shelf[store], st.store_units[store], out=st.store_shelf[store])


def take_for_transfer(ctx: SimContext, store: int, units: np.ndarray) -> np.ndarray:
    """Remove up to ``units`` per SKU (oldest first) for a courier pickup.

    Returns:
        [skus, ages] the units actually taken (less where stock ran short).
    """
    st = ctx.state
    take = np.minimum(units, st.store_units[store])
    taken = issue(st.store_stock[store], take, IssuingRule.FIFO)
    st.store_units[store] -= take
    clamp_shelf(ctx, store)
    return taken


def receive(
    ctx: SimContext,
    store: int,
    qty: np.ndarray,
    depart_hours: float,
    *,
    from_truck: bool,
    qty_per_sku: np.ndarray | None = None,
) -> tuple[int, int, int]:
    """Put a delivery into the store (after serving the demand before it).

    Units that expired on the way are wasted here; units received from trucks
    may be damaged (probability ``damage_rate`` per unit, drawn from the damage
    stream) and are written off oldest first.

    Args:
        qty: [skus, ages] units by age at departure.
        depart_hours: when the shipment left (for ageing across midnights).
        from_truck: True for DC deliveries (damage applies), False for couriers.
        qty_per_sku: ``qty`` summed over ages, if the caller has it already.

    Returns:
        (accepted, wasted, damaged) units.
    """
    spec = ctx.spec
    days = ctx.day - int(depart_hours // 24.0)
    aged, wasted = advance_ages(qty, days, spec.skus.shelf_life_days)
    units = (qty.sum(axis=1) if qty_per_sku is None else qty_per_sku) - wasted
    damaged = np.zeros_like(units)
    if from_truck and (spec.skus.damage_rate > 0).any():
        damaged = (
            ctx.store_streams(store).stream(Stream.DAMAGE).binomial(units, spec.skus.damage_rate)
        )
        issue_sparse(aged, damaged, IssuingRule.FIFO)
    accepted = units - damaged
    ctx.state.store_stock[store] += aged
    ctx.state.store_units[store] += accepted
    c = ctx.counters.store
    c.received_units[store] += accepted
    c.wasted_units[store] += wasted
    c.damaged_units[store] += damaged
    ctx.balance.wasted += int(wasted.sum())
    ctx.balance.damaged += int(damaged.sum())
    restock_shelf(ctx, store)
    return int(accepted.sum()), int(wasted.sum()), int(damaged.sum())
