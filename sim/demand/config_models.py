"""The demand config's blocks as pydantic models (``sim.validation`` types).

Each block checks its own values and the rules between them; ids of stores
and SKUs are resolved against the network by ``sim.demand.config``. The
schema is written out, key by key, in ``configs/demand/city_fresh.yaml``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, PlainValidator, model_validator

from sim.demand.spec import DAYS_PER_WEEK, HOURS_PER_DAY, BadRowPolicy, LifecycleStage
from sim.enums import DemandDistribution
from sim.validation import (
    Block,
    CategoryName,
    EnumName,
    IsoDate,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Probability,
    Real,
    category_items,
    check_real,
    refuse,
)

# the parametric model draws per tick; rounded-Gamma demand is the stationary
# single-SKU source's (sim.demand.stationary) and is not offered here
PARAMETRIC_DISTRIBUTIONS = (DemandDistribution.POISSON, DemandDistribution.NEGATIVE_BINOMIAL)


class DemandKind(Enum):
    """Which demand model a config builds."""

    PARAMETRIC = "parametric"
    REPLAY = "replay"
    BOOTSTRAP = "bootstrap"


# Ids of stores and SKUs: resolved against the network after validation.
Ref = Any


def _weights(length: int, allowed: str) -> Any:
    def check(value: Any) -> tuple[float, ...]:
        if not isinstance(value, list | tuple) or len(value) != length:
            raise refuse(allowed, value)
        return tuple(check_real(v, 0.0, at=(k,)) for k, v in enumerate(value))

    return Annotated[tuple[float, ...], PlainValidator(check)]


def _category_keyed(mapping: dict[str, Any]) -> dict[str, Any]:
    category_items(mapping)
    return mapping


CategoryKeyed = AfterValidator(_category_keyed)
DayOfWeek = _weights(DAYS_PER_WEEK, "7 non-negative multipliers, Monday first")
HourOfDayWeights = _weights(HOURS_PER_DAY, "24 non-negative weights, hour 0 first")


class Seasonality(Block):
    amplitude: Real() = 0.0
    peak_doy: Real() = 1.0


class HourProfile(Block):
    """A category's profile in a sales-table config: only the hours matter there."""

    hour_of_day: HourOfDayWeights | None = None


class Profile(HourProfile):
    day_of_week: DayOfWeek | None = None
    seasonality: Seasonality | None = None
    elasticity: NonNegativeFloat | None = None
    distribution: EnumName(DemandDistribution, PARAMETRIC_DISTRIBUTIONS) | None = None
    dispersion: PositiveFloat | None = None


class Lognormal(Block):
    median: PositiveFloat
    sigma: NonNegativeFloat = 0.0


class BaseRateGenerator(Block):
    by_category: Annotated[dict[str, Lognormal], CategoryKeyed]
    store_scale: Lognormal | None = None
    sku_common_share: Probability = 0.0
    seed: NonNegativeInt


class HolidayBlock(Block):
    name: str = ""
    date: IsoDate
    multiplier: NonNegativeFloat
    categories: list[CategoryName] | None = None


class _Dated(Block):
    """A start given as a day index (``start_day``) or a date (``start_date``)."""

    name: str = ""
    start_day: NonNegativeInt | None = None
    start_date: IsoDate | None = None
    days: PositiveInt

    @model_validator(mode="after")
    def _one_start(self) -> Self:
        if (self.start_day is None) == (self.start_date is None):
            raise refuse(
                "exactly one of start_day (day index >= 0) or start_date (ISO date)",
                self.start_day if self.start_day is not None else self.start_date,
                "start_day",
            )
        return self


class PromotionBlock(_Dated):
    skus: list[Ref]
    stores: Ref = None  # a list of store ids, or "all" / absent for every store
    lift: NonNegativeFloat
    dip: NonNegativeFloat = 1.0
    dip_days: NonNegativeInt = 0
    discount: Real(
        0.0, 1.0, high_open=True, allowed="a share in [0, 1): 0.2 = 20 % off the regular price"
    ) = 0.0
    start_hour: Real(0.0, 24.0, high_open=True) = 0.0  # the lift's hours of each day
    end_hour: Real(0.0, 24.0, low_open=True) = 24.0


