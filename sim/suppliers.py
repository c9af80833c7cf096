"""Suppliers: DC orders, lead times, fill rate, MOQ and case packs.

Every day at the supplier's ``order_cutoff_hour`` the DC's pending lines for
that supplier's SKUs are sent as one order per DC:

1. if the DC has a standing rule (``replenishment_cover_days > 0``) it first
   tops its lines up to that many days of its stores' expected demand, net of
   what is on hand, on order and owed to stores;
2. a positive line below the MOQ is raised to the MOQ; lines are rounded up to
   the supplier's case pack (both counted in the DC counters);
3. each case is delivered with probability ``fill_rate`` (supply stream); the
   cut part is counted as supplier shortfall and never arrives;
4. a lead time of ``L`` whole days is drawn (lead-time stream): the delivery
   reaches the DC at ``arrival_hour`` on day ``d + L`` (not before now), fresh
   (age 0). Units enter the network when they arrive.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.enums import EventKind, LeadTimeDistribution, Stream
from sim.inventory import round_up_to_packs

if TYPE_CHECKING:
    from sim.engine import Simulation
    from sim.spec import SupplierSpec


def sample_lead_time_days(spec: SupplierSpec, rng: np.random.Generator) -> int:
    """One lead time in whole days from the supplier's distribution."""
    if spec.lead_time is LeadTimeDistribution.FIXED:
        return round(spec.lead_time_mean_days)
    if spec.lead_time is LeadTimeDistribution.SHIFTED_POISSON:
        extra = max(0.0, spec.lead_time_mean_days - spec.lead_time_min_days)
        return spec.lead_time_min_days + int(rng.poisson(extra))
    return int(rng.integers(spec.lead_time_min_days, spec.lead_time_max_days + 1))


def supplier_process(sim: Simulation, supplier: int) -> Generator[simpy.Event, None, None]:
    spec = sim.spec.suppliers[supplier]
    skus = np.flatnonzero(sim.spec.skus.supplier == supplier)
    while True:
        day_start = 24.0 * sim.day
        yield sim.env.timeout(max(0.0, day_start + spec.order_cutoff_hour - sim.env.now))
        for dc in range(sim.spec.n_dcs):
            if not sim.spec.dcs[dc].unlimited_stock:
                place_order(sim, supplier, dc, skus)
        yield sim.env.timeout(max(0.0, day_start + 24.0 - sim.env.now))


def standing_order(
    sim: Simulation, dc: int, skus: np.ndarray, lead_time_mean_days: float
) -> np.ndarray:
    """Units the DC's standing rule adds for ``skus`` today.

    Order up to (lead time + cover days) of the DC's stores' expected demand,
    net of the DC's position. For perishables the days are capped at shelf
    life − 1 (at least one day): the DC never buys what cannot be sold in time.
    """
    cover = lead_time_mean_days + sim.spec.dcs[dc].replenishment_cover_days
    life = sim.spec.skus.shelf_life_days[skus]
    cover = np.where(life > 0, np.minimum(cover, np.maximum(1, life - 1)), cover)
    st = sim.state
    stores = sim.dc_stores[dc]
    expected = sim.expected_daily_units()[stores][:, skus].sum(axis=0)
    owed = (st.dc_to_ship[stores] + st.dc_new_orders[stores]).sum(axis=0)[skus]
    position = (
        st.dc_stock[dc, skus].sum(axis=1)
        + st.dc_on_order[dc, skus]
        + st.dc_pending_supplier[dc, skus]
        - owed
    )
    return np.maximum(0, np.ceil(cover * expected - position)).astype(np.int64)


def place_order(sim: Simulation, supplier: int, dc: int, skus: np.ndarray) -> None:
    spec = sim.spec.suppliers[supplier]
    st = sim.state
    if sim.spec.dcs[dc].replenishment_cover_days > 0:
        st.dc_pending_supplier[dc, skus] += standing_order(sim, dc, skus, spec.lead_time_mean_days)
    lines = st.dc_pending_supplier[dc, skus].copy()
    st.dc_pending_supplier[dc, skus] = 0
    if not lines.any():
        return
    c = sim.counters.dc
    raised = np.where((lines > 0) & (lines < spec.moq_units), spec.moq_units, lines)
    c.moq_raised_units[dc, skus] += raised - lines
    pack = (
        np.full(len(skus), spec.case_pack_units, dtype=np.int64)
        if spec.case_pack_units
        else sim.spec.skus.case_pack[skus].astype(np.int64)
    )
    rounded = round_up_to_packs(raised, pack, np.zeros(len(skus), dtype=bool))
    c.case_pack_rounded_units[dc, skus] += rounded - raised
    c.supplier_ordered_units[dc, skus] += rounded
    cases = rounded // pack
    if spec.fill_rate < 1.0:
        cases = sim.streams.stream(Stream.SUPPLY).binomial(cases, spec.fill_rate)
    delivered = cases * pack
    c.supplier_shortfall_units[dc, skus] += rounded - delivered
    lead = sample_lead_time_days(spec, sim.streams.stream(Stream.LEAD_TIME))
    arrive = max(sim.env.now, 24.0 * (sim.day + lead) + spec.arrival_hour)
    qty = np.zeros(sim.spec.n_skus, dtype=np.int64)
    qty[skus] = delivered
    st.dc_on_order[dc] += qty
    sim.record(
        EventKind.SUPPLIER_ORDER,
        dc,
        f"supplier={spec.supplier_id} units={int(rounded.sum())}"
        f" confirmed={int(delivered.sum())} lead_days={lead}",
        node_kind="dc",
    )
    if delivered.any():
        sim.env.process(supplier_delivery(sim, dc, qty, arrive, spec.supplier_id))


def supplier_delivery(
    sim: Simulation, dc: int, qty: np.ndarray, arrive_hours: float, supplier_id: str
) -> Generator[simpy.Event, None, None]:
    yield sim.env.timeout(arrive_hours - sim.env.now)
    st = sim.state
    st.dc_stock[dc, :, 0] += qty
    st.dc_on_order[dc] -= qty
    sim.counters.dc.received_units[dc] += qty
    sim.balance.entered += int(qty.sum())
    sim.record(
        EventKind.SUPPLIER_ARRIVAL,
        dc,
        f"supplier={supplier_id} units={int(qty.sum())}",
        node_kind="dc",
    )
