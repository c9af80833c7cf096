"""The one store-SKU view: what drivers know about a set of store-SKUs at a decision.

Heuristics, transfer rules, the environments' observation features and the
serving module all read a ``StoreSkuView`` (read-only arrays over ``n``
store-SKUs), so the same rule or policy runs on a simulator snapshot
(``view_from_snapshot``), on the single-SKU env's observation, and in serving
from a store's state table. Quantities are units; times are days.

One convention for "does not perish": ``shelf_life_days == 0``. Remaining
life, pack rounding and the pack size a store orders in each exist here once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

    from sim.snapshot import Snapshot
    from sim.spec import NetworkSpec


@dataclass(frozen=True, kw_only=True)
class StoreSkuView:
    """State and parameters of ``n`` store-SKUs at a decision.

    Every reader needs ``on_hand``, ``on_order``, ``forecast_daily``,
    ``shelf_life_days``, ``pack_units`` and ``blocked``. The rules' other inputs
    (from ``on_hand_by_life`` to ``waste_cost_per_unit`` below) may be None
    where a caller reads only the observation features
    (``view_from_snapshot(..., rules=False)``), and the features' inputs may be
    None where a caller runs only rules.

    Attributes:
        on_hand: units on hand (sellable).                                  [n]
        on_order: units ordered and not received.                            [n]
        on_hand_by_life: units by remaining life in days, index r-1 = r days
            left (perishables; non-perishables put everything in the last column). [n, R]
        forecast_daily: expected demand per day over the coming days.        [n]
        forecast_sd_daily: standard deviation of daily demand.               [n]
        lead_time_days: days from ordering to the units being sellable.      [n]
        review_days: days until the next ordering opportunity.               [n]
        shelf_life_days: 0 for non-perishables.                              [n]
        pack_units: units per orderable pack (1 when packs may be broken).   [n]
        facings_units: display minimum of the shelf.                         [n]
        blocked: True where the SKU may not be ordered.                      [n]
        unit_cost, price, holding_cost_per_day, waste_cost_per_unit: money.  [n]
        lead_time_sd_days: standard deviation of the lead time.              [n]
        on_promotion: True where a promotion runs.                           [n]
        day: the day of the decision (periodic-review schedules).
        ids: optional labels for explanations (store/SKU).

    What the observation features read as well (None where a caller has no use
    for features; ``sim.features`` refuses a view without them):
        on_hand_by_age: units by age in days (0 freshest).                [n, ages]
        on_shelf: units of on hand on the shelf.                             [n]
        arriving_1d: units arriving today or tomorrow.                      [n]
        sales_yesterday, demand_yesterday: units (demand = sold + lost).     [n]
        weekday: weekday of the decision (0 = Monday).
        promotion_price: promotional price / regular price today.            [n]
        price_multiplier: current price / regular price (markdowns).        [n]
        dc_on_hand_per_store: DC units / stores the DC serves.               [n]
        scale: the store-SKU's demand scale (>= 1), units per day.           [n]
        dc_life_left_days: days of life left of the DC's oldest unit of the
            SKU (the shelf life when the DC holds none; 0 for non-perishables). [n]
        forecast_error: smoothed absolute error of the daily forecast, units.  [n]
        store_index: the row's store (rules that rank a store's SKUs, e.g. ABC). [n]
    """

    on_hand: np.ndarray
    on_order: np.ndarray
    forecast_daily: np.ndarray
    shelf_life_days: np.ndarray
    pack_units: np.ndarray
    blocked: np.ndarray
    on_hand_by_life: np.ndarray | None = None
    forecast_sd_daily: np.ndarray | None = None
    lead_time_days: np.ndarray | None = None
    review_days: np.ndarray | None = None
    facings_units: np.ndarray | None = None
    unit_cost: np.ndarray | None = None
    price: np.ndarray | None = None
    holding_cost_per_day: np.ndarray | None = None
    waste_cost_per_unit: np.ndarray | None = None
    lead_time_sd_days: np.ndarray | None = None
    on_promotion: np.ndarray | None = None
    day: int = 0
    ids: tuple[str, ...] = field(default=())
    on_hand_by_age: np.ndarray | None = None
    on_shelf: np.ndarray | None = None
    arriving_1d: np.ndarray | None = None
    sales_yesterday: np.ndarray | None = None
    demand_yesterday: np.ndarray | None = None
    weekday: int = 0
    promotion_price: np.ndarray | None = None
    price_multiplier: np.ndarray | None = None
    dc_on_hand_per_store: np.ndarray | None = None
    scale: np.ndarray | None = None
    dc_life_left_days: np.ndarray | None = None
    forecast_error: np.ndarray | None = None
    store_index: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.on_hand)

    @property
    def position(self) -> np.ndarray:
        """Inventory position: on hand + on order."""
        return self.on_hand + self.on_order

    def expiring_before(self, days: np.ndarray) -> np.ndarray:
        """[n] units on hand whose remaining life is at most ``days`` (per row)."""
        life_left = np.arange(1, self.on_hand_by_life.shape[1] + 1)[None, :]
        perishable = (self.shelf_life_days > 0)[:, None]
        soon = perishable & (life_left <= np.asarray(days)[:, None])
        return (self.on_hand_by_life * soon).sum(axis=1)

    def replace(self, **changes: object) -> StoreSkuView:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


def pack_units(case_pack: np.ndarray, break_pack: np.ndarray) -> np.ndarray:
    """Units a store orders (and a DC picks) at once: 1 where packs may be broken, else the case."""
    return np.where(break_pack, 1, case_pack).astype(np.int64)


def round_to_packs(units: np.ndarray, pack_units: np.ndarray, *, up: bool = True) -> np.ndarray:
    """Whole packs, int64: up (never short of the target) or to the nearest.

    Whole-number quantities (integer dtype) round up exactly in integers;
    fractional targets (a rule's float output) are taken from 0 and rounded
    with a 1e-9 tolerance so a target of exactly k packs is not pushed up.
    """
    units = np.asarray(units)
    pack = np.asarray(pack_units)
    if up and np.issubdtype(units.dtype, np.integer):
        return (-(-np.maximum(units, 0) // pack) * pack).astype(np.int64)
    units = np.maximum(units, 0.0)
    packs = np.ceil(units / pack - 1e-9) if up else np.floor(units / pack + 0.5)
    # multiplied in int64: above 2**53 a float product is no longer a whole number of packs
    return packs.astype(np.int64) * pack.astype(np.int64)


def life_left_by_age(shelf_life_days: np.ndarray, n_ages: int) -> np.ndarray:
    """[..., ages] days of life left of each age bucket (age a: life - a; 0 for non-perishables)."""
    life = np.asarray(shelf_life_days, dtype=np.int64)[..., None]
    return np.where(life > 0, life - np.arange(n_ages), 0)


def on_hand_by_remaining_life(stock_by_age: np.ndarray, shelf_life_days: np.ndarray) -> np.ndarray:
    """[..., skus, ages] by age -> [..., skus, R] by remaining life (index r-1 = r days left).

    Non-perishables (life 0) go to the last column (they never expire).
    """
    n_ages = stock_by_age.shape[-1]
    # index arithmetic on life's own shape ([skus, ages] for a per-SKU life), broadcast only
    # as views: on a 1 M store-SKU chain the full-shape int64 indices were 300 MB of temporaries
    life = np.asarray(shelf_life_days).astype(np.int64)[..., None]
    # remaining life r (column r-1) is held by the units of age life - r
    age = life - 1 - np.arange(n_ages)
    valid = (life > 0) & (age >= 0) & (age < n_ages)
    idx = np.broadcast_to(np.clip(age, 0, n_ages - 1), stock_by_age.shape)
    out = np.take_along_axis(stock_by_age, idx, axis=-1)
    out *= valid
    never = life[..., 0] == 0
    if never.any():
        out[..., -1] += np.where(never, stock_by_age.sum(axis=-1), 0).astype(out.dtype)
    return out


def expected_unsold(on_hand_by_life: np.ndarray, forecast_daily: np.ndarray) -> np.ndarray:
    """[...] units that expire unsold if demand is the forecast and the oldest sell first:
    ``max(0, max over r of (stock with life <= r days - forecast x r))``.

    Args:
        on_hand_by_life: [..., R] units by remaining life (``on_hand_by_remaining_life``).
        forecast_daily: [...] expected units sold a day.

    One life column at a time: the [..., R] cumulative sums and differences were three
    temporaries of the stock's size (1.2 GB on a liqun_chain region), for the same values
    bit for bit (the running sum adds the columns in the order ``cumsum`` does).
    """
    by_life = np.asarray(on_hand_by_life)
    stock_within = np.zeros(by_life.shape[:-1])
    unsold = np.zeros(by_life.shape[:-1])
    gap = np.empty(by_life.shape[:-1])
    for r in range(by_life.shape[-1]):
        stock_within += by_life[..., r]
        np.multiply(forecast_daily, float(r + 1), out=gap)
        np.subtract(stock_within, gap, out=gap)
        np.maximum(unsold, gap, out=unsold)
    return unsold


def lead_time_days_at(
    spec: NetworkSpec, now_hours: float, weekday_of: Callable[[int], int]
) -> np.ndarray:
    """[stores] days from ``now_hours`` until a store order placed then reaches the store.

    Follows the DC's schedule: the next delivery weekday whose cut-off is not
    past, its departure hour, plus the truck's transit time to the store.

    Args:
        weekday_of: the weekday (0 = Monday) of a simulation day.
    """
    today = int(now_hours // 24.0)
    out = np.zeros(spec.n_stores)
    for store, store_spec in enumerate(spec.stores):
        dc = spec.dcs[store_spec.dc]
        waves = dc.day_waves()
        found = False
        for ahead in range(8):
            day = today + ahead
            if weekday_of(day) not in dc.delivery_weekdays:
                continue
            for wave in waves:  # the first wave whose cut-off the order still makes
                if 24.0 * day + wave.cutoff_hour >= now_hours:
                    arrival = 24.0 * day + wave.departure_hour + dc.transit_hours[store]
                    out[store] = (arrival - now_hours) / 24.0
                    found = True
                    break
            if found:
                break
    return out


def view_from_snapshot(
    snap: Snapshot,
    spec: NetworkSpec,
    forecast_daily: np.ndarray,
    *,
    lead_time_days: np.ndarray | None = None,
    forecast_sd_daily: np.ndarray | None = None,
    review_days: float = 1.0,
    scale: np.ndarray | None = None,
    forecast_error: np.ndarray | None = None,
    rules: bool = True,
) -> StoreSkuView:
    """Every store-SKU of a snapshot, store-major (row = store × n_skus + sku).

    Args:
        forecast_daily: [stores, skus] expected demand per day.
        lead_time_days: [stores] (``lead_time_days_at``); needed with ``rules``.
        rules: fill the rules' inputs too (False: the features' and the money only).
        forecast_error: [stores, skus] smoothed |demand - forecast| (default sqrt(forecast)).
        forecast_sd_daily: [stores, skus]; defaults to sqrt(forecast) (Poisson).
        review_days: days until the next ordering decision.
        scale: [stores, skus] demand scale for the observation features, if wanted.
    """
    n_st, n_sku = spec.n_stores, spec.n_skus
    n = n_st * n_sku
    skus = spec.skus
    grid = (n_st, n_sku)

    def flat(a: np.ndarray, dtype: type = np.float64) -> np.ndarray:
        return np.broadcast_to(a, grid).reshape(-1).astype(dtype, copy=False)

    def counts(a: np.ndarray) -> np.ndarray:
        # unit counts as they are (int64 views): the features divide them anyway, and a
        # float copy of every count per step is what made the features' view slow
        return np.broadcast_to(a, grid).reshape(-1)

    held = flat if rules else counts  # the rules work in float64 (as they always have)

    pack = pack_units(skus.case_pack, skus.break_pack)
    store_dc = spec.store_dc()
    stores_per_dc = np.bincount(store_dc, minlength=spec.n_dcs)
    dc_per_store = snap.dc_on_hand[store_dc] / np.maximum(1, stores_per_dc[store_dc])[:, None]
    rule_inputs: dict[str, object] = dict(
        unit_cost=flat(skus.unit_cost[None, :]),
        price=flat(skus.price[None, :]),
        holding_cost_per_day=flat(skus.holding_cost_per_unit_day[None, :]),
        waste_cost_per_unit=flat(skus.disposal_cost_per_unit[None, :]),
    )
    if lead_time_days is not None:
        rule_inputs["lead_time_days"] = flat(np.asarray(lead_time_days)[:, None])
    if rules:
        if lead_time_days is None:
            raise ValueError("view_from_snapshot: the rules' view needs lead_time_days")
        sd = (
            np.sqrt(np.maximum(forecast_daily, 0.0))
            if forecast_sd_daily is None
            else forecast_sd_daily
        )
        by_life = on_hand_by_remaining_life(snap.store_on_hand_by_age, skus.shelf_life_days)
        rule_inputs.update(
            # the stock's own integer units: a float64 copy was 400 MB on a liqun_chain region
            on_hand_by_life=by_life.reshape(n, -1),
            forecast_sd_daily=flat(sd),
            review_days=np.full(n, float(review_days)),
            facings_units=flat(spec.store_sku.facings_units),
            store_index=np.repeat(np.arange(n_st, dtype=np.int32), n_sku),
        )
    return StoreSkuView(
        on_hand=held(snap.store_on_hand),
        on_order=held(snap.store_on_order),
        forecast_daily=flat(forecast_daily),
        shelf_life_days=flat(skus.shelf_life_days[None, :], np.int64),
        pack_units=flat(pack[None, :], np.int64),
        blocked=np.broadcast_to(spec.store_sku.blocked, grid).reshape(-1),
        **rule_inputs,
        on_promotion=(np.broadcast_to(snap.promotion_price, grid) < 1.0).reshape(-1),
        day=snap.day,
        on_hand_by_age=snap.store_on_hand_by_age.reshape(n, -1),
        on_shelf=counts(snap.store_shelf),
        arriving_1d=counts(snap.store_pipeline_by_day[:, :, :2].sum(axis=2)),
        sales_yesterday=counts(snap.sales_yesterday),
        demand_yesterday=counts(snap.demand_yesterday),
        weekday=snap.weekday,
        promotion_price=flat(snap.promotion_price),
        price_multiplier=flat(snap.price_multiplier),
        dc_on_hand_per_store=flat(dc_per_store),
        scale=None if scale is None else flat(scale),
        dc_life_left_days=flat(
            dc_life_left_days(snap.dc_on_hand_by_age, skus.shelf_life_days)[store_dc]
        ),
        forecast_error=flat(
            np.sqrt(np.maximum(forecast_daily, 0.0)) if forecast_error is None else forecast_error
        ),
    )


def dc_life_left_days(dc_stock_by_age: np.ndarray, shelf_life_days: np.ndarray) -> np.ndarray:
    """[dcs, skus] days of life left of each DC's oldest unit (shelf life if none; 0 if it
    does not perish)."""
    n_ages = dc_stock_by_age.shape[-1]
    held = dc_stock_by_age > 0
    oldest = np.where(held.any(axis=-1), n_ages - 1 - np.argmax(held[..., ::-1], axis=-1), 0)
    life = np.asarray(shelf_life_days, dtype=np.int64)[None, :]
    return np.where(life > 0, np.where(held.any(axis=-1), life - oldest, life), 0).astype(float)
