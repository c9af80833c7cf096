"""The network config's blocks as pydantic models (schema: ``sim.config``'s docstring).

Each block checks its own fields and the checks between them (a DC's trucks
leave after its cut-off, restock hours lie within the opening hours, a
fixed lead time is its own minimum and maximum, ...). References by id
(``stores[3].dc``, ``skus[0].supplier``) are resolved afterwards, in
``sim.config.network``, where the ids they point to are known.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import AfterValidator, Discriminator, Field, PlainValidator, Tag, model_validator

from sim.catalog import STORE_SKU_FIELDS
from sim.enums import DcReplenishmentBasis, IssuingRule, LeadTimeDistribution
from sim.spec import (
    STORE_TIERS,
    CourierPoolSpec,
    DcSpec,
    PickWave,
    StoreSpec,
    SupplierSpec,
    TierPair,
)
from sim.validation import (
    Block,
    CategoryName,
    EnumName,
    Flag,
    HourOfDay,
    Integer,
    Name,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Probability,
    Real,
    Span,
    StoreHour,
    WholeDays,
    category_items,
    check_integer,
    check_real,
    refuse,
    unique,
)

# Defaults come from the dataclasses themselves, never restated here.
_STORE = StoreSpec(store_id="", x_km=0.0, y_km=0.0, dc=0)
_DC = DcSpec(dc_id="")
_SUPPLIER = SupplierSpec(supplier_id="")
_COURIER = CourierPoolSpec()

# An id that points into another block: checked once those ids are known.
Ref = Any
# One id or a list of ids (store_sku and dc_initial selectors).
Refs = Any


def _nonempty(what: str) -> AfterValidator:
    def check(items: list[Any]) -> list[Any]:
        if not items:
            raise refuse(f"a non-empty list of {what}", items)
        return items

    return AfterValidator(check)


def _unique_ids(items: list[Any]) -> list[Any]:
    unique(items)
    return items


def _category_keyed(mapping: dict[str, Any]) -> dict[str, Any]:
    category_items(mapping)
    return mapping


CategoryKeyed = AfterValidator(_category_keyed)


# --------------------------------------------------------------------------------------
# Nodes.


class SupplierBlock(Block):
    id: Name
    lead_time: EnumName(LeadTimeDistribution) = _SUPPLIER.lead_time
    lead_time_mean_days: NonNegativeFloat | None = None
    lead_time_min_days: WholeDays | None = None
    lead_time_max_days: WholeDays | None = None
    fill_rate: Real(0.0, 1.0, low_open=True) = _SUPPLIER.fill_rate
    moq_units: NonNegativeInt = _SUPPLIER.moq_units
    case_pack_units: Integer(1, allowed="an integer >= 1, or null") | None = None
    order_cutoff_hour: HourOfDay = _SUPPLIER.order_cutoff_hour
    arrival_hour: HourOfDay = _SUPPLIER.arrival_hour

    @model_validator(mode="after")
    def _lead_time(self) -> Self:
        d = _SUPPLIER
        if self.lead_time is LeadTimeDistribution.FIXED:
            mean = self.lead_time_mean_days
            mean = d.lead_time_mean_days if mean is None else mean
            if not float(mean).is_integer():
                raise refuse(
                    "a whole number of days >= 0 (a fixed lead time)", mean, "lead_time_mean_days"
                )
            # A fixed lead time is its own minimum and maximum unless they are given.
            low = int(mean) if self.lead_time_min_days is None else self.lead_time_min_days
            high = int(mean) if self.lead_time_max_days is None else self.lead_time_max_days
        else:
            low = self.lead_time_min_days
            low = d.lead_time_min_days if low is None else low
            high = self.lead_time_max_days
            high = d.lead_time_max_days if high is None else high
            # A uniform lead time's mean follows from its bounds; keep it consistent.
            uniform = self.lead_time is LeadTimeDistribution.UNIFORM
            default_mean = (low + high) / 2 if uniform else d.lead_time_mean_days
            mean = default_mean if self.lead_time_mean_days is None else self.lead_time_mean_days
        if low > high:
            raise refuse(f"an integer <= lead_time_max_days ({high})", low, "lead_time_min_days")
        if not low <= mean <= high:
            raise refuse(
                f"a number in [lead_time_min_days, lead_time_max_days] = [{low}, {high}]",
                mean,
                "lead_time_mean_days",
            )
        self.lead_time_mean_days = float(mean)
        self.lead_time_min_days, self.lead_time_max_days = low, high
        return self

    def spec(self) -> SupplierSpec:
        return SupplierSpec(
            supplier_id=self.id,
            lead_time=self.lead_time,
            lead_time_mean_days=float(self.lead_time_mean_days or 0.0),
            lead_time_min_days=int(self.lead_time_min_days or 0),
            lead_time_max_days=int(self.lead_time_max_days or 0),
            fill_rate=self.fill_rate,
            moq_units=self.moq_units,
            case_pack_units=self.case_pack_units,
            order_cutoff_hour=self.order_cutoff_hour,
            arrival_hour=self.arrival_hour,
        )


_WEEKDAYS = "a non-empty list of distinct weekdays 0..6 (0 = Monday)"


def _weekdays(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise refuse(_WEEKDAYS, value)
    days = [check_integer(w, 0, 6, at=(i,)) for i, w in enumerate(value)]
    if len(set(days)) != len(days):
        raise refuse(_WEEKDAYS, value)
    return tuple(sorted(days))


class WaveBlock(Block):
    cutoff_hour: HourOfDay
    departure_hour: HourOfDay
    pick_capacity_units: PositiveInt = _DC.pick_capacity_units_per_day


class DcBlock(Block):
    """A DC's own fields; its transit hours are resolved once the stores are known."""

    id: Name
    order_cutoff_hour: HourOfDay = _DC.order_cutoff_hour
    departure_hour: HourOfDay = _DC.departure_hour
    delivery_weekdays: Annotated[tuple[int, ...], PlainValidator(_weekdays)] = _DC.delivery_weekdays
    transit_hours: dict[str, NonNegativeFloat] = Field(default_factory=dict)
    transit_hours_default: NonNegativeFloat | None = None
    pick_capacity_units_per_day: PositiveInt = _DC.pick_capacity_units_per_day
    backorder: Flag = _DC.backorder
    unlimited_stock: Flag = _DC.unlimited_stock
    truck_cost_per_trip: NonNegativeFloat = _DC.truck_cost_per_trip
    replenishment_cover_days: NonNegativeFloat = _DC.replenishment_cover_days
    replenishment_basis: EnumName(DcReplenishmentBasis) = _DC.replenishment_basis  # type: ignore[valid-type]
    order_rate_smoothing: Real(0.0, 1.0, low_open=True) = _DC.order_rate_smoothing  # type: ignore[valid-type]
    waves: list[WaveBlock] = Field(default_factory=list)

    @model_validator(mode="after")
    def _waves_in_turn(self) -> Self:
        previous = -1.0
        for i, wave in enumerate(self.waves):
            if wave.cutoff_hour <= previous:
                raise refuse(
                    f"a cut-off after the previous wave's departure ({previous:g})",
                    wave.cutoff_hour, "waves", i, "cutoff_hour",
                )  # fmt: skip
            if wave.departure_hour < wave.cutoff_hour:
                raise refuse(
                    f"an hour in [cutoff_hour ({wave.cutoff_hour:g}), 24)",
                    wave.departure_hour, "waves", i, "departure_hour",
                )  # fmt: skip
            previous = wave.departure_hour
        return self

    @model_validator(mode="after")
    def _departure_after_cutoff(self) -> Self:
        if self.departure_hour < self.order_cutoff_hour:
            raise refuse(
                f"an hour in [order_cutoff_hour ({self.order_cutoff_hour:g}), 24): trucks"
                " leave after the cut-off",
                self.departure_hour,
                "departure_hour",
            )
        return self

    def spec(self, transit_hours: dict[int, float]) -> DcSpec:
        return DcSpec(
            dc_id=self.id,
            order_cutoff_hour=self.order_cutoff_hour,
            departure_hour=self.departure_hour,
            delivery_weekdays=self.delivery_weekdays,
            transit_hours=transit_hours,
            pick_capacity_units_per_day=self.pick_capacity_units_per_day,
            backorder=self.backorder,
            unlimited_stock=self.unlimited_stock,
            truck_cost_per_trip=self.truck_cost_per_trip,
            replenishment_cover_days=self.replenishment_cover_days,
            replenishment_basis=self.replenishment_basis,
            order_rate_smoothing=self.order_rate_smoothing,
            waves=tuple(
                PickWave(w.cutoff_hour, w.departure_hour, w.pick_capacity_units) for w in self.waves
            ),
        )


