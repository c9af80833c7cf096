"""Suppliers: DC orders, lead times, fill rate, MOQ and case packs.

Every day at the supplier's ``order_cutoff_hour`` the DC's pending lines for
that supplier's SKUs are sent as one order per DC:

1. if the DC has a standing rule (``DcSpec.buys_for_itself``) it first tops
   its lines up to a few days of its stores' expected demand (push) or of
   their smoothed orders plus what they owe now (pull), net of what is on
   hand, on order and owed to stores (``standing_order``);
2. a positive line below the MOQ is raised to the MOQ; lines are rounded up to
   the supplier's case pack (both counted in the DC counters);
3. each case is delivered with probability ``fill_rate`` (supply stream); the
   cut part is counted as supplier shortfall and never arrives;
4. a lead time of ``L`` whole days is drawn (lead-time stream): the delivery
   reaches the DC at ``arrival_hour`` on day ``d + L`` (not before now), fresh
   (age 0); a SKU with its own ``supplier_lead_time_days`` arrives that many days
   after instead (one delivery per distinct lead time). Units enter the network when
   they arrive.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.enums import DcReplenishmentBasis, EventKind, LeadTimeDistribution, Stream
from sim.inventory import round_up_to_packs

if TYPE_CHECKING:
    from sim.context import SimContext
    from sim.spec import SupplierSpec


def sample_lead_time_days(spec: SupplierSpec, rng: np.random.Generator) -> int:
    """One lead time in whole days from the supplier's distribution."""
    if spec.lead_time is LeadTimeDistribution.FIXED:
        return round(spec.lead_time_mean_days)
    if spec.lead_time is LeadTimeDistribution.SHIFTED_POISSON:
        extra = max(0.0, spec.lead_time_mean_days - spec.lead_time_min_days)
        return spec.lead_time_min_days + int(rng.poisson(extra))
    return int(rng.integers(spec.lead_time_min_days, spec.lead_time_max_days + 1))


def supplier_process(ctx: SimContext, supplier: int) -> Generator[simpy.Event, None, None]:
    spec = ctx.spec.suppliers[supplier]
    skus = np.flatnonzero(ctx.spec.skus.supplier == supplier)
    while True:
        day_start = 24.0 * ctx.day
        yield ctx.env.timeout(max(0.0, day_start + spec.order_cutoff_hour - ctx.env.now))
        for dc in range(ctx.spec.n_dcs):
            if not ctx.spec.dcs[dc].unlimited_stock:
                place_order(ctx, supplier, dc, skus)
        yield ctx.env.timeout(max(0.0, day_start + 24.0 - ctx.env.now))


def standing_order(
    ctx: SimContext, dc: int, skus: np.ndarray, lead_time_mean_days: float | np.ndarray
) -> np.ndarray:
    """Units the DC's standing rule adds for ``skus`` today.

    Both bases order up to ``days × rate`` net of the DC's position (on hand +
    on order + pending − owed to its stores):

    * ``EXPECTED_DEMAND`` (push): ``rate`` is its stores' expected demand and
      ``days`` = lead time + cover, capped for perishables at shelf life − 1 (at
      least one day): the DC never buys what cannot be sold in time.
    * ``STORE_ORDERS`` (pull): ``rate`` is its stores' smoothed daily orders and
      ``days`` = lead time − 1 + cover, capped for perishables at shelf life − 1.
      The orders owed now are bought on top (they are in the position with a
      minus sign): with a one-day lead time and no cover the DC buys exactly
      what its stores ordered, and holds nothing for itself.
    """
    dc_spec = ctx.spec.dcs[dc]
    life = ctx.spec.skus.shelf_life_days[skus]
    st = ctx.state
    stores = ctx.dc_stores[dc]
    if dc_spec.replenishment_basis is DcReplenishmentBasis.STORE_ORDERS:
        cover = np.maximum(lead_time_mean_days - 1.0, 0.0) + dc_spec.replenishment_cover_days
        cover = np.where(life > 0, np.minimum(cover, np.maximum(0, life - 1)), cover)
        expected = st.dc_order_rate[dc, skus]
    else:
        cover = lead_time_mean_days + dc_spec.replenishment_cover_days
        cover = np.where(life > 0, np.minimum(cover, np.maximum(1, life - 1)), cover)
        expected = ctx.expected_daily_units()[stores][:, skus].sum(axis=0)
    owed = (st.dc_to_ship[stores] + st.dc_new_orders[stores]).sum(axis=0)[skus]
    position = (
        st.dc_stock[dc, skus].sum(axis=1)
        + st.dc_on_order[dc, skus]
        + st.dc_pending_supplier[dc, skus]
        - owed
    )
    return np.maximum(0, np.ceil(cover * expected - position)).astype(np.int64)


