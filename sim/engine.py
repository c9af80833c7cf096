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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import simpy

from sim.context import SimContext, TraceEvent, UrgentTimeout, take_snapshot
from sim.couriers import courier_trip
from sim.dc import dc_process
from sim.demand.base import DemandSource
from sim.enums import DcReplenishmentBasis, EventKind, Stream
from sim.errors import ActionError
from sim.inventory import expire_and_age, round_up_to_packs
from sim.kpis import KpiReport, compute_kpis
from sim.ledger import Counters, UnitBalance, ledger_frame
from sim.rng import RandomStreams
from sim.snapshot import Snapshot
from sim.spec import NetworkSpec
from sim.state import NetworkState, ShipmentKind
from sim.stores import clamp_shelf, restock_shelf, serve_until
from sim.suppliers import supplier_process
from sim.transfer import Transfer, split_into_trips
from sim.validation import MAX_UNITS

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")


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


def validate_quantities(qty: object, shape: tuple[int, ...], what: str) -> np.ndarray:
    """Check a decision array: right shape, finite, whole numbers in ``0..MAX_UNITS`` (1e15,
    the bound of every quantity that enters: case-pack rounding and sums stay inside int64).

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
    # compared as given, before the cast: a huge float or uint64 would wrap in int64
    if (arr > MAX_UNITS).any():
        worst = arr.flat[int(np.argmax(arr))]
        raise ActionError(f"{what}: {worst} units; allowed: whole numbers 0..{MAX_UNITS:.0e}")
    return arr.astype(np.int64)


class Simulation:
    """A retail network running in SimPy, driven from outside.

    Drivers read ``snapshot()``, ``counters_view()``, ``kpis()`` and ``ledger()``
    (read-only) and act through ``submit_*``; the mutable state lives in the
    processes' ``SimContext`` (``context``, for the simulator's own tests).

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
        if start_weekday is None:
            start_weekday = int(getattr(demand, "start_weekday", 0))
        self.start_weekday = start_weekday
        self.check_conservation = check_conservation
        ticks = np.asarray(demand.tick_start_hours, dtype=np.float64)
        env = simpy.Environment()
        state = NetworkState.initial(network, len(ticks))
        ctx = SimContext(
            env=env,
            spec=network,
            demand=demand,
            streams=RandomStreams(seed),
            state=state,
            counters=Counters.zeros(network.n_stores, network.n_dcs, network.n_skus),
            balance=UnitBalance(entered=0),
            tick_end_hours=ticks + float(demand.tick_length_hours),
            start_weekday=start_weekday,
            trace=[] if trace else None,
        )
        self._ctx = ctx
        # bumped by every call that can change the state: reads between two bumps are cached
        self._epoch = 0
        self._read_cache: dict[str, tuple[int, object]] = {}
        ctx.counters = ctx.new_counters()
        ctx.balance.entered = self.units_on_hand()
        self._draw_day_demand()
        # a pull-based DC starts from its stores' expected orders (no cold start)
        for j, stores in enumerate(ctx.dc_stores):
            if network.dcs[j].replenishment_basis is DcReplenishmentBasis.STORE_ORDERS:
                state.dc_order_rate[j] = ctx.expected_daily_units()[stores].sum(axis=0)
        env.process(self._day_process())
        for s in range(network.n_stores):
            env.process(self._store_process(s))
        for j in range(network.n_dcs):
            env.process(dc_process(ctx, j))
        for k in range(len(network.suppliers)):
            env.process(supplier_process(ctx, k))

    # ------------------------------------------------------------------ clock
    @property
    def context(self) -> SimContext:
        """The processes' shared context (mutable: for the simulator's own code and tests)."""
        return self._ctx

    @property
    def day(self) -> int:
        """The current day (day ``d`` spans hours ``[24 d, 24 d + 24)``)."""
        return self._ctx.day

    @property
    def now_hours(self) -> float:
        return self._ctx.now

    @property
    def road_km(self) -> np.ndarray:
        """[stores, stores] courier road km (read-only)."""
        view = self._ctx.road_km.view()
        view.flags.writeable = False
        return view

    @property
    def trace(self) -> list[TraceEvent] | None:
        """The event trace (``trace=True``), else None."""
        return self._ctx.trace

    def weekday(self, day: int) -> int:
        return self._ctx.weekday(day)

    def run_until(self, t_hours: float) -> None:
        """Process every event strictly before ``t_hours``; the clock then reads ``t_hours``."""
        ctx = self._ctx
        if not isinstance(t_hours, int | float | np.number) or not math.isfinite(t_hours):
            raise ActionError(f"run_until: time {t_hours!r}; allowed: a finite number of hours")
        if t_hours < ctx.now:
            raise ActionError(f"run_until: time {t_hours} is in the past; allowed: >= {ctx.now}")
        env = ctx.env
        self._touch()
        while env.peek() < t_hours:
            env.step()
            if self.check_conservation:
                self.assert_conserved()
        ctx.driver_hours = float(t_hours)
        # demand is issued lazily; bring every store's sales up to t so reads are current
        for store in range(self.spec.n_stores):
            serve_until(ctx, store, float(t_hours))
        if self.check_conservation:
            self.assert_conserved()

    def run_days(self, days: int) -> None:
        """Run to the start of day ``self.day + days`` (its boundary not yet processed)."""
        self.run_until(24.0 * (self.day + days))

    # -------------------------------------------------------------- processes
    def _day_process(self):
        ctx = self._ctx
        while True:
            yield UrgentTimeout(ctx.env, 24.0 * (ctx.day + 1) - ctx.env.now)
            self._end_of_day()

    def _store_process(self, store: int):
        ctx = self._ctx
        env = ctx.env
        spec = self.spec.stores[store]
        hours = sorted({spec.open_hour, *spec.restock_hours})
        while True:
            day_start = 24.0 * ctx.day
            for hour in hours:
                yield env.timeout(max(0.0, day_start + hour - env.now))
                serve_until(ctx, store, env.now)
                restock_shelf(ctx, store)
                ctx.record(
                    EventKind.RESTOCK, store, f"shelf={int(ctx.state.store_shelf[store].sum())}"
                )
            yield env.timeout(max(0.0, day_start + 24.0 - env.now))

    def _end_of_day(self) -> None:
        ctx = self._ctx
        spec, st = self.spec, ctx.state
        end = 24.0 * (ctx.day + 1)
        for s in range(spec.n_stores):
            serve_until(ctx, s, end)
        c = ctx.counters
        c.store.stockout_days += st.lost_today > 0
        life = spec.skus.shelf_life_days
        wasted = expire_and_age(st.store_stock, life)
        st.store_units -= wasted
        dc_wasted = expire_and_age(st.dc_stock, life)
        c.store.wasted_units += wasted
        c.dc.wasted_units += dc_wasted
        ctx.balance.wasted += int(wasted.sum()) + int(dc_wasted.sum())
        for s in range(spec.n_stores):
            clamp_shelf(ctx, s)
        on_hand = st.store_on_hand()
        dc_on_hand = st.dc_on_hand()
        c.store.inventory_unit_days += on_hand
        c.store.holding_cost += on_hand * spec.skus.holding_cost_per_unit_day
        c.dc.inventory_unit_days += dc_on_hand
        c.dc.holding_cost += dc_on_hand * spec.skus.holding_cost_per_unit_day
        c.network.days += 1
        ctx.record(
            EventKind.DAY_END,
            -1,
            f"day={ctx.day} sold={int(st.sales_today.sum())} lost={int(st.lost_today.sum())}"
            f" wasted={int(wasted.sum()) + int(dc_wasted.sum())} on_hand={int(on_hand.sum())}",
            node_kind="network",
        )
        st.sales_yesterday, st.sales_today = st.sales_today, np.zeros_like(st.sales_today)
        st.demand_yesterday, st.demand_today = st.demand_today, np.zeros_like(st.demand_today)
        st.lost_today[...] = 0
        ctx.day += 1
        self._draw_day_demand()

    def _draw_day_demand(self) -> None:
        ctx = self._ctx
        st = ctx.state
        units = self.demand.draw_day(ctx.day, ctx.streams, st.price_multiplier, out=st.day_demand)
        if units is not st.day_demand:
            raise TypeError(
                f"{type(self.demand).__name__}.draw_day returned a new array; allowed: the "
                "units written into `out` and `out` returned (see DemandSource.draw_day)"
            )
        st.served_ticks[...] = 0
        promo = getattr(self.demand, "promotion_price_multiplier", None)
        st.promotion_price = (
            np.broadcast_to(promo(ctx.day), units.shape[::2]).astype(np.float64)
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
        ctx = self._ctx
        spec = self.spec
        qty = validate_quantities(units, (spec.n_stores, spec.n_skus), "store orders")
        self._touch()
        blocked = np.where(spec.store_sku.blocked, qty, 0)
        qty = qty - blocked
        skus = spec.skus
        rounded = round_up_to_packs(
            qty, skus.case_pack[None, :].astype(np.int64), skus.break_pack[None, :]
        )
        ctx.state.dc_new_orders += rounded
        net = ctx.counters.network
        net.blocked_order_units += int(blocked.sum())
        net.store_case_pack_rounded_units += int((rounded - qty).sum())
        totals = rounded.sum(axis=1)
        for s in np.flatnonzero(totals):
            ctx.state.order_queue[s].append([ctx.now, float(totals[s])])
            ctx.record(EventKind.STORE_ORDER, int(s), f"units={int(totals[s])}")
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
        self._touch()
        self._ctx.state.dc_pending_supplier += qty

    def submit_transfers(self, transfers: Sequence[Transfer]) -> int:
        """Send store-to-store transfers by courier. Returns the number of trips dispatched.

        Raises:
            ActionError: no courier pool, unknown or equal stores, stores in
                different cities, a SKU blocked at the destination, bad quantities.
        """
        ctx = self._ctx
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
        self._touch()
        # capped at what the origin holds now (less what earlier requests in this call took),
        # before the split into trips: no empty trips are charged, and the cap is counted
        on_hand = ctx.state.store_on_hand()
        left: dict[int, np.ndarray] = {}
        for origin, destination, units in checked:
            if origin not in left:
                left[origin] = on_hand[origin].copy()
            sent = np.minimum(units, left[origin])
            left[origin] -= sent
            capped = int((units - sent).sum())
            if capped:
                ctx.counters.network.transfer_capped_units += capped
                ctx.record(
                    EventKind.TRANSFER_REQUEST,
                    origin,
                    f"capped={capped} (not on hand at the origin)",
                )
            for load in split_into_trips(sent, spec.couriers.capacity_units):
                ctx.env.process(courier_trip(ctx, origin, destination, load))
                ctx.record(
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
        self._touch()
        self._ctx.state.price_multiplier[...] = arr

    # ------------------------------------------------------------------ reads
    def snapshot(self, *, copy: bool = False) -> Snapshot:
        """The state now.

        Without ``copy`` the arrays are read-only views that move on with the run (the
        same snapshot object is returned until the next call that changes the state).
        """
        if copy:
            return take_snapshot(self._ctx, copy=True)
        return self._cached("snapshot", lambda: take_snapshot(self._ctx, copy=False))

    def counters_view(self) -> Counters:
        """The flows of the reporting period so far, as read-only views (they move on)."""
        return self._cached("counters", self._ctx.counters.read_only)

    def expected_daily_units(self) -> np.ndarray:
        """[stores, skus] the true mean demand of today (the oracle), cached per day."""
        return self._ctx.expected_daily_units()

    def note(self, kind: EventKind, store: int, detail: str) -> None:
        """Put a step of the systems around the simulator (an alert, a manager's decision)
        in the event trace at the current time, beside the simulator's own events (no-op
        without ``trace=True``)."""
        if not 0 <= store < self.spec.n_stores:
            raise ActionError(f"store: got {store}; allowed: 0..{self.spec.n_stores - 1}")
        self._ctx.record(kind, store, detail)

    def expected_units_ahead(self, days: int) -> np.ndarray:
        """[days, stores, skus] the true mean demand of the next ``days`` days, tomorrow
        first, at today's prices: the demand model's calendar (promotions, events,
        holidays, season) and each day's realised weather, i.e. a perfect weather and
        events forecast, for planners that look ahead (predictive transfers). Reading it
        changes nothing in the run."""
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 28:
            raise ActionError(f"days: got {days!r}; allowed: an integer in 1..28")
        ctx = self._ctx
        price = ctx.state.price_multiplier
        return np.stack(
            [
                np.asarray(ctx.demand.expected_daily_units(ctx.day + k, ctx.streams, price))
                for k in range(1, days + 1)
            ]
        ).astype(np.float64, copy=False)

    def kpis(self, *, slow_mover_threshold: float = 0.3, store_sku: bool = False) -> KpiReport:
        """KPIs of the reporting period (since the start or the last ``reset_kpis``):
        the chain and each store, and each store-SKU too with ``store_sku``."""
        ctx = self._ctx
        return compute_kpis(
            ctx.spec,
            ctx.counters,
            ctx.now,
            slow_mover_threshold=slow_mover_threshold,
            store_sku=store_sku,
        )

    def ledger(self) -> pd.DataFrame:
        """The inventory ledger of the reporting period, one row per store and DC.

        Columns: node, kind, opening, delivered (truck units before damage), transfer_in,
        received_from_supplier, transfer_out, shipped, sold, wasted, damaged, closing,
        balanced (opening + inflows - outflows == closing).
        """
        ctx = self._ctx
        return ledger_frame(self.spec, ctx.counters, ctx.state)

    def reset_kpis(self) -> None:
        """Start a new reporting period now (e.g. after a warm-up)."""
        self._touch()
        self._ctx.counters = self._ctx.new_counters()

    def _touch(self) -> None:
        """The state may change: later reads are new (and cached reads are let go at once)."""
        self._epoch += 1
        self._read_cache.clear()

    def _cached(self, name: str, read: Callable[[], T]) -> T:
        hit = self._read_cache.get(name)
        if hit is not None and hit[0] == self._epoch:
            return hit[1]  # type: ignore[return-value]
        value = read()
        self._read_cache[name] = (self._epoch, value)
        return value

    # ------------------------------------------------------------ accounting
    @property
    def balance(self) -> UnitBalance:
        """A copy of the unit balance: units entered, sold, wasted, damaged since the start."""
        return replace(self._ctx.balance)

    def units_in_transit(self) -> int:
        """Units on trucks and couriers now."""
        return int(self._ctx.state.in_transit_units)

    def units_on_hand(self) -> int:
        """Units on hand at every store and DC, all ages."""
        st = self._ctx.state
        return int(st.store_units.sum()) + int(st.dc_stock.sum())

    def assert_conserved(self) -> None:
        """Raise ConservationError unless every unit that entered is accounted for."""
        st = self._ctx.state
        in_transit = sum(s.units for s in st.shipments if s.kind is not ShipmentKind.SUPPLIER)
        if in_transit != st.in_transit_units:
            raise AssertionError(
                f"in-transit counter {st.in_transit_units} != shipments {in_transit}"
            )
        self._ctx.balance.assert_conserved(self.units_on_hand(), in_transit)
        if (st.store_stock < 0).any() or (st.dc_stock < 0).any():
            raise AssertionError("negative stock")
        if (st.store_units != st.store_stock.sum(axis=2)).any():
            raise AssertionError("maintained on-hand totals differ from the stock by age")
        if (st.store_shelf > st.store_on_hand()).any():
            raise AssertionError("shelf holds more than is on hand")

    def random_stream(self, name: Stream) -> np.random.Generator:
        """A named stream for drivers that need their own randomness (e.g. exploration)."""
        return self._ctx.streams.stream(name)
