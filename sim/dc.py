"""Distribution centres: the store-order book, picking, fair allocation and trucks.

Timeline of a delivery weekday at a DC (hours of that day; with ``waves`` each wave
has its own cut-off, departure and pick capacity, in turn):

* ``order_cutoff_hour``: store orders received so far join the day's picking list;
  later orders wait for the next delivery weekday's cut-off.
* ``departure_hour``: the DC picks the list. When stock is short, each SKU's
  stock is shared among stores in proportion to their orders (whole cases for
  non-break-pack SKUs, largest remainder); when the list exceeds the pick
  capacity every line is cut by the same share (whole cases, rounded down).
  Stock leaves oldest first. One truck per store leaves with a vector of
  quantities and arrives ``transit_hours[store]`` later.
* What could not be picked is backordered (kept for the next departure) if the
  DC backorders, otherwise cancelled and counted.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.enums import DcReplenishmentBasis, EventKind, IssuingRule
from sim.inventory import allocate_fair, issue, scale_to_capacity
from sim.state import Shipment, ShipmentKind
from sim.stores import receive, serve_until

if TYPE_CHECKING:
    from sim.context import SimContext


def split_by_age(taken: np.ndarray, per_store: np.ndarray) -> np.ndarray:
    """Split picked units (by age) among stores, oldest units to the first stores.

    Args:
        taken: [skus, ages] units picked in total.
        per_store: [stores, skus] units each store gets (column sums = taken totals).

    Returns:
        [stores, skus, ages].
    """
    out = np.zeros((per_store.shape[0], *taken.shape), dtype=taken.dtype)
    ages_used = (taken > 0).sum(axis=1)
    # most SKUs are picked from one age: every store gets that age
    single = np.flatnonzero(ages_used == 1)
    if len(single):
        age = taken[single].argmax(axis=1)
        out[:, single, age] = per_store[:, single]
    mixed = np.flatnonzero(ages_used > 1)
    if len(mixed):
        sub = taken[mixed]
        top = int(np.flatnonzero(sub.any(axis=0))[-1]) + 1  # no stock above the oldest age
        split = _split_by_age(sub[:, :top], per_store[:, mixed])
        out[:, mixed, :top] = split
    return out


def _split_by_age(taken: np.ndarray, per_store: np.ndarray) -> np.ndarray:
    oldest_first = taken[:, ::-1]
    age_hi = np.cumsum(oldest_first, axis=1)  # [skus, ages]
    age_lo = age_hi - oldest_first
    store_hi = np.cumsum(per_store, axis=0)  # [stores, skus]
    store_lo = store_hi - per_store
    overlap = np.minimum(age_hi[None], store_hi[:, :, None]) - np.maximum(
        age_lo[None], store_lo[:, :, None]
    )
    return np.clip(overlap, 0, None)[:, :, ::-1]


def dc_process(ctx: SimContext, dc: int) -> Generator[simpy.Event, None, None]:
    """The DC's daily cycle: each wave's cut-off and departure on delivery weekdays."""
    spec = ctx.spec.dcs[dc]
    waves = spec.day_waves()
    while True:
        day_start = 24.0 * ctx.day
        if ctx.weekday(ctx.day) in spec.delivery_weekdays:
            for wave in waves:
                yield ctx.env.timeout(max(0.0, day_start + wave.cutoff_hour - ctx.env.now))
                close_order_book(ctx, dc)
                yield ctx.env.timeout(max(0.0, day_start + wave.departure_hour - ctx.env.now))
                dispatch(ctx, dc, wave.pick_capacity_units)
        yield ctx.env.timeout(max(0.0, day_start + 24.0 - ctx.env.now))
        # wait for the day boundary at the same instant to run (it has URGENT priority)


def close_order_book(ctx: SimContext, dc: int) -> None:
    stores = ctx.dc_stores[dc]
    st = ctx.state
    closed = st.dc_new_orders[stores]
    dc_spec = ctx.spec.dcs[dc]
    if dc_spec.replenishment_basis is DcReplenishmentBasis.STORE_ORDERS:  # only pull reads it
        alpha = dc_spec.order_rate_smoothing
        st.dc_order_rate[dc] = alpha * closed.sum(axis=0) + (1.0 - alpha) * st.dc_order_rate[dc]
    st.dc_to_ship[stores] += closed
    st.dc_new_orders[stores] = 0


def dispatch(ctx: SimContext, dc: int, pick_capacity_units: int | None = None) -> None:
    """Pick the wave's list, allocate fairly when short, and send one truck per store
    (``pick_capacity_units``: the wave's; default the DC's per-day capacity)."""
    spec = ctx.spec
    dc_spec = spec.dcs[dc]
    stores = ctx.dc_stores[dc]
    st = ctx.state
    requested = st.dc_to_ship[stores]
    if not requested.any():
        return
    pack = ctx.pick_unit
    if dc_spec.unlimited_stock:
        alloc = requested.copy()
    else:
        available_packs = st.dc_stock[dc].sum(axis=1) // pack
        alloc = allocate_fair(requested // pack[None, :], available_packs) * pack[None, :]
    capacity = (
        dc_spec.pick_capacity_units_per_day if pick_capacity_units is None else pick_capacity_units
    )
    alloc = scale_to_capacity(alloc, pack, capacity)
    unfilled = requested - alloc
    if dc_spec.backorder:
        st.dc_to_ship[stores] = unfilled
    else:
        st.dc_to_ship[stores] = 0
        ctx.counters.dc.cancelled_store_order_units[dc] += unfilled.sum(axis=0)
        for k, store in enumerate(stores):
            ctx.consume_order_queue(int(store), int(unfilled[k].sum()), respond=False)
    total = alloc.sum(axis=0)
    if dc_spec.unlimited_stock:
        by_store = np.zeros((len(stores), spec.n_skus, st.store_stock.shape[2]), dtype=np.int64)
        by_store[:, :, 0] = alloc
        ctx.balance.entered += int(total.sum())
        ctx.counters.dc.received_units[dc] += total
    else:
        taken = issue(st.dc_stock[dc], total, IssuingRule.FIFO)
        by_store = split_by_age(taken, alloc)
    ctx.counters.dc.shipped_units[dc] += total
    now = ctx.env.now
    for k, store in enumerate(stores):
        units = int(alloc[k].sum())
        if units == 0:
            continue
        store = int(store)
        arrive = now + dc_spec.transit_hours[store]
        shipment = Shipment(
            ShipmentKind.TRUCK, dc, store, by_store[k], now, arrive,
            fresh_on_arrival=dc_spec.unlimited_stock,
        )  # fmt: skip
        st.store_in_transit[store] += alloc[k]
        st.in_transit_units += units
        st.shipments.append(shipment)
        ctx.counters.network.truck_trips += 1
        ctx.counters.network.truck_cost += dc_spec.truck_cost_per_trip
        ctx.record(
            EventKind.DC_DISPATCH, store, f"dc={dc_spec.dc_id} units={units} arrive={arrive:g}"
        )
        ctx.env.process(truck_trip(ctx, shipment))


def truck_trip(ctx: SimContext, shipment: Shipment) -> Generator[simpy.Event, None, None]:
    yield ctx.env.timeout(shipment.arrive_hours - ctx.env.now)
    store = shipment.destination
    serve_until(ctx, store, ctx.env.now)
    st = ctx.state
    st.shipments.remove(shipment)
    per_sku = shipment.qty.sum(axis=1)
    st.store_in_transit[store] -= per_sku
    units = int(per_sku.sum())
    st.in_transit_units -= units
    ctx.counters.store.delivered_units[store] += per_sku
    accepted, wasted, damaged = receive(
        ctx,
        store,
        shipment.qty,
        shipment.arrive_hours if shipment.fresh_on_arrival else shipment.depart_hours,
        from_truck=True,
        qty_per_sku=per_sku,
    )
    ctx.consume_order_queue(store, units, respond=True)
    ctx.record(
        EventKind.TRUCK_ARRIVAL,
        store,
        f"units={units} accepted={accepted} wasted={wasted} damaged={damaged}",
    )