class EventBlock(_Dated):
    stores: Ref
    multiplier: NonNegativeFloat
    categories: list[CategoryName] | None = None


class LifecycleFields(Block):
    launch_day: Real() | None = None
    ramp_days: Real() | None = None
    new_start_share: Real() | None = None
    decline_start_day: Real() | None = None
    decline_rate_per_week: Real() | None = None


class LifecycleSku(LifecycleFields):
    stage: EnumName(LifecycleStage)


class StageShares(Block):
    new_share: Probability = 0.0
    declining_share: Probability = 0.0

    @model_validator(mode="after")
    def _at_most_one(self) -> Self:
        if self.new_share + self.declining_share > 1.0:
            raise refuse("new_share + declining_share <= 1", self.model_dump())
        return self


class GeneratedStages(Block):
    seed: NonNegativeInt
    by_category: Annotated[dict[str, StageShares], CategoryKeyed]


class LifecycleBlock(Block):
    defaults: LifecycleFields = LifecycleFields()
    skus: dict[str, LifecycleSku] = Field(default_factory=dict)
    generated: GeneratedStages | None = None


class WeatherBlock(Block):
    mean_c: Real() | None = None
    amplitude_c: Real() | None = None
    warmest_doy: Real() | None = None
    phi: Real() | None = None
    sd_c: Real() | None = None
    reference_c: Real() | None = None


class _Common(Block):
    keep_null = frozenset({"tick_length_hours"})  # null: one tick a day

    kind: EnumName(DemandKind)
    name: str | None = None
    tick_length_hours: PositiveFloat | None = 1.0


class ParametricConfig(_Common):
    kind: EnumName(DemandKind, (DemandKind.PARAMETRIC,))
    categories: Annotated[dict[str, Profile], CategoryKeyed] = Field(default_factory=dict)
    default_category: Profile = Profile()
    start_date: IsoDate
    base_rate: dict[str, dict[str, NonNegativeFloat]] = Field(default_factory=dict)
    base_rate_default: NonNegativeFloat | None = None
    base_rate_generator: BaseRateGenerator | None = None
    holidays: list[HolidayBlock] = Field(default_factory=list)
    promotions: list[PromotionBlock] = Field(default_factory=list)
    events: list[EventBlock] = Field(default_factory=list)
    lifecycle: LifecycleBlock | None = None
    weather: WeatherBlock = WeatherBlock()

    @model_validator(mode="after")
    def _one_base_rate(self) -> Self:
        generated = self.base_rate_generator is not None
        if generated and self.base_rate_default is not None:
            raise refuse(
                "either base_rate_default or base_rate_generator, not both",
                self.base_rate_default,
                "base_rate_default",
            )
        explicit = "base_rate" in self.model_fields_set
        if not generated and self.base_rate_default is None and not explicit:
            raise refuse(
                "base_rate (with base_rate_default) or base_rate_generator", None, "base_rate"
            )
        return self


def _table_path(value: Any) -> Path:
    if not isinstance(value, str | Path) or not str(value):
        raise refuse("a path to a .csv or .parquet file", value)
    return Path(value)


class ReplayConfig(_Common):
    kind: EnumName(DemandKind, (DemandKind.REPLAY,))
    categories: Annotated[dict[str, HourProfile], CategoryKeyed] = Field(default_factory=dict)
    default_category: HourProfile = HourProfile()
    sales_table: Annotated[Path, PlainValidator(_table_path)]
    on_bad_rows: EnumName(BadRowPolicy) = BadRowPolicy.RAISE


class BootstrapConfig(ReplayConfig):
    kind: EnumName(DemandKind, (DemandKind.BOOTSTRAP,))
    start_date: IsoDate | None = None


CONFIG_MODELS: dict[DemandKind, type[ParametricConfig | ReplayConfig]] = {
    DemandKind.PARAMETRIC: ParametricConfig,
    DemandKind.REPLAY: ReplayConfig,
    DemandKind.BOOTSTRAP: BootstrapConfig,
}