class StoreShared(Block):
    """Opening hours, restocking and issuing: what a generated store gets from ``defaults``."""

    open_hour: StoreHour = _STORE.open_hour
    close_hour: StoreHour = _STORE.close_hour
    restock_hours: list[Any] | None = None
    issuing: EnumName(IssuingRule) = _STORE.issuing
    fresh_first_share: Probability = _STORE.fresh_first_share

    @model_validator(mode="after")
    def _within_opening_hours(self) -> Self:
        open_hour, close_hour = self.open_hour, self.close_hour
        if open_hour >= close_hour:
            raise refuse(f"an hour in [0, close_hour ({close_hour:g}))", open_hour, "open_hour")
        if self.restock_hours is None:
            # The default restock times only make sense inside this store's opening hours.
            hours = [h for h in _STORE.restock_hours if open_hour <= h < close_hour]
        else:
            allowed = f"an hour within the opening hours [{open_hour:g}, {close_hour:g})"
            hours = [
                check_real(
                    h,
                    open_hour,
                    close_hour,
                    high_open=True,
                    allowed=allowed,
                    at=("restock_hours", i),
                )
                for i, h in enumerate(self.restock_hours)
            ]
        self.restock_hours = sorted(hours)
        return self

    def shared_fields(self) -> dict[str, Any]:
        return {
            "open_hour": self.open_hour,
            "close_hour": self.close_hour,
            "restock_hours": tuple(self.restock_hours or ()),
            "issuing": self.issuing,
            "fresh_first_share": self.fresh_first_share,
        }


