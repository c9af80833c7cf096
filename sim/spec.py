"""The retail network as frozen dataclasses.

Per-SKU and per-(store, SKU) parameters are numpy arrays (read-only), never
one Python object per SKU: a regional chain has 10,000 SKUs × 100 stores.

Conventions used everywhere in ``sim/``:

* Time is SimPy time in hours (float). Day ``d`` spans ``[24 d, 24 d + 24)``.
* Index order is ``[store, sku]`` for store arrays, ``[dc, sku]`` for DCs and
  ``[node, sku, age_days]`` for stock with ages. ``age_days`` counts days since
  the unit was produced (0 = freshest). A perishable unit with shelf life
  ``m`` days is sellable at ages ``0 .. m-1`` and is wasted at the day boundary
  where its age would become ``m``. Non-perishables stay in age bucket 0.
* Money in the chain's currency; quantities in units (integers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.enums import Category, DcReplenishmentBasis, IssuingRule, LeadTimeDistribution


def _frozen_array(values: object, dtype: type | np.dtype) -> np.ndarray:
    arr = np.array(values, dtype=dtype, copy=True)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class SkuCatalog:
    """All SKUs of the network, one entry per array position.

    Attributes:
        ids: SKU identifiers, unique.                                  [skus]
        category: ``Category`` values.                                  [skus] int8
        shelf_life_days: days a unit is sellable; 0 for non-perishables. [skus] int32
        unit_cost: purchase cost per unit.                               [skus] float64
        price: regular selling price per unit.                           [skus] float64
        holding_cost_per_unit_day: cost per unit on hand at day end.     [skus] float64
        disposal_cost_per_unit: cost to dispose of a wasted/damaged unit. [skus] float64
        case_pack: units per case for store orders.                      [skus] int32
        break_pack: True if the DC may ship single units (no case rounding). [skus] bool
        temperature_sensitivity: demand change per degree C above the reference
            temperature (0.03 = +3 %/°C, multiplicative).               [skus] float64
        damage_rate: probability a unit received by a store is damaged.  [skus] float64
        supplier: index into ``NetworkSpec.suppliers``.                  [skus] int32
        supplier_lead_time_days: the SKU's own supplier lead time in whole days (0: its
            supplier's distribution), or None when no SKU has one.         [skus] int32
    """

    ids: tuple[str, ...]
    category: np.ndarray
    shelf_life_days: np.ndarray
    unit_cost: np.ndarray
    price: np.ndarray
    holding_cost_per_unit_day: np.ndarray
    disposal_cost_per_unit: np.ndarray
    case_pack: np.ndarray
    break_pack: np.ndarray
    temperature_sensitivity: np.ndarray
    damage_rate: np.ndarray
    supplier: np.ndarray
    supplier_lead_time_days: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.ids)
        if self.supplier_lead_time_days is not None:
            lead = _frozen_array(self.supplier_lead_time_days, np.int32)
            if lead.shape != (n,) or (lead < 0).any():
                raise ValueError(
                    f"skus.supplier_lead_time_days: shape {lead.shape}; allowed: ({n},) days >= 0"
                )
            object.__setattr__(self, "supplier_lead_time_days", lead)
        casts = {
            "category": np.int8,
            "shelf_life_days": np.int32,
            "unit_cost": np.float64,
            "price": np.float64,
            "holding_cost_per_unit_day": np.float64,
            "disposal_cost_per_unit": np.float64,
            "case_pack": np.int32,
            "break_pack": np.bool_,
            "temperature_sensitivity": np.float64,
            "damage_rate": np.float64,
            "supplier": np.int32,
        }
        for name, dtype in casts.items():
            arr = _frozen_array(getattr(self, name), dtype)
            if arr.shape != (n,):
                raise ValueError(f"skus.{name}: shape {arr.shape}; allowed: ({n},) one per SKU")
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "ids", tuple(str(i) for i in self.ids))

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def perishable(self) -> np.ndarray:
        """[skus] bool: True where the SKU expires."""
        return self.shelf_life_days > 0

    @property
    def max_age_buckets(self) -> int:
        """Length of the age axis: the longest shelf life (at least 1)."""
        return max(1, int(self.shelf_life_days.max(initial=0)))

    def categories(self) -> list[Category]:
        return [Category(int(c)) for c in np.unique(self.category)]


@dataclass(frozen=True)
class StoreSpec:
    """One store.

    Attributes:
        store_id: unique identifier.
        x_km, y_km: position in the city's plane, kilometres.
        dc: index into ``NetworkSpec.dcs`` of the DC that replenishes it.
        open_hour, close_hour: opening hours within a day, 0 <= open < close <= 24.
        restock_hours: hours at which staff refill the shelf from the backroom
            (the shelf is also refilled at opening and after every delivery).
        issuing: how customers pick among ages.
        fresh_first_share: share of each issuing batch taken freshest-first
            when ``issuing`` is MIXED.
        city: name of the city (couriers only serve stores of one city).
        tier: the node's kind in the city's network (``STORE_TIERS``): transfers between
            tiers may have their own lead time and tariff (``CourierPoolSpec.tier_pairs``).
    """

    store_id: str
    x_km: float
    y_km: float
    dc: int
    open_hour: float = 8.0
    close_hour: float = 22.0
    restock_hours: tuple[float, ...] = (12.0, 17.0)
    issuing: IssuingRule = IssuingRule.FIFO
    fresh_first_share: float = 0.0
    city: str = "city"
    tier: str = "store"


# kinds of nodes that send and receive transfers in a city: a plain store, a regional DC's
# outlet, a flagship store, a community store, a front warehouse, a partner pick-up point
STORE_TIERS = ("store", "regional_dc", "flagship", "community", "front_warehouse", "pickup_point")


@dataclass(frozen=True)
class TierPair:
    """What a transfer from an ``origin`` tier to a ``destination`` tier takes, where it
    differs from the pool's defaults: ``lead_hours`` from pickup to delivery (instead of
    road km / speed), ``cost_per_trip`` and ``cost_per_km`` (None: the pool's)."""

    origin: str
    destination: str
    lead_hours: float | None = None
    cost_per_trip: float | None = None
    cost_per_km: float | None = None


@dataclass(frozen=True)
class PickWave:
    """One of a DC's pick waves on a delivery day: store orders received by
    ``cutoff_hour`` (and after the previous wave's cut-off) are picked, within
    ``pick_capacity_units``, and leave at ``departure_hour``."""

    cutoff_hour: float
    departure_hour: float
    pick_capacity_units: int = 10**9


@dataclass(frozen=True)
class DcSpec:
    """A distribution centre.

    Attributes:
        dc_id: unique identifier.
        order_cutoff_hour: store orders received before this hour of a delivery
            day ship that day; later ones wait for the next delivery day.
        departure_hour: hour of the day the trucks leave (>= cutoff).
        delivery_weekdays: weekdays with deliveries (0 = Monday).
        transit_hours: truck travel time to each store, keyed by store index.
        pick_capacity_units_per_day: most units the DC can pick per departure.
        backorder: if True, unfilled store-order quantities wait for the next
            departure; if False they are cancelled (and counted).
        unlimited_stock: an external source (e.g. a vendor that makes to order)
            with infinite stock: units enter the network when picked and arrive
            fresh (age 0), like supplier deliveries. Used by single-echelon scenarios.
        truck_cost_per_trip: cost of one truck trip to one store.
        replenishment_cover_days: the DC's own standing rule (0 and
            ``EXPECTED_DEMAND``: off, the driver orders for the DC). See
            ``sim.suppliers.standing_order`` for both bases.
        replenishment_basis: ``EXPECTED_DEMAND`` (push: up to lead time + cover
            days of its stores' expected demand) or ``STORE_ORDERS`` (pull: what
            the stores owe now plus lead time − 1 + cover days of their smoothed
            daily orders).
        order_rate_smoothing: weight of the latest day in the smoothed daily
            store orders (exponential smoothing, updated at each cut-off).
        waves: several pick waves a delivery day (``PickWave``, in order, each leaving
            before the next cut-off); an order lands in the first wave whose cut-off it
            makes, and when a wave's capacity binds every line is cut by the same share.
            Empty: one wave at ``order_cutoff_hour`` / ``departure_hour`` with
            ``pick_capacity_units_per_day``.
    """

    dc_id: str
    order_cutoff_hour: float = 14.0
    departure_hour: float = 20.0
    delivery_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    transit_hours: dict[int, float] = field(default_factory=dict)
    pick_capacity_units_per_day: int = 10**9
    backorder: bool = False
    unlimited_stock: bool = False
    truck_cost_per_trip: float = 0.0
    replenishment_cover_days: float = 0.0
    replenishment_basis: DcReplenishmentBasis = DcReplenishmentBasis.EXPECTED_DEMAND
    order_rate_smoothing: float = 0.3
    waves: tuple[PickWave, ...] = ()

    def day_waves(self) -> tuple[PickWave, ...]:
        """The delivery day's waves: ``waves``, or the one of the cut-off and departure."""
        if self.waves:
            return self.waves
        return (
            PickWave(self.order_cutoff_hour, self.departure_hour, self.pick_capacity_units_per_day),
        )

    @property
    def buys_for_itself(self) -> bool:
        """Whether the DC's standing rule runs (else the driver orders for the DC)."""
        return (
            self.replenishment_cover_days > 0
            or self.replenishment_basis is DcReplenishmentBasis.STORE_ORDERS
        )


@dataclass(frozen=True)
class SupplierSpec:
    """A supplier of DCs.

    Attributes:
        supplier_id: unique identifier.
        lead_time: distribution of the lead time in whole days; an order placed
            on day ``d`` arrives at the DC at ``arrival_hour`` on day ``d + lead``.
        lead_time_mean_days, lead_time_min_days, lead_time_max_days: its parameters.
        fill_rate: probability each ordered case is delivered (the rest is cut).
        moq_units: minimum order quantity per SKU line; smaller positive lines
            are raised to it (recorded in the order receipt).
        case_pack_units: units per supplier case; None uses each SKU's case pack.
        order_cutoff_hour: hour of the day the DC's orders are sent.
        arrival_hour: hour of the day deliveries reach the DC.
    """

    supplier_id: str
    lead_time: LeadTimeDistribution = LeadTimeDistribution.FIXED
    lead_time_mean_days: float = 2.0
    lead_time_min_days: int = 1
    lead_time_max_days: int = 4
    fill_rate: float = 1.0
    moq_units: int = 0
    case_pack_units: int | None = None
    order_cutoff_hour: float = 10.0
    arrival_hour: float = 6.0


@dataclass(frozen=True)
class CourierPoolSpec:
    """Same-city couriers for store-to-store transfers.

    Attributes:
        size: number of couriers that can be on a trip at once.
        acceptance_delay_hours: mean time from request to pickup (exponential).
        speed_kmh: average travel speed.
        detour_factor: road distance / straight-line distance.
        cost_per_trip, cost_per_km: tariff (km are loaded road km).
        capacity_units: most units one trip carries; larger transfers are split
            into several trips.
        no_show_probability: chance an accepted courier never arrives; the trip
            is re-dispatched to another courier after the acceptance delay.
        co2_kg_per_km: emission factor.
        per_region: ``size`` couriers in each region (a DC and its stores) instead of
            one pool of ``size`` for the chain: a courier serves one city, so a region's
            trips never wait for couriers busy in another (what makes regions simulated
            apart exact, ``sim.shard``).
        late_after_hours: a courier not at the origin this long after accepting is late:
            the trip is re-dispatched to another courier (counted); None: couriers are
            waited for however long they take.
        tier_pairs: lead times and tariffs by (origin tier, destination tier)
            (``TierPair``); other pairs travel at ``speed_kmh`` at the pool's tariff.
    """

    size: int = 4
    acceptance_delay_hours: float = 0.25
    speed_kmh: float = 20.0
    detour_factor: float = 1.3
    cost_per_trip: float = 4.0
    cost_per_km: float = 0.6
    capacity_units: int = 200
    no_show_probability: float = 0.05
    co2_kg_per_km: float = 0.12
    per_region: bool = False
    late_after_hours: float | None = None
    tier_pairs: tuple[TierPair, ...] = ()


@dataclass(frozen=True, eq=False)
class StoreSkuSpec:
    """Per-(store, SKU) parameters and the starting stock.

    Attributes:
        shelf_capacity_units: most units on the shelf.                 [stores, skus] int32
        facings_units: display minimum the shelf should hold.          [stores, skus] int32
        blocked: store may not order this SKU (delisted, seasonal...).  [stores, skus] bool
        initial_on_hand: starting units on hand.                        [stores, skus] int64
        initial_age_days: age of the starting units.                    [stores, skus] int32
        recent_sales_units: units sold in the 24 hours before t=0.      [stores, skus] int64
    """

    shelf_capacity_units: np.ndarray
    facings_units: np.ndarray
    blocked: np.ndarray
    initial_on_hand: np.ndarray
    initial_age_days: np.ndarray
    recent_sales_units: np.ndarray

    def __post_init__(self) -> None:
        casts = {
            "shelf_capacity_units": np.int32,
            "facings_units": np.int32,
            "blocked": np.bool_,
            "initial_on_hand": np.int64,
            "initial_age_days": np.int32,
            "recent_sales_units": np.int64,
        }
        shape = np.shape(self.shelf_capacity_units)
        for name, dtype in casts.items():
            arr = _frozen_array(getattr(self, name), dtype)
            if arr.shape != shape or arr.ndim != 2:
                raise ValueError(f"store_sku.{name}: shape {arr.shape}; allowed: {shape}")
            object.__setattr__(self, name, arr)


@dataclass(frozen=True, eq=False)
class NetworkSpec:
    """The whole network. Build it with ``sim.config.build_network`` (validated).

    Attributes:
        name: scenario name.
        skus: the SKU catalogue.
        stores, dcs, suppliers: the nodes; stores refer to DCs by index, SKUs to suppliers.
        couriers: the same-city courier pool, or None (no transfers).
        store_sku: per-(store, SKU) parameters and starting stock.
        dc_initial_on_hand: starting DC stock, age 0.              [dcs, skus] int64
        study_days, study_warmup_days: the what-if's default window for this network.
        region_of: the chain this network is a region of (``sim.shard``), else None.
    """

    name: str
    skus: SkuCatalog
    stores: tuple[StoreSpec, ...]
    dcs: tuple[DcSpec, ...]
    suppliers: tuple[SupplierSpec, ...]
    couriers: CourierPoolSpec | None
    store_sku: StoreSkuSpec
    dc_initial_on_hand: np.ndarray
    study_days: int = 14
    study_warmup_days: int = 7
    region_of: str | None = None

    def __post_init__(self) -> None:
        arr = _frozen_array(self.dc_initial_on_hand, np.int64)
        if arr.shape != (len(self.dcs), self.skus.n):
            raise ValueError(
                f"dc_initial_on_hand: shape {arr.shape}; allowed: ({len(self.dcs)}, {self.skus.n})"
            )
        object.__setattr__(self, "dc_initial_on_hand", arr)
        expected = (len(self.stores), self.skus.n)
        if self.store_sku.shelf_capacity_units.shape != expected:
            raise ValueError(
                f"store_sku: shape {self.store_sku.shelf_capacity_units.shape}; allowed: {expected}"
            )
        life = self.skus.shelf_life_days[None, :]
        ss = self.store_sku
        too_old = (life > 0) & (ss.initial_on_hand > 0) & (ss.initial_age_days >= life)
        if too_old.any() or (ss.initial_age_days < 0).any():
            store, sku = np.argwhere(too_old | (ss.initial_age_days < 0))[0]
            raise ValueError(
                f"store_sku.initial_age_days[{self.stores[store].store_id}][{self.skus.ids[sku]}]:"
                f" got {int(ss.initial_age_days[store, sku])}; allowed: 0 .."
                f" {int(self.skus.shelf_life_days[sku]) - 1} (below the shelf life)"
            )

    @property
    def n_stores(self) -> int:
        return len(self.stores)

    @property
    def n_skus(self) -> int:
        return self.skus.n

    @property
    def n_dcs(self) -> int:
        return len(self.dcs)

    def store_index(self, store_id: str) -> int:
        for i, s in enumerate(self.stores):
            if s.store_id == store_id:
                return i
        raise KeyError(f"unknown store {store_id!r}; known: {[s.store_id for s in self.stores]}")

    def sku_index(self, sku_id: str) -> int:
        try:
            return self.skus.ids.index(sku_id)
        except ValueError:
            raise KeyError(f"unknown SKU {sku_id!r}") from None

    def store_positions_km(self) -> np.ndarray:
        """[stores, 2] float64 (x_km, y_km)."""
        return np.array([[s.x_km, s.y_km] for s in self.stores], dtype=np.float64).reshape(-1, 2)

    def road_km(self) -> np.ndarray:
        """[stores, stores] courier road km: straight-line km times the pool's detour factor."""
        pos = self.store_positions_km()
        straight = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(axis=2))
        return straight * (self.couriers.detour_factor if self.couriers else 1.0)

    def courier_pair_terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """[stores, stores] each pair's transfer lead hours (NaN: road km / speed), cost
        per trip and cost per km, from the pool and its ``tier_pairs``."""
        n = self.n_stores
        pool = self.couriers
        lead = np.full((n, n), np.nan)
        per_trip = np.full((n, n), pool.cost_per_trip if pool else np.inf)
        per_km = np.full((n, n), pool.cost_per_km if pool else np.inf)
        if pool is None or not pool.tier_pairs:
            return lead, per_trip, per_km
        tiers = np.array([s.tier for s in self.stores])
        for pair in pool.tier_pairs:
            where = np.ix_(tiers == pair.origin, tiers == pair.destination)
            if pair.lead_hours is not None:
                lead[where] = pair.lead_hours
            if pair.cost_per_trip is not None:
                per_trip[where] = pair.cost_per_trip
            if pair.cost_per_km is not None:
                per_km[where] = pair.cost_per_km
        return lead, per_trip, per_km

    @property
    def regional_streams(self) -> bool:
        """Whether each region (a DC and its stores) draws from its own random streams
        (``RandomStreams.for_region``): in a chain of several regions, and in a region
        cut from one, so that the region draws the same numbers in both."""
        return self.region_of is not None or len({s.dc for s in self.stores}) > 1

    def courier_count(self) -> int:
        """Couriers in the whole network (``size`` per region with ``per_region``)."""
        if self.couriers is None:
            return 0
        regions = len({s.dc for s in self.stores}) if self.couriers.per_region else 1
        return self.couriers.size * regions

    def dc_store_rows(self) -> list[np.ndarray]:
        """Per DC, the indices of the stores it serves (ascending)."""
        store_dc = self.store_dc()
        return [np.flatnonzero(store_dc == j) for j in range(self.n_dcs)]

    def store_dc(self) -> np.ndarray:
        """[stores] int: index of each store's DC."""
        return np.array([s.dc for s in self.stores], dtype=np.int64)
