"""The small context the simulator's processes share: clock, arrays, ledger, recorder.

Processes (stores, DC, suppliers, couriers), the KPIs, the ledger and the
snapshot receive a ``SimContext`` rather than the whole ``Simulation``: they
need the clock, the state arrays, the counters and the trace, never the
driver-facing control API. This keeps ``sim.engine`` at the top of ``sim/``
with nothing importing it back.

Clock. SimPy's ``env.now`` is the time of the last event processed. A driver
that runs the clock to ``t`` with nothing scheduled before ``t`` is at ``t``
even though SimPy is not; ``SimContext.now`` is that driver-visible time
(``max(env.now, driver time)``). Work a driver starts at ``t`` (a courier
trip) first waits with ``urgent_timeout`` until ``t``, which lands it exactly
where SimPy would have started it had its clock been moved: after the day
boundary at ``t``, before every ordinary event at ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import simpy
from simpy.core import URGENT

from sim.demand.base import DemandSource
from sim.enums import EventKind
from sim.ledger import Counters, UnitBalance
from sim.rng import RandomStreams
from sim.snapshot import PIPELINE_DAYS, Snapshot
from sim.spec import NetworkSpec
from sim.state import NetworkState, ShipmentKind
from sim.store_sku import pack_units


class UrgentTimeout(simpy.events.Event):
    """A timeout that fires before every ordinary (NORMAL) event scheduled at the same time."""

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, URGENT, delay)


@dataclass(frozen=True)
class TraceEvent:
    """One line of the event trace (kept only with ``trace=True``)."""

    time_hours: float
    kind: EventKind
    node: str
    detail: str

    def __str__(self) -> str:
        return f"{self.time_hours:8.3f} {self.kind.value:<17} {self.node:<8} {self.detail}"


@dataclass(eq=False)
class SimContext:
    """What the processes of one simulation share.

    Attributes:
        env: the SimPy environment (hours).
        spec: the validated network.
        demand: the demand source.
        streams: the named random streams of the episode.
        state: the mutable stock, pipeline and order arrays.
        counters: flows of the current reporting period (replaced by ``reset_kpis``).
        balance: the unit balance behind the conservation check.
        tick_end_hours: [ticks] end of each demand tick within a day (hours).
        start_weekday: weekday of day 0 (0 = Monday).
        day: the current day (its boundary processed).
        trace: the event trace, or None when not kept.
        pick_unit: [skus] units a DC picks at once (1 for break-pack SKUs, else the case).
        dc_stores: per DC, the store indices it serves.
        dc_streams: per DC, the streams of its region (its stores, trucks and supplier
            orders): the episode's own streams unless ``spec.regional_streams``.
        road_km: [stores, stores] road distance (km).
        courier_pools: per DC, the courier resource its stores' trips use (one shared
            by every DC unless ``couriers.per_region``), or None without couriers.
    """

    env: simpy.Environment
    spec: NetworkSpec
    demand: DemandSource
    streams: RandomStreams
    state: NetworkState
    counters: Counters
    balance: UnitBalance
    tick_end_hours: np.ndarray
    start_weekday: int
    trace: list[TraceEvent] | None
    day: int = 0
    pick_unit: np.ndarray = field(init=False)
    dc_stores: list[np.ndarray] = field(init=False)
    dc_streams: list[RandomStreams] = field(init=False)
    _store_dc: np.ndarray = field(init=False, repr=False)
    road_km: np.ndarray = field(init=False)
    courier_lead_hours: np.ndarray = field(init=False)
    courier_trip_cost: np.ndarray = field(init=False)
    courier_km_cost: np.ndarray = field(init=False)
    courier_pools: list[simpy.Resource] | None = field(init=False)
    driver_hours: float = 0.0
    _expected: tuple[int, np.ndarray] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        spec = self.spec
        self.pick_unit = pack_units(spec.skus.case_pack, spec.skus.break_pack)
        store_dc = spec.store_dc()
        self.dc_stores = spec.dc_store_rows()
        self._store_dc = store_dc
        self.dc_streams = [
            self.streams.for_region(dc.dc_id) if spec.regional_streams else self.streams
            for dc in spec.dcs
        ]
        self.road_km = spec.road_km()
        # each store pair's transfer lead hours (NaN: km / speed) and tariff (tiers)
        self.courier_lead_hours, self.courier_trip_cost, self.courier_km_cost = (
            spec.courier_pair_terms()
        )
        self.courier_pools = None
        if spec.couriers is not None:
            size = spec.couriers.size
            shared = simpy.Resource(self.env, capacity=size)
            self.courier_pools = [
                simpy.Resource(self.env, capacity=size) if spec.couriers.per_region else shared
                for _ in spec.dcs
            ]

    def courier_pool(self, store: int) -> simpy.Resource:
        """The pool a trip from ``store`` takes its courier from."""
        assert self.courier_pools is not None
        return self.courier_pools[self._store_dc[store]]

    def store_streams(self, store: int) -> RandomStreams:
        """The streams of the store's region (see ``dc_streams``)."""
        return self.dc_streams[self._store_dc[store]]

    @property
    def now(self) -> float:
        """The time as a driver sees it (hours): SimPy's clock or the time run to, if later."""
        return max(float(self.env.now), self.driver_hours)

    def weekday(self, day: int) -> int:
        return (self.start_weekday + day) % 7

    def expected_daily_units(self) -> np.ndarray:
        """[stores, skus] the true mean demand of today (the oracle), cached per day."""
        if self._expected is None or self._expected[0] != self.day:
            rate = self.demand.expected_daily_units(
                self.day, self.streams, self.state.price_multiplier
            )
            self._expected = (self.day, np.asarray(rate, dtype=np.float64))
        return self._expected[1]

    def consume_order_queue(self, store: int, units: int, *, respond: bool) -> None:
        """Match received (or cancelled) units to the store's oldest open orders."""
        queue = self.state.order_queue[store]
        net = self.counters.network
        now = self.now
        while units > 0 and queue:
            head = queue[0]
            take = min(units, head[1])
            if respond:
                net.order_response_unit_hours += (now - head[0]) * take
                net.order_response_units += int(take)
            head[1] -= take
            units -= int(take)
            if head[1] <= 0:
                queue.pop(0)

    def record(self, kind: EventKind, node: int, detail: str, *, node_kind: str = "store") -> None:
        """Append a trace line (no-op unless the trace is kept)."""
        if self.trace is None:
            return
        if node_kind == "store" and node >= 0:
            name = self.spec.stores[node].store_id
        elif node_kind == "dc":
            name = self.spec.dcs[node].dc_id
        else:
            name = "network"
        self.trace.append(TraceEvent(self.now, kind, name, detail))

    def new_counters(self) -> Counters:
        """Zero counters for a new reporting period, opening stock taken now."""
        c = Counters.zeros(self.spec.n_stores, self.spec.n_dcs, self.spec.n_skus)
        c.store.opening_units[...] = self.state.store_on_hand()
        c.dc.opening_units[...] = self.state.dc_on_hand()
        c.network.period_start_hours = self.now
        return c