def _tier(value: Any) -> str:
    if value not in STORE_TIERS:
        raise refuse(f"one of {list(STORE_TIERS)}", value)
    return str(value)


StoreTier = Annotated[str, PlainValidator(_tier)]


class StoreBlock(StoreShared):
    id: Name
    x_km: Real()
    y_km: Real()
    dc: Ref = None
    city: Name = _STORE.city
    tier: StoreTier = _STORE.tier


class TierPairBlock(Block):
    origin: StoreTier
    destination: StoreTier
    lead_hours: PositiveFloat | None = None
    cost_per_trip: NonNegativeFloat | None = None
    cost_per_km: NonNegativeFloat | None = None

    def spec(self) -> TierPair:
        return TierPair(**self.model_dump())


def _point(value: Any) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise refuse("[x_km, y_km]", value)
    return check_real(value[0], at=(0,)), check_real(value[1], at=(1,))


class CityBlock(Block):
    name: Name
    count: NonNegativeInt | None = None
    centre_km: Annotated[tuple[float, float], PlainValidator(_point)] = (0.0, 0.0)
    radius_km: NonNegativeFloat = 5.0
    dc: Ref = None


class StoreGenerate(Block):
    seed: NonNegativeInt = 0
    count: PositiveInt | None = None
    id_prefix: Name = "S"
    id_digits: PositiveInt = 3
    defaults: StoreShared = StoreShared()
    cities: Annotated[list[CityBlock], _nonempty("cities")]

    @model_validator(mode="after")
    def _city_counts(self) -> Self:
        unique(self.cities, "name")
        counts = [c.count for c in self.cities]
        given = sum(n for n in counts if n is not None)
        open_cities = [i for i, n in enumerate(counts) if n is None]
        if self.count is None and open_cities:
            raise refuse("an integer >= 1 (required)", None, "count")
        if self.count is not None:
            total = self.count
            if total < given or (not open_cities and total != given):
                raise refuse(
                    f"an integer {'>=' if open_cities else '=='} the sum of the cities'"
                    f" counts ({given})",
                    total,
                    "count",
                )
            # The cities without a count share the rest; the first ones get the remainder.
            share, extra = divmod(total - given, len(open_cities) or 1)
            for rank, i in enumerate(open_cities):
                self.cities[i].count = share + (1 if rank < extra else 0)
        return self


