"""What a demand model is made of: validated, immutable parameters.

These dataclasses hold parameters already resolved against a ``NetworkSpec``
(store and SKU ids turned into array indices). ``sim.demand.config`` builds
them from YAML; tests build them directly. Each one checks its own values and
raises ``ConfigError`` with the field name relative to itself; the config
builder prefixes the path it came from (``categories.dairy.day_of_week``).

Conventions:

* Days are simulation day indices (day 0 = ``start_date``); dates are
  ``datetime.date``. Weekdays count from Monday = 0.
* Factors are multiplicative and 1.0 means "no effect".
* Rates are units per store-SKU-day (``*_units_per_day``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, IntEnum

import numpy as np

from sim.enums import Category, DemandDistribution
from sim.errors import ConfigError
from sim.spec import NetworkSpec

N_CATEGORIES = len(Category)
HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7


class LifecycleStage(IntEnum):
    """Where a SKU is in its life; drives the lifecycle factor."""

    MATURE = 0  # factor 1
    NEW = 1  # ramps linearly from new_start_share to 1 over ramp_days after launch
    DECLINING = 2  # exp(-decline_rate_per_week * weeks since decline start): slow movers

    @classmethod
    def parse(cls, value: str | int | LifecycleStage) -> LifecycleStage:
        """Parse a stage from its name (case-insensitive) or value.

        Raises:
            ValueError: naming the bad value and the allowed names.
        """
        if isinstance(value, LifecycleStage):
            return value
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        allowed = ", ".join(m.name.lower() for m in cls)
        raise ValueError(f"unknown lifecycle stage {value!r}; allowed: {allowed}")


class BadRowPolicy(Enum):
    """What loading a sales table does with rows that fail validation."""

    RAISE = "raise"  # raise SalesTableError listing every bad row
    REPORT = "report"  # keep the good rows and return the rejected ones explicitly


def _readonly(
    values: object, dtype: type | np.dtype, shape: tuple[int, ...] | None = None, *, name: str
) -> np.ndarray:
    arr = np.array(values, dtype=dtype, copy=True)
    if shape is not None and arr.shape != shape:
        raise ConfigError(name, arr.shape, f"shape {shape}")
    arr.flags.writeable = False
    return arr


def _finite_at_least(value: float, name: str, low: float, *, strict: bool = False) -> float:
    number = float(value)
    bad = not math.isfinite(number) or (number <= low if strict else number < low)
    if bad:
        relation = ">" if strict else ">="
        raise ConfigError(name, value, f"a finite number {relation} {low}")
    return number


@dataclass(frozen=True)
class CategoryProfile:
    """Demand shape shared by all SKUs of one category.

    Attributes:
        day_of_week: 7 non-negative multipliers, Monday first. Not renormalised:
            keep their mean near 1 so the base rate stays the average daily rate.
        hour_of_day: 24 non-negative weights for the hours [h, h+1). Only their
            shape matters: they are restricted to each store's opening hours and
            renormalised, so the daily mean is preserved.
        seasonal_amplitude: a in 1 + a·cos(2π(doy − peak)/365), 0 <= a <= 1.
        seasonal_peak_doy: day of the year (1..366) of the seasonal peak.
        elasticity: e >= 0 in price_multiplier ** (−e) (1.5 = a 10 % markdown
            lifts demand by about 17 %).
        distribution: Poisson, or negative binomial (gamma–Poisson) for
            over-dispersed categories.
        dispersion_k: k > 0 of the negative binomial: the daily units of a
            store-SKU have variance mean + mean²/k. Ignored for Poisson.
    """

    day_of_week: tuple[float, ...] = (1.0,) * DAYS_PER_WEEK
    hour_of_day: tuple[float, ...] = (1.0,) * HOURS_PER_DAY
    seasonal_amplitude: float = 0.0
    seasonal_peak_doy: float = 1.0
    elasticity: float = 0.0
    distribution: DemandDistribution = DemandDistribution.POISSON
    dispersion_k: float | None = None

    def __post_init__(self) -> None:
        dow = tuple(float(v) for v in self.day_of_week)
        if len(dow) != DAYS_PER_WEEK or not all(math.isfinite(v) and v >= 0 for v in dow):
            raise ConfigError(
                "day_of_week", self.day_of_week, "7 finite non-negative multipliers, Monday first"
            )
        hours = tuple(float(v) for v in self.hour_of_day)
        if len(hours) != HOURS_PER_DAY or not all(math.isfinite(v) and v >= 0 for v in hours):
            raise ConfigError(
                "hour_of_day", self.hour_of_day, "24 finite non-negative weights, hour 0 first"
            )
        object.__setattr__(self, "day_of_week", dow)
        object.__setattr__(self, "hour_of_day", hours)
        amplitude = _finite_at_least(self.seasonal_amplitude, "seasonality.amplitude", 0.0)
        if amplitude > 1.0:
            raise ConfigError(
                "seasonality.amplitude",
                self.seasonal_amplitude,
                "0 <= amplitude <= 1 (the factor must stay non-negative)",
            )
        peak = float(self.seasonal_peak_doy)
        if not 1.0 <= peak <= 366.0:
            raise ConfigError(
                "seasonality.peak_doy", self.seasonal_peak_doy, "a day of the year in 1..366"
            )
        object.__setattr__(self, "seasonal_amplitude", amplitude)
        object.__setattr__(self, "seasonal_peak_doy", peak)
        object.__setattr__(self, "elasticity", _finite_at_least(self.elasticity, "elasticity", 0))
        if self.distribution not in (
            DemandDistribution.POISSON,
            DemandDistribution.NEGATIVE_BINOMIAL,
        ):
            allowed = "poisson, negative_binomial"
            raise ConfigError("distribution", self.distribution, allowed)
        if self.distribution is DemandDistribution.NEGATIVE_BINOMIAL:
            if self.dispersion_k is None:
                raise ConfigError("dispersion", None, "a number > 0 for negative_binomial")
            k = _finite_at_least(self.dispersion_k, "dispersion", 0.0, strict=True)
            object.__setattr__(self, "dispersion_k", k)
        elif self.dispersion_k is not None:
            object.__setattr__(
                self,
                "dispersion_k",
                _finite_at_least(self.dispersion_k, "dispersion", 0.0, strict=True),
            )


@dataclass(frozen=True)
class Holiday:
    """A date whose demand is multiplied (e.g. 1.6 before Easter, 0.2 on Christmas Day).

    Attributes:
        date: the calendar date.
        multiplier: factor >= 0 applied on that date.
        categories: the categories affected; None = all.
    """

    date: dt.date
    multiplier: float
    categories: tuple[Category, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "multiplier", _finite_at_least(self.multiplier, "multiplier", 0))


@dataclass(frozen=True, eq=False)
class Promotion:
    """A promotion on some SKUs in some stores.

    During the promotion demand is multiplied by ``lift`` (display and
    advertising) and the price by ``price_multiplier`` (which acts through the
    category's elasticity, on top of the lift). For ``dip_days`` after it ends
    demand is multiplied by ``dip`` (customers stocked up).

    Attributes:
        sku_index: SKUs promoted.                           [n] int64
        store_index: stores taking part; None = all stores.  [m] int64
        start_day: first day of the promotion.
        days: duration in days (>= 1).
        lift: demand multiplier during the promotion (>= 0).
        dip: demand multiplier in the days after it (>= 0; 1 = no dip).
        dip_days: how many days the dip lasts (>= 0).
        price_multiplier: promotional price / regular price (0 < p <= 1 for a discount).
        name: label for reports.
        start_hour, end_hour: the lift applies to the demand ticks that start within
            these hours of each promotion day (a lunch promotion: 11.5 to 14); the day's
            other ticks keep their demand. Whole days by default. A promotion with hours
            has no discount (prices are set per day).
    """

    sku_index: np.ndarray
    store_index: np.ndarray | None
    start_day: int
    days: int
    lift: float
    dip: float = 1.0
    dip_days: int = 0
    price_multiplier: float = 1.0
    name: str = ""
    start_hour: float = 0.0
    end_hour: float = 24.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.start_hour < self.end_hour <= 24.0):
            raise ConfigError(
                "start_hour/end_hour", (self.start_hour, self.end_hour), "0 <= start < end <= 24"
            )
        if not self.all_day and self.price_multiplier != 1.0:
            raise ConfigError(
                "discount", round(1.0 - self.price_multiplier, 6),
                "0 for a promotion with hours (prices are set per day)",
            )  # fmt: skip
        object.__setattr__(self, "sku_index", _readonly(self.sku_index, np.int64, name="skus"))
        if self.store_index is not None:
            object.__setattr__(
                self, "store_index", _readonly(self.store_index, np.int64, name="stores")
            )
        if int(self.days) < 1:
            raise ConfigError("days", self.days, "an integer >= 1")
        if int(self.dip_days) < 0:
            raise ConfigError("dip_days", self.dip_days, "an integer >= 0")
        object.__setattr__(self, "lift", _finite_at_least(self.lift, "lift", 0))
        object.__setattr__(self, "dip", _finite_at_least(self.dip, "dip", 0))
        price = _finite_at_least(self.price_multiplier, "price_multiplier", 0, strict=True)
        object.__setattr__(self, "price_multiplier", price)

    @property
    def all_day(self) -> bool:
        return self.start_hour == 0.0 and self.end_hour == 24.0

    def active(self, day: int) -> bool:
        return self.start_day <= day < self.start_day + self.days

    def in_dip(self, day: int) -> bool:
        end = self.start_day + self.days
        return end <= day < end + self.dip_days


@dataclass(frozen=True, eq=False)
class LocalEvent:
    """Something near some stores that changes their demand for a few days
    (a street festival, road works, a football match).

    Attributes:
        store_index: stores affected.                 [m] int64
        start_day: first day.
        days: duration in days (>= 1).
        multiplier: demand factor >= 0.
        categories: categories affected; None = all.
        name: label for reports.
    """

    store_index: np.ndarray
    start_day: int
    days: int
    multiplier: float
    categories: tuple[Category, ...] | None = None
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "store_index", _readonly(self.store_index, np.int64, name="stores")
        )
        if int(self.days) < 1:
            raise ConfigError("days", self.days, "an integer >= 1")
        object.__setattr__(self, "multiplier", _finite_at_least(self.multiplier, "multiplier", 0))

    def active(self, day: int) -> bool:
        return self.start_day <= day < self.start_day + self.days


@dataclass(frozen=True, eq=False)
class Lifecycle:
    """Per-SKU product lifecycle, as arrays over SKUs.

    Attributes:
        stage: ``LifecycleStage`` values.                                  [skus] int8
        launch_day: NEW: first day on sale (no demand before it; may be < 0). [skus] int64
        ramp_days: NEW: days to reach full demand (> 0).                   [skus] float64
        new_start_share: NEW: share of full demand on the launch day.      [skus] float64
        decline_start_day: DECLINING: day the decline started (may be < 0). [skus] int64
        decline_rate_per_week: DECLINING: r in exp(−r · weeks).            [skus] float64
    """

    stage: np.ndarray
    launch_day: np.ndarray
    ramp_days: np.ndarray
    new_start_share: np.ndarray
    decline_start_day: np.ndarray
    decline_rate_per_week: np.ndarray

    def __post_init__(self) -> None:
        n = np.shape(self.stage)
        casts = {
            "stage": np.int8,
            "launch_day": np.int64,
            "ramp_days": np.float64,
            "new_start_share": np.float64,
            "decline_start_day": np.int64,
            "decline_rate_per_week": np.float64,
        }
        for name, dtype in casts.items():
            object.__setattr__(self, name, _readonly(getattr(self, name), dtype, n, name=name))
        if not np.isin(self.stage, [int(s) for s in LifecycleStage]).all():
            allowed = ", ".join(s.name.lower() for s in LifecycleStage)
            raise ConfigError("stage", self.stage, allowed)
        if not (np.isfinite(self.ramp_days) & (self.ramp_days > 0)).all():
            raise ConfigError("ramp_days", self.ramp_days.min(), "numbers > 0")
        share = self.new_start_share
        if not (np.isfinite(share) & (share >= 0) & (share <= 1)).all():
            raise ConfigError("new_start_share", share.min(), "numbers in [0, 1]")
        rate = self.decline_rate_per_week
        if not (np.isfinite(rate) & (rate >= 0)).all():
            raise ConfigError("decline_rate_per_week", rate.min(), "numbers >= 0")

    @classmethod
    def all_mature(cls, n_skus: int) -> Lifecycle:
        """Every SKU mature: the lifecycle factor is 1 everywhere."""
        return cls(
            stage=np.zeros(n_skus, np.int8),
            launch_day=np.zeros(n_skus, np.int64),
            ramp_days=np.ones(n_skus),
            new_start_share=np.ones(n_skus),
            decline_start_day=np.zeros(n_skus, np.int64),
            decline_rate_per_week=np.zeros(n_skus),
        )

    def factor(self, day: int) -> np.ndarray:
        """[skus] float64: the lifecycle multiplier on ``day``."""
        since_launch = day - self.launch_day
        ramp = self.new_start_share + (1.0 - self.new_start_share) * since_launch / self.ramp_days
        new = np.where(since_launch < 0, 0.0, np.minimum(ramp, 1.0))
        weeks_declining = np.maximum(day - self.decline_start_day, 0) / 7.0
        declining = np.exp(-self.decline_rate_per_week * weeks_declining)
        out = np.ones(self.stage.shape)
        out = np.where(self.stage == LifecycleStage.NEW, new, out)
        return np.where(self.stage == LifecycleStage.DECLINING, declining, out)


@dataclass(frozen=True)
class WeatherSpec:
    """Daily temperature of the network's city.

    T(d) = mean_c + amplitude_c·cos(2π(doy − warmest_doy)/365) + a(d), with the
    anomaly a an AR(1): a(d) = phi·a(d−1) + innovation. ``sd_c`` is the
    stationary standard deviation of a (so day 0 starts in the stationary law);
    the innovation's standard deviation is sd_c·sqrt(1 − phi²).

    Attributes:
        mean_c: annual mean temperature, °C.
        amplitude_c: half the summer–winter swing, °C (>= 0).
        warmest_doy: day of the year (1..366) of the seasonal maximum.
        phi: AR(1) persistence, 0 <= phi < 1.
        sd_c: stationary standard deviation of the anomaly, °C (>= 0).
        reference_c: temperature at which the weather factor is 1.
    """

    mean_c: float = 15.0
    amplitude_c: float = 0.0
    warmest_doy: float = 200.0
    phi: float = 0.0
    sd_c: float = 0.0
    reference_c: float = 15.0

    def __post_init__(self) -> None:
        for name in ("mean_c", "reference_c"):
            value = float(getattr(self, name))
            if not math.isfinite(value):
                raise ConfigError(name, getattr(self, name), "a finite number (°C)")
            object.__setattr__(self, name, value)
        amplitude = _finite_at_least(self.amplitude_c, "amplitude_c", 0)
        object.__setattr__(self, "amplitude_c", amplitude)
        object.__setattr__(self, "sd_c", _finite_at_least(self.sd_c, "sd_c", 0))
        phi = _finite_at_least(self.phi, "phi", 0)
        if phi >= 1.0:
            raise ConfigError("phi", self.phi, "0 <= phi < 1 (a stationary anomaly)")
        object.__setattr__(self, "phi", phi)
        doy = float(self.warmest_doy)
        if not 1.0 <= doy <= 366.0:
            raise ConfigError("warmest_doy", self.warmest_doy, "a day of the year in 1..366")
        object.__setattr__(self, "warmest_doy", doy)


@dataclass(frozen=True, eq=False)
class TickGrid:
    """The day's demand ticks and how each store spreads a category's daily demand over them.

    Attributes:
        start_hours: start of each tick, hours after midnight.          [ticks] float64
        length_hours: length of every tick.
        share: share of a day's demand in each tick; sums to 1 over ticks for
            every (store, category); 0 where the store is closed.  [stores, ticks, categories]
    """

    start_hours: np.ndarray
    length_hours: float
    share: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "start_hours", _readonly(self.start_hours, np.float64, name="tick_start_hours")
        )
        object.__setattr__(self, "share", _readonly(self.share, np.float64, name="share"))

    @property
    def n_ticks(self) -> int:
        return int(self.start_hours.shape[0])

    def conditional_share(self) -> np.ndarray:
        """[stores, ticks, categories]: share of tick k among ticks k.. (for splitting
        a known daily total with a chain of binomials). The last tick with a positive
        share gets exactly 1, so the chain always hands out the whole total."""
        tail = np.cumsum(self.share[:, ::-1, :], axis=1)[:, ::-1, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            cond = np.where(tail > 0, self.share / np.where(tail > 0, tail, 1.0), 0.0)
        return np.clip(cond, 0.0, 1.0)


def build_tick_grid(
    network: NetworkSpec,
    hour_of_day: Mapping[Category, tuple[float, ...]],
    tick_length_hours: float | None = 1.0,
) -> TickGrid:
    """The common tick grid of a network and each store's share per tick.

    The grid runs from the earliest opening hour to the latest closing hour over
    all stores, in steps of ``tick_length_hours`` (None = one tick spanning the
    whole span). A tick's weight for a store is the hour profile integrated over
    the part of the tick the store is open, so a store closed for a tick gets 0
    there and half-open ticks get half the hour's weight.

    Args:
        network: the stores and their opening hours; SKU categories decide which
            categories must have a usable profile.
        hour_of_day: 24 weights per category; missing categories are flat.
        tick_length_hours: tick length in hours (> 0), or None for one tick a day.

    Raises:
        ConfigError: bad tick length, a grid that runs past midnight, or a
            profile with no weight within some store's opening hours.
    """
    opens = np.array([s.open_hour for s in network.stores], dtype=np.float64)
    closes = np.array([s.close_hour for s in network.stores], dtype=np.float64)
    first, last = float(opens.min()), float(closes.max())
    span = last - first
    if tick_length_hours is None:
        tick_length_hours = span
    length = float(tick_length_hours)
    if not math.isfinite(length) or length <= 0:
        raise ConfigError("tick_length_hours", tick_length_hours, "a number of hours > 0")
    n_ticks = max(1, math.ceil(span / length - 1e-9))
    if first + n_ticks * length > HOURS_PER_DAY + 1e-9:
        raise ConfigError(
            "tick_length_hours",
            tick_length_hours,
            f"a length whose grid from {first:g}h to {last:g}h ends by 24h",
        )
    starts = first + length * np.arange(n_ticks)

    # Overlap, in hours, of clock hour h with tick k while store s is open.
    hours = np.arange(HOURS_PER_DAY, dtype=np.float64)
    lo = np.maximum.reduce(
        np.broadcast_arrays(hours[None, None, :], starts[None, :, None], opens[:, None, None])
    )
    hi = np.minimum.reduce(
        np.broadcast_arrays(
            hours[None, None, :] + 1.0, starts[None, :, None] + length, closes[:, None, None]
        )
    )
    overlap = np.clip(hi - lo, 0.0, None)  # [stores, ticks, 24]

    profiles = np.ones((N_CATEGORIES, HOURS_PER_DAY))
    for category, weights in hour_of_day.items():
        profiles[int(category)] = np.asarray(weights, dtype=np.float64)
    weight = np.einsum("skh,ch->skc", overlap, profiles)  # [stores, ticks, categories]
    total = weight.sum(axis=1)  # [stores, categories]
    used = np.unique(network.skus.category).astype(np.int64)
    empty = total[:, used] <= 0
    if empty.any():
        store_i, cat_j = np.argwhere(empty)[0]
        store = network.stores[int(store_i)]
        name = Category(int(used[cat_j])).name.lower()
        raise ConfigError(
            f"categories.{name}.hour_of_day",
            hour_of_day.get(Category(int(used[cat_j]))),
            f"24 non-negative weights with a positive sum within every store's opening hours "
            f"(store {store.store_id!r} is open {store.open_hour:g}h-{store.close_hour:g}h)",
        )
    share = weight / np.where(total > 0, total, 1.0)[:, None, :]
    return TickGrid(start_hours=starts, length_hours=length, share=share)


@dataclass(frozen=True, eq=False)
class ParametricDemandSpec:
    """Everything ``ParametricDemand`` needs, resolved against one network.

    Attributes:
        start_date: calendar date of day 0 (gives weekdays and days of the year).
        base_rate_units_per_day: mean demand before any factor. [stores, skus] float64
        profiles: per-category shape; categories not listed use ``CategoryProfile()``.
        tick_length_hours: length of a demand tick; None = one tick a day.
        holidays: dated multipliers.
        promotions: promotions with lift, dip and price.
        events: local events.
        lifecycle: per-SKU lifecycle; None = every SKU mature.
        weather: the temperature model (the default is a constant reference_c:
            no weather effect).
    """

    start_date: dt.date
    base_rate_units_per_day: np.ndarray
    profiles: Mapping[Category, CategoryProfile] = field(default_factory=dict)
    tick_length_hours: float | None = 1.0
    holidays: tuple[Holiday, ...] = ()
    promotions: tuple[Promotion, ...] = ()
    events: tuple[LocalEvent, ...] = ()
    lifecycle: Lifecycle | None = None
    weather: WeatherSpec = field(default_factory=WeatherSpec)

    def __post_init__(self) -> None:
        rate = _readonly(self.base_rate_units_per_day, np.float64, name="base_rate")
        if rate.ndim != 2:
            raise ConfigError("base_rate", rate.shape, "a [stores, skus] array")
        if not (np.isfinite(rate) & (rate >= 0)).all():
            raise ConfigError("base_rate", float(np.nanmin(rate)), "finite rates >= 0 units/day")
        object.__setattr__(self, "base_rate_units_per_day", rate)
        object.__setattr__(self, "profiles", dict(self.profiles))
        object.__setattr__(self, "holidays", tuple(self.holidays))
        object.__setattr__(self, "promotions", tuple(self.promotions))
        object.__setattr__(self, "events", tuple(self.events))

    def profile(self, category: Category) -> CategoryProfile:
        return self.profiles.get(category, _FLAT_PROFILE)


_FLAT_PROFILE = CategoryProfile()


class OnTickGrid:
    """Properties the engine reads from a demand source laid on a ``TickGrid``.

    Subclasses set ``self._grid`` and ``self.start_date``.
    """

    _grid: TickGrid
    start_date: dt.date

    @property
    def tick_start_hours(self) -> np.ndarray:
        return self._grid.start_hours

    @property
    def tick_length_hours(self) -> float:
        return self._grid.length_hours

    @property
    def tick_grid(self) -> TickGrid:
        """The ticks and each store's share of a category's daily demand per tick."""
        return self._grid

    @property
    def start_weekday(self) -> int:
        """Weekday of day 0 (0 = Monday), read by the engine."""
        return self.start_date.weekday()
