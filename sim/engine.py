"""The simulation engine and its control API.

The engine owns the SimPy clock and the state; it does not decide anything.
A driver (a Gymnasium env, a policy runner, a test) alternates between
reading a snapshot, submitting decisions, and running the clock:

    sim = Simulation(network, demand, seed=7)
    while sim.day < 28:
        snap = sim.snapshot()
        sim.submit_store_orders(my_policy(snap))
        sim.run_until(sim.now_hours + 24.0)
    print(sim.kpis().chain)

Events are per node (a store's shelf refill, a DC departure, a truck, a
courier trip, the day boundary) and each updates whole SKU vectors.

Timing rules:

* ``run_until(t)`` processes every event strictly before ``t``; events at
  exactly ``t`` happen after decisions submitted at ``t``.
* The day boundary at hour ``24 d`` runs before any other event at that hour:
  the stores serve the rest of day ``d-1``'s demand, stock that reaches the
  end of its shelf life is wasted, holding cost is charged on what remains,
  stock ages one day, and day ``d``'s demand is drawn (prices set during day
  ``d-1`` apply from day ``d``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy
from simpy.core import URGENT

from sim.couriers import Transfer, courier_trip, split_into_trips
from sim.dc import dc_process
from sim.demand.base import DemandSource
from sim.enums import EventKind, Stream
from sim.errors import ActionError
from sim.inventory import expire_and_age, round_up_to_packs
from sim.kpis import KpiReport, compute_kpis
from sim.ledger import Counters, UnitBalance, ledger_frame
from sim.rng import RandomStreams
from sim.snapshot import Snapshot, take_snapshot
from sim.spec import NetworkSpec
from sim.state import NetworkState, ShipmentKind
from sim.stores import clamp_shelf, restock_shelf, serve_until
from sim.suppliers import supplier_process

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class TraceEvent:
    """One line of the event trace (kept only with ``trace=True``)."""

    time_hours: float
    kind: EventKind
    node: str
    detail: str

    def __str__(self) -> str:
        return f"{self.time_hours:8.3f} {self.kind.value:<17} {self.node:<8} {self.detail}"


@dataclass(frozen=True)
class OrderReceipt:
    """What the engine did with submitted store orders.

    Attributes:
        accepted_units: [stores, skus] units queued at the DCs (after rounding).
        blocked_units: [stores, skus] units refused because the SKU is blocked there.
        rounded_up_units: [stores, skus] units added to reach whole case packs.
    """

    accepted_units: np.ndarray
    blocked_units: np.ndarray
    rounded_up_units: np.ndarray


class _DayBoundary(simpy.events.Event):
    """A timeout that fires before every NORMAL event scheduled at the same time."""

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, URGENT, delay)


def validate_quantities(qty: object, shape: tuple[int, ...], what: str) -> np.ndarray:
    """Check a decision array: right shape, finite, non-negative whole numbers.

    Raises:
        ActionError: naming the problem and what is allowed.
    """
    arr = np.asarray(qty)
    if arr.shape != shape:
        raise ActionError(f"{what}: shape {arr.shape}; allowed: {shape}")
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise ActionError(
            f"{what}: dtype {arr.dtype}; allowed: integers (or floats holding whole numbers)"
        )
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise ActionError(
                f"{what}: contains NaN or infinity; allowed: finite whole numbers >= 0"
            )
        if (arr != np.round(arr)).any():
            raise ActionError(f"{what}: contains fractional units; allowed: whole numbers >= 0")
    if (arr < 0).any():
        raise ActionError(f"{what}: contains negative quantities; allowed: whole numbers >= 0")
    return arr.astype(np.int64)


class Simulation:
    """A retail network running in SimPy, driven from outside.

    Args:
        network: the validated network.
        demand: a demand source (parametric, replayed, scheduled...).
        seed: the episode seed; every random stream is spawned from it.
        start_weekday: weekday of day 0 (0 = Monday); defaults to the demand
            source's ``start_weekday`` if it has one, else 0.
        check_conservation: verify the unit balance after every event (tests).
        trace: keep a list of ``TraceEvent`` (golden traces, debugging).
    """

    def __init__(
        self,
        network: NetworkSpec,
        demand: DemandSource,
        seed: int,
        *,
        start_weekday: int | None = None,
        check_conservation: bool = False,
        trace: bool = False,
    ) -> None:
        self.spec = network
        self.demand = demand
        self.streams = RandomStreams(seed)
        self.env = simpy.Environment()
        self.day = 0
        if start_weekday is None:
            start_weekday = int(getattr(demand, "start_weekday", 0))
        self.start_weekday = start_weekday
        self.check_conservation = check_conservation
        self.trace: list[TraceEvent] | None = [] if trace else None
        ticks = np.asarray(demand.tick_start_hours, dtype=np.float64)
        self.tick_end_hours = ticks + float(demand.tick_length_hours)
        self.state = NetworkState.initial(network, len(ticks))
        self.counters = Counters.zeros(network.n_stores, network.n_dcs, network.n_skus)
        self._reset_opening()
        self.balance = UnitBalance(entered=self.units_on_hand())
        skus = network.skus
        self.pick_unit = np.where(skus.break_pack, 1, skus.case_pack).astype(np.int64)
        store_dc = network.store_dc()
        self.dc_stores = [np.flatnonzero(store_dc == j) for j in range(network.n_dcs)]
        self.road_km = network.road_km()
        self.courier_pool = (
            simpy.Resource(self.env, capacity=network.couriers.size) if network.couriers else None
        )
        self._expected_cache: tuple[int, np.ndarray] | None = None
        self._draw_day_demand()
        self.env.process(self._day_process())
        for s in range(network.n_stores):
            self.env.process(self._store_process(s))
        for j in range(network.n_dcs):
            self.env.process(dc_process(self, j))
        for k in range(len(network.suppliers)):
            self.env.process(supplier_process(self, k))

    # ------------------------------------------------------------------ clock
    @property
    def now_hours(self) -> float:
        return float(self.env.now)

    def weekday(self, day: int) -> int:
        return (self.start_weekday + day) % 7

    def run_until(self, t_hours: float) -> None:
        """Process every event strictly before ``t_hours``."""
        if t_hours < self.env.now:
            raise ActionError(
                f"run_until: time {t_hours} is in the past; allowed: >= {self.env.now}"
            )
        env = self.env
        while env.peek() < t_hours:
            env.step()
            if self.check_conservation:
                self.assert_conserved()
        env._now = float(t_hours)
        # demand is issued lazily; bring every store's sales up to t so reads are current
        for store in range(self.spec.n_stores):
            serve_until(self, store, float(t_hours))
        if self.check_conservation:
            self.assert_conserved()

    def run_days(self, days: int) -> None:
        """Run to the start of day ``self.day + days`` (its boundary not yet processed)."""
        self.run_until(24.0 * (self.day + days))

    # -------------------------------------------------------------- processes
    def _day_process(self):
        while True:
            yield _DayBoundary(self.env, 24.0 * (self.day + 1) - self.env.now)
            self._end_of_day()

    def _store_process(self, store: int):
        spec = self.spec.stores[store]
        hours = sorted({spec.open_hour, *spec.restock_hours})
        while True:
            day_start = 24.0 * self.day
            for hour in hours:
                yield self.env.timeout(max(0.0, day_start + hour - self.env.now))
                serve_until(self, store, self.env.now)
                restock_shelf(self, store)
                self.record(
                    EventKind.RESTOCK, store, f"shelf={int(self.state.store_shelf[store].sum())}"
                )
            yield self.env.timeout(max(0.0, day_start + 24.0 - self.env.now))

    def _end_of_day(self) -> None:
        spec, st = self.spec, self.state
        end = 24.0 * (self.day + 1)
        for s in range(spec.n_stores):
            serve_until(self, s, end)
        c = self.counters
        c.store.stockout_days += st.lost_today > 0
        life = spec.skus.shelf_life_days
        wasted = expire_and_age(st.store_stock, life)
        st.store_units -= wasted
        dc_wasted = expire_and_age(st.dc_stock, life)
        c.store.wasted_units += wasted
        c.dc.wasted_units += dc_wasted
        self.balance.wasted += int(wasted.sum()) + int(dc_wasted.sum())
        for s in range(spec.n_stores):
            clamp_shelf(self, s)
        on_hand = st.store_on_hand()
        dc_on_hand = st.dc_on_hand()
        c.store.inventory_unit_days += on_hand
        c.store.holding_cost += on_hand * spec.skus.holding_cost_per_unit_day
        c.dc.inventory_unit_days += dc_on_hand
        c.dc.holding_cost += dc_on_hand * spec.skus.holding_cost_per_unit_day
        c.network.days += 1
        self.record(
            EventKind.DAY_END,
            -1,
            f"day={self.day} sold={int(st.sales_today.sum())} lost={int(st.lost_today.sum())}"
            f" wasted={int(wasted.sum()) + int(dc_wasted.sum())} on_hand={int(on_hand.sum())}",
            node_kind="network",
        )
        st.sales_yesterday, st.sales_today = st.sales_today, np.zeros_like(st.sales_today)
        st.demand_yesterday, st.demand_today = st.demand_today, np.zeros_like(st.demand_today)
        st.lost_today[...] = 0
        self.day += 1
        self._draw_day_demand()

    def _draw_day_demand(self) -> None:
        units = self.demand.draw_day(self.day, self.streams, self.state.price_multiplier)
        expected = self.state.day_demand.shape
        if units.shape != expected:
            raise ValueError(f"demand source returned shape {units.shape}; allowed: {expected}")
        # the source may reuse its buffer on the next call (from anyone): keep our own copy
        np.copyto(self.state.day_demand, units)
        self.state.served_ticks[...] = 0
        promo = getattr(self.demand, "promotion_price_multiplier", None)
        self.state.promotion_price = (
            np.broadcast_to(promo(self.day), units.shape[::2]).astype(np.float64)
            if promo is not None
            else np.ones(units.shape[::2])
        )

    # ---------------------------------------------------------------- control
    def submit_store_orders(self, units: np.ndarray) -> OrderReceipt:
        """Order units from each store's DC.

        Orders for blocked SKUs are refused and reported; quantities of
        non-break-pack SKUs are rounded up to whole case packs and reported.
        Orders join the DC's next cut-off (see ``sim.dc``).

        Args:
            units: [stores, skus] whole units >= 0.

        Raises:
            ActionError: wrong shape, NaN, negative or fractional quantities.
        """
        spec = self.spec
        qty = validate_quantities(units, (spec.n_stores, spec.n_skus), "store orders")
        blocked = np.where(spec.store_sku.blocked, qty, 0)
        qty = qty - blocked
        skus = spec.skus
        rounded = round_up_to_packs(
            qty, skus.case_pack[None, :].astype(np.int64), skus.break_pack[None, :]
        )
        self.state.dc_new_orders += rounded
        net = self.counters.network
        net.blocked_order_units += int(blocked.sum())
        net.store_case_pack_rounded_units += int((rounded - qty).sum())
        totals = rounded.sum(axis=1)
        for s in np.flatnonzero(totals):
            self.state.order_queue[s].append([self.env.now, float(totals[s])])
            self.record(EventKind.STORE_ORDER, int(s), f"units={int(totals[s])}")
        return OrderReceipt(rounded, blocked, rounded - qty)

    def submit_dc_orders(self, units: np.ndarray) -> None:
        """Order units for each DC from the SKUs' suppliers (sent at each supplier's cut-off).

        Args:
            units: [dcs, skus] whole units >= 0.
        """
        qty = validate_quantities(units, (self.spec.n_dcs, self.spec.n_skus), "DC orders")
        unlimited = [j for j, d in enumerate(self.spec.dcs) if d.unlimited_stock and qty[j].any()]
        if unlimited:
            raise ActionError(
                f"DC orders: DC {self.spec.dcs[unlimited[0]].dc_id} has unlimited stock;"
                " allowed: no orders for it"
            )
        self.state.dc_pending_supplier += qty

    def submit_transfers(self, transfers: Sequence[Transfer]) -> int:
        """Send store-to-store transfers by courier. Returns the number of trips dispatched.

        Raises:
            ActionError: no courier pool, unknown or equal stores, stores in
                different cities, a SKU blocked at the destination, bad quantities.
        """
        spec = self.spec
        if spec.couriers is None and transfers:
            raise ActionError("transfers: this network has no courier pool; allowed: none")
        trips = 0
        checked = []
        for i, t in enumerate(transfers):
            for name, idx in (("origin", t.origin), ("destination", t.destination)):
                if not 0 <= int(idx) < spec.n_stores:
                    raise ActionError(
                        f"transfers[{i}].{name}: {idx}; allowed: store index 0..{spec.n_stores - 1}"
                    )
            if t.origin == t.destination:
                raise ActionError(
                    f"transfers[{i}]: origin equals destination ({t.origin});"
                    " allowed: two different stores"
                )
            if spec.stores[t.origin].city != spec.stores[t.destination].city:
                raise ActionError(
                    f"transfers[{i}]: stores in different cities; allowed: same-city transfers"
                )
            units = validate_quantities(t.units, (spec.n_skus,), f"transfers[{i}].units")
            if (units * spec.store_sku.blocked[t.destination]).any():
                raise ActionError(
                    f"transfers[{i}]: a SKU is blocked at the destination; allowed: SKUs it sells"
                )
            checked.append((int(t.origin), int(t.destination), units))
        for origin, destination, units in checked:
            for load in split_into_trips(units, spec.couriers.capacity_units):
                self.env.process(courier_trip(self, origin, destination, load))
                self.record(
                    EventKind.TRANSFER_REQUEST,
                    origin,
                    f"to={spec.stores[destination].store_id} units={int(load.sum())}",
                )
                trips += 1
        return trips

    def set_price_multiplier(self, multiplier: np.ndarray) -> None:
        """Set current price / regular price per store-SKU (markdowns); applies from the next day.

        Args:
            multiplier: [stores, skus] in (0, 2].
        """
        arr = np.asarray(multiplier, dtype=np.float64)
        shape = (self.spec.n_stores, self.spec.n_skus)
        if arr.shape != shape:
            raise ActionError(f"price multiplier: shape {arr.shape}; allowed: {shape}")
        if not np.isfinite(arr).all() or (arr <= 0).any() or (arr > 2).any():
            raise ActionError("price multiplier: allowed: finite values in (0, 2]")
        self.state.price_multiplier[...] = arr

    # ------------------------------------------------------------------ reads
    def snapshot(self, *, copy: bool = False) -> Snapshot:
        """The state now.

        Without ``copy`` the arrays are read-only views that move on with the run.
        """
        return take_snapshot(self, copy=copy)

    def expected_daily_units(self) -> np.ndarray:
        """[stores, skus] the true mean demand of today (the oracle), cached per day."""
        if self._expected_cache is None or self._expected_cache[0] != self.day:
            rate = self.demand.expected_daily_units(
                self.day, self.streams, self.state.price_multiplier
            )
            self._expected_cache = (self.day, np.asarray(rate, dtype=np.float64))
        return self._expected_cache[1]

    def kpis(self, *, slow_mover_threshold: float = 0.3) -> KpiReport:
        """KPIs of the reporting period (since the start or the last ``reset_kpis``)."""
        return compute_kpis(self, slow_mover_threshold=slow_mover_threshold)

    def ledger(self) -> pd.DataFrame:
        """The inventory ledger of the reporting period, one row per store and DC.

        Columns: node, kind, opening, delivered (truck units before damage), transfer_in,
        received_from_supplier, transfer_out, shipped, sold, wasted, damaged, closing,
        balanced (opening + inflows - outflows == closing).
        """
        return ledger_frame(self)

    def reset_kpis(self) -> None:
        """Start a new reporting period now (e.g. after a warm-up)."""
        self.counters = Counters.zeros(self.spec.n_stores, self.spec.n_dcs, self.spec.n_skus)
        self._reset_opening()

    def _reset_opening(self) -> None:
        self.counters.store.opening_units[...] = self.state.store_on_hand()
        self.counters.dc.opening_units[...] = self.state.dc_on_hand()
        self.counters.network.period_start_hours = float(self.env.now)

    # ------------------------------------------------------------ accounting
    def units_on_hand(self) -> int:
        """Units on hand at every store and DC, all ages."""
        return int(self.state.store_units.sum()) + int(self.state.dc_stock.sum())

    def assert_conserved(self) -> None:
        """Raise ConservationError unless every unit that entered is accounted for."""
        in_transit = sum(
            s.units for s in self.state.shipments if s.kind is not ShipmentKind.SUPPLIER
        )
        if in_transit != self.state.in_transit_units:
            raise AssertionError(
                f"in-transit counter {self.state.in_transit_units} != shipments {in_transit}"
            )
        self.balance.assert_conserved(self.units_on_hand(), in_transit)
        if (self.state.store_stock < 0).any() or (self.state.dc_stock < 0).any():
            raise AssertionError("negative stock")
        if (self.state.store_units != self.state.store_stock.sum(axis=2)).any():
            raise AssertionError("maintained on-hand totals differ from the stock by age")
        if (self.state.store_shelf > self.state.store_on_hand()).any():
            raise AssertionError("shelf holds more than is on hand")

    def consume_order_queue(self, store: int, units: int, *, respond: bool) -> None:
        """Match received (or cancelled) units to the store's oldest open orders."""
        queue = self.state.order_queue[store]
        net = self.counters.network
        while units > 0 and queue:
            head = queue[0]
            take = min(units, head[1])
            if respond:
                net.order_response_unit_hours += (self.env.now - head[0]) * take
                net.order_response_units += int(take)
            head[1] -= take
            units -= int(take)
            if head[1] <= 0:
                queue.pop(0)

    def record(self, kind: EventKind, node: int, detail: str, *, node_kind: str = "store") -> None:
        if self.trace is None:
            return
        if node_kind == "store" and node >= 0:
            name = self.spec.stores[node].store_id
        elif node_kind == "dc":
            name = self.spec.dcs[node].dc_id
        else:
            name = "network"
        self.trace.append(TraceEvent(float(self.env.now), kind, name, detail))

    def random_stream(self, name: Stream) -> np.random.Generator:
        """A named stream for drivers that need their own randomness (e.g. exploration)."""
        return self.streams.stream(name)