class StoresGenerated(Block):
    generate: StoreGenerate


class CourierBlock(Block):
    size: PositiveInt = _COURIER.size
    acceptance_delay_hours: NonNegativeFloat = _COURIER.acceptance_delay_hours
    speed_kmh: PositiveFloat = _COURIER.speed_kmh
    detour_factor: Real(1.0) = _COURIER.detour_factor
    cost_per_trip: NonNegativeFloat = _COURIER.cost_per_trip
    cost_per_km: NonNegativeFloat = _COURIER.cost_per_km
    capacity_units: PositiveInt = _COURIER.capacity_units
    no_show_probability: Real(0.0, 1.0, high_open=True) = _COURIER.no_show_probability
    co2_kg_per_km: NonNegativeFloat = _COURIER.co2_kg_per_km
    per_region: Flag = _COURIER.per_region
    late_after_hours: PositiveFloat | None = _COURIER.late_after_hours
    tier_pairs: list[TierPairBlock] = Field(default_factory=list)

    def spec(self) -> CourierPoolSpec:
        fields = self.model_dump(exclude={"tier_pairs"})
        return CourierPoolSpec(**fields, tier_pairs=tuple(p.spec() for p in self.tier_pairs))


# --------------------------------------------------------------------------------------
# SKUs.

ShelfLife = Integer(1, allowed="an integer >= 1, or null for a non-perishable")


class SkuBlock(Block):
    id: Name
    category: CategoryName
    shelf_life_days: ShelfLife | None = None
    unit_cost: NonNegativeFloat
    price: NonNegativeFloat
    holding_cost_per_unit_day: NonNegativeFloat = 0.0
    disposal_cost_per_unit: NonNegativeFloat = 0.0
    case_pack: PositiveInt = 1
    break_pack: Flag = False
    temperature_sensitivity: Real() = 0.0
    damage_rate: Real(0.0, 1.0, high_open=True) = 0.0
    supplier: Ref = None
    supplier_lead_time_days: PositiveInt | None = None  # None: the supplier's own


def _case_packs(value: Any) -> tuple[int, ...]:
    allowed = "an integer >= 1, or a list of them"
    if isinstance(value, list | tuple):
        if not value:
            raise refuse("a non-empty list of case sizes", value)
        return tuple(check_integer(c, 1, allowed=allowed, at=(i,)) for i, c in enumerate(value))
    return (check_integer(value, 1, allowed=allowed),)


class TemplateBlock(Block):
    id_prefix: Name | None = None  # default: the category name in capitals
    shelf_life_days: ShelfLife | None = None
    unit_cost: Span(0.0)
    # A margin below -1 would make the price negative.
    margin: Span(-1.0) = (0.3, 0.3)
    holding_rate_per_day: Span(0.0, 1.0) = (0.0007, 0.0007)
    disposal_cost_per_unit: Span(0.0) = (0.0, 0.0)
    case_pack: Annotated[tuple[int, ...], PlainValidator(_case_packs)] = (1,)
    break_pack: Flag = False
    temperature_sensitivity: Span() = (0.0, 0.0)
    damage_rate: Span(0.0, 1.0, high_open=True) = (0.0, 0.0)
    supplier: Ref = None


class SkuGenerate(Block):
    seed: NonNegativeInt = 0
    id_digits: PositiveInt = 4
    count_by_category: Annotated[dict[str, NonNegativeInt], CategoryKeyed]
    templates: Annotated[dict[str, TemplateBlock], CategoryKeyed]

    @model_validator(mode="after")
    def _a_template_per_count(self) -> Self:
        given = {category for category, _, _ in category_items(self.templates)}
        for category, _, count in category_items(self.count_by_category):
            if count and category not in given:
                raise refuse(
                    "a template for every category with a count in count_by_category",
                    None,
                    "templates",
                    category.name.lower(),
                )
        return self


class SkusGenerated(Block):
    generate: SkuGenerate


# --------------------------------------------------------------------------------------
# Per-(store, SKU) layers and starting stock.