def store_pipeline(ctx: SimContext) -> np.ndarray:
    """[stores, skus, PIPELINE_DAYS] read-only: units on trucks and couriers by the
    day (from today) they arrive, the last slot holding everything later."""
    st = ctx.state
    pipeline = np.zeros((*st.store_shelf.shape, PIPELINE_DAYS), dtype=np.int64)
    for shipment in st.shipments:
        if shipment.kind is ShipmentKind.SUPPLIER:
            continue
        offset = min(PIPELINE_DAYS - 1, max(0, int(shipment.arrive_hours // 24.0) - ctx.day))
        pipeline[shipment.destination, :, offset] += shipment.qty.sum(axis=1)
    return _read_only(pipeline, False)


def _read_only(arr: np.ndarray, copy: bool) -> np.ndarray:
    out = arr.copy() if copy else arr.view()
    out.flags.writeable = False
    return out


def take_snapshot(ctx: SimContext, *, copy: bool) -> Snapshot:
    st = ctx.state
    store_stores = ctx.dc_stores
    backlog = (
        np.stack([(st.dc_new_orders[s] + st.dc_to_ship[s]).sum(axis=0) for s in store_stores])
        if store_stores
        else np.zeros((0, ctx.spec.n_skus), dtype=np.int64)
    )
    ro = lambda a: _read_only(a, copy)  # noqa: E731
    return Snapshot(
        time_hours=ctx.now,
        day=ctx.day,
        weekday=ctx.weekday(ctx.day),
        store_on_hand_by_age=ro(st.store_stock),
        store_on_hand=_read_only(st.store_on_hand(), False),
        store_shelf=ro(st.store_shelf),
        store_on_order=_read_only(st.store_on_order(), False),
        store_in_transit=ro(st.store_in_transit),
        dc_on_hand_by_age=ro(st.dc_stock),
        dc_on_hand=_read_only(st.dc_on_hand(), False),
        dc_on_order=ro(st.dc_on_order),
        dc_backlog=_read_only(backlog, False),
        sales_today=ro(st.sales_today),
        demand_today=ro(st.demand_today),
        lost_today=ro(st.lost_today),
        sales_yesterday=ro(st.sales_yesterday),
        demand_yesterday=ro(st.demand_yesterday),
        price_multiplier=ro(st.price_multiplier),
        promotion_price=ro(st.promotion_price),
        shelf_life_days=ctx.spec.skus.shelf_life_days,
        pipeline_source=store_pipeline(ctx) if copy else partial(store_pipeline, ctx),
    )