def place_order(ctx: SimContext, supplier: int, dc: int, skus: np.ndarray) -> None:
    spec = ctx.spec.suppliers[supplier]
    st = ctx.state
    if ctx.spec.dcs[dc].buys_for_itself:
        own = ctx.spec.skus.supplier_lead_time_days
        mean_lead: float | np.ndarray = spec.lead_time_mean_days
        if own is not None:  # per SKU where it has its own lead time
            mean_lead = np.where(own[skus] > 0, own[skus], spec.lead_time_mean_days)
        st.dc_pending_supplier[dc, skus] += standing_order(ctx, dc, skus, mean_lead)
    lines = st.dc_pending_supplier[dc, skus].copy()
    st.dc_pending_supplier[dc, skus] = 0
    if not lines.any():
        return
    c = ctx.counters.dc
    raised = np.where((lines > 0) & (lines < spec.moq_units), spec.moq_units, lines)
    c.moq_raised_units[dc, skus] += raised - lines
    pack = (
        np.full(len(skus), spec.case_pack_units, dtype=np.int64)
        if spec.case_pack_units
        else ctx.spec.skus.case_pack[skus].astype(np.int64)
    )
    rounded = round_up_to_packs(raised, pack, np.zeros(len(skus), dtype=bool))
    c.case_pack_rounded_units[dc, skus] += rounded - raised
    c.supplier_ordered_units[dc, skus] += rounded
    cases = rounded // pack
    if spec.fill_rate < 1.0:
        cases = ctx.dc_streams[dc].stream(Stream.SUPPLY).binomial(cases, spec.fill_rate)
    delivered = cases * pack
    c.supplier_shortfall_units[dc, skus] += rounded - delivered
    lead = sample_lead_time_days(spec, ctx.dc_streams[dc].stream(Stream.LEAD_TIME))
    qty = np.zeros(ctx.spec.n_skus, dtype=np.int64)
    qty[skus] = delivered
    st.dc_on_order[dc] += qty
    own = ctx.spec.skus.supplier_lead_time_days
    # SKUs with their own lead time arrive on their own day: one delivery per distinct lead
    leads = np.full(len(skus), lead) if own is None else np.where(own[skus] > 0, own[skus], lead)
    ctx.record(
        EventKind.SUPPLIER_ORDER,
        dc,
        f"supplier={spec.supplier_id} units={int(rounded.sum())}"
        f" confirmed={int(delivered.sum())} lead_days={lead}"
        + ("" if own is None else " (some SKUs their own)"),
        node_kind="dc",
    )
    if not delivered.any():
        return
    if own is None:
        arrive = max(ctx.env.now, 24.0 * (ctx.day + lead) + spec.arrival_hour)
        ctx.env.process(supplier_delivery(ctx, dc, qty, arrive, spec.supplier_id))
        return
    for days in np.unique(leads[delivered > 0]):
        part = np.zeros(ctx.spec.n_skus, dtype=np.int64)
        part[skus] = np.where(leads == days, delivered, 0)
        arrive = max(ctx.env.now, 24.0 * (ctx.day + int(days)) + spec.arrival_hour)
        ctx.env.process(supplier_delivery(ctx, dc, part, arrive, spec.supplier_id))


def supplier_delivery(
    ctx: SimContext, dc: int, qty: np.ndarray, arrive_hours: float, supplier_id: str
) -> Generator[simpy.Event, None, None]:
    yield ctx.env.timeout(arrive_hours - ctx.env.now)
    st = ctx.state
    st.dc_stock[dc, :, 0] += qty
    st.dc_on_order[dc] -= qty
    ctx.counters.dc.received_units[dc] += qty
    ctx.balance.entered += int(qty.sum())
    ctx.record(
        EventKind.SUPPLIER_ARRIVAL,
        dc,
        f"supplier={supplier_id} units={int(qty.sum())}",
        node_kind="dc",
    )