class StoreSkuLayerBlock(Block):
    """One layer's fields: each a value or a range [low, high] drawn per pair, all >= 0."""

    shelf_capacity_units: Span(0.0, integer=True) | None = None
    facings_units: Span(0.0, integer=True) | None = None
    daily_units_hint: Span(0.0) | None = None
    initial_days_of_cover: Span(0.0) | None = None
    initial_on_hand: Span(0.0, integer=True) | None = None
    initial_age_days: Span(0.0, integer=True) | None = None
    recent_sales_units: Span(0.0, integer=True) | None = None

    @model_validator(mode="after")
    def _units_or_cover(self) -> Self:
        if self.initial_on_hand is not None and self.initial_days_of_cover is not None:
            raise refuse(
                "either initial_on_hand or initial_days_of_cover in one layer, not both",
                self.initial_on_hand[0]
                if self.initial_on_hand[0] == self.initial_on_hand[1]
                else list(self.initial_on_hand),
                "initial_on_hand",
            )
        return self

    def values(self) -> dict[str, float | tuple[float, float]]:
        """The fields set, a range collapsed to its value where low == high."""
        out: dict[str, float | tuple[float, float]] = {}
        for name in STORE_SKU_FIELDS:
            span = getattr(self, name)
            if span is not None:
                out[name] = span[0] if span[0] == span[1] else span
        return out


class StoreSkuOverride(StoreSkuLayerBlock):
    store: Refs = None
    sku: Refs = None
    category: Refs = None


class StoreSkuBlock(Block):
    seed: NonNegativeInt = 0
    default: StoreSkuLayerBlock | None = None
    by_category: Annotated[dict[str, StoreSkuLayerBlock], CategoryKeyed] = Field(
        default_factory=dict
    )
    overrides: list[StoreSkuOverride] = Field(default_factory=list)
    blocked: dict[str, list[Ref]] = Field(default_factory=dict)


class DcInitialOverride(Block):
    dc: Refs = None
    sku: Refs = None
    units: NonNegativeInt


class DcInitialBlock(Block):
    units: NonNegativeInt | None = None
    days_of_cover: NonNegativeFloat | None = None
    overrides: list[DcInitialOverride] = Field(default_factory=list)

    @model_validator(mode="after")
    def _units_or_cover(self) -> Self:
        if self.units is not None and self.days_of_cover is not None:
            raise refuse("either units or days_of_cover, not both", self.units, "units")
        return self


def _list_or_generate(value: Any) -> str:
    return "<generate>" if isinstance(value, dict) else "<list>"


Stores = Annotated[
    Annotated[
        Annotated[
            list[StoreBlock],
            _nonempty("stores (or a mapping with 'generate')"),
            AfterValidator(_unique_ids),
        ],
        Tag("<list>"),
    ]
    | Annotated[StoresGenerated, Tag("<generate>")],
    Discriminator(_list_or_generate),
]
Skus = Annotated[
    Annotated[
        Annotated[
            list[SkuBlock],
            _nonempty("SKUs (or a mapping with 'generate')"),
            AfterValidator(_unique_ids),
        ],
        Tag("<list>"),
    ]
    | Annotated[SkusGenerated, Tag("<generate>")],
    Discriminator(_list_or_generate),
]


class StudyBlock(Block):
    """The what-if's default window for this scenario (``experiments.evaluate`` uses it when
    ``days`` / ``warmup_days`` are not given): a scenario built around a few days' stock asks
    for a short window and no warm-up, so that the reported days are not empty."""

    days: PositiveInt = 14
    warmup_days: NonNegativeInt = 7


class NetworkConfig(Block):
    """The whole network config; ids are resolved by ``sim.config.network``."""

    name: Name | None = None
    description: Any = None
    suppliers: Annotated[list[SupplierBlock], _nonempty("suppliers"), AfterValidator(_unique_ids)]
    dcs: Annotated[list[DcBlock], _nonempty("distribution centres"), AfterValidator(_unique_ids)]
    stores: Stores
    skus: Skus
    couriers: CourierBlock | None = None
    store_sku: StoreSkuBlock = StoreSkuBlock()
    dc_initial: DcInitialBlock = DcInitialBlock()
    study: StudyBlock = StudyBlock()
