"""Parametric demand: a rate per store-SKU-day times calendar, price, weather,
event and lifecycle factors, split over the day's ticks, drawn Poisson or
negative binomial.

Mean units of store s, SKU j (category c) on day d::

    base_rate[s, j]
      × day_of_week[c, weekday(d)]
      × seasonality[c](doy(d))              1 + a_c·cos(2π(doy − peak_c)/365)
      × holiday[c](date(d))                 product of the multipliers dated d
      × promotion[s, j](d)                  lift while on, dip for dip_days after
      × price[s, j]                         (price_multiplier · promo price)^(−elasticity_c)
      × temperature[j](d)                   exp(sensitivity_j · (T(d) − reference_c))
      × local_event[s, c](d)
      × lifecycle[j](d)                     ramp for NEW, exp decay for DECLINING

That mean is split over the ticks by the category's hour-of-day profile
restricted to the store's opening hours (the shares sum to 1, so the daily mean
is preserved). Poisson categories draw each (store, tick, SKU) Poisson. Negative
binomial categories first draw one gamma multiplier G ~ Gamma(k, 1/k) per
store-SKU-day, then Poisson ticks with mean G·mean·share: the day's total is then
exactly NB(n=k, p=k/(k+mean)) (variance mean + mean²/k, what numpy's
``negative_binomial`` draws) and its split over ticks is multinomial, so the
dispersion does not depend on the tick length.

Cost: everything that does not change per day (tick shares per SKU, category
parameters per SKU) is computed once; per-day factor vectors are cached; the
day's tick means are written into a reused buffer. A day then costs one
``[stores, skus]`` product, one ``[stores, ticks, skus]`` product and the draw.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from sim.demand.base import check_out, store_units
from sim.demand.spec import (
    N_CATEGORIES,
    OnTickGrid,
    ParametricDemandSpec,
    Promotion,
    build_tick_grid,
)
from sim.demand.weather import WeatherModel, annual_cycle
from sim.enums import Category, DemandDistribution, Stream
from sim.errors import ActionError, ConfigError
from sim.rng import RandomStreams
from sim.spec import NetworkSpec

FACTOR_NAMES: tuple[str, ...] = (
    "base_rate",
    "day_of_week",
    "seasonality",
    "holiday",
    "promotion",
    "price",
    "temperature",
    "local_event",
    "lifecycle",
)
_DAYS_CACHED = 16
_BLOCK_CELLS = 1 << 20  # tick means drawn per block of stores: 8 MB of float64


@dataclass(frozen=True)
class _Window:
    """A promotion's hours on the tick grid (see ``ParametricDemand._window``)."""

    ticks: np.ndarray
    other_ticks: np.ndarray
    stores: np.ndarray  # ascending
    share: np.ndarray  # [stores, promotion skus]


@dataclass(frozen=True, eq=False)
class _DayFactors:
    """Price-independent factors of one (seed, day); None = 1 everywhere."""

    temperature_c: float
    per_sku: dict[str, np.ndarray]  # [skus] each
    sku_product: np.ndarray  # [skus]: product of per_sku
    promotion: np.ndarray | None  # [stores, skus]
    promo_price: np.ndarray | None  # [stores, skus]
    local_event: np.ndarray | None  # [stores, skus]


class ParametricDemand(OnTickGrid):
    """Demand from configured rates and factors (implements ``DemandSource``).

    Args:
        spec: the parameters, resolved against ``network``.
        network: the network (stores' opening hours, SKU categories and
            temperature sensitivities).

    Raises:
        ConfigError: parameters that do not fit the network.
    """

    def __init__(self, spec: ParametricDemandSpec, network: NetworkSpec) -> None:
        n_stores, n_skus = network.n_stores, network.n_skus
        if spec.base_rate_units_per_day.shape != (n_stores, n_skus):
            raise ConfigError(
                "base_rate",
                spec.base_rate_units_per_day.shape,
                f"shape ({n_stores}, {n_skus}) [stores, skus]",
            )
        _check_indices(spec, n_stores, n_skus)
        if spec.lifecycle is not None and spec.lifecycle.stage.shape != (n_skus,):
            raise ConfigError("lifecycle", spec.lifecycle.stage.shape, f"shape ({n_skus},)")
        self.spec = spec
        self.network = network
        self.start_date = spec.start_date
        self._shape = (n_stores, n_skus)
        self._category = network.skus.category.astype(np.int64)  # [skus]
        self._sensitivity = network.skus.temperature_sensitivity  # [skus] 1/°C
        self._base = spec.base_rate_units_per_day
        self._weather = WeatherModel(spec.weather, spec.start_date)
        self._grid = build_tick_grid(
            network, {c: p.hour_of_day for c, p in spec.profiles.items()}, spec.tick_length_hours
        )

        profiles = [spec.profile(Category(c)) for c in range(N_CATEGORIES)]
        self._dow = np.array([p.day_of_week for p in profiles])  # [categories, 7]
        self._season_amplitude = np.array([p.seasonal_amplitude for p in profiles])
        self._season_peak_doy = np.array([p.seasonal_peak_doy for p in profiles])
        self._elasticity_sku = np.array([p.elasticity for p in profiles])[self._category]
        negative_binomial = np.array(
            [p.distribution is DemandDistribution.NEGATIVE_BINOMIAL for p in profiles]
        )
        dispersion = np.array([p.dispersion_k or 1.0 for p in profiles])
        self._nb_columns = np.flatnonzero(negative_binomial[self._category])  # [nb skus]
        self._nb_k = dispersion[self._category][self._nb_columns]  # [nb skus]

        # Holidays: date -> per-category multiplier; several on one date multiply.
        self._holidays: dict[dt.date, np.ndarray] = {}
        for holiday in spec.holidays:
            mult = self._holidays.setdefault(holiday.date, np.ones(N_CATEGORIES))
            cats = range(N_CATEGORIES) if holiday.categories is None else holiday.categories
            for c in cats:
                mult[int(c)] *= holiday.multiplier

        # Events restricted to categories act on those SKUs only.
        self._event_columns = [
            None
            if e.categories is None
            else np.flatnonzero(np.isin(self._category, [int(c) for c in e.categories]))
            for e in spec.events
        ]

        # Tick shares per SKU. Stores with the same opening hours share one
        # pattern, so this is [patterns, ticks, skus], not [stores, ticks, skus].
        flat = self._grid.share.reshape(n_stores, -1)
        patterns, store_pattern = np.unique(flat, axis=0, return_inverse=True)
        by_pattern = patterns.reshape(len(patterns), self._grid.n_ticks, N_CATEGORIES)
        self._share_by_pattern = np.ascontiguousarray(by_pattern[:, :, self._category])
        self._store_pattern = store_pattern.ravel()  # [stores] index into _share_by_pattern
        # Tick means and draws go a block of stores at a time: the float64 means
        # of the whole day ([stores, ticks, skus], 120 MB on regional_chain)
        # never exist at once. Poisson draws consume the stream element by
        # element in C order, so drawing consecutive blocks of rows gives the
        # same units, bit for bit, as one draw over the whole array.
        row_cells = max(1, self._grid.n_ticks * n_skus)
        self._block_stores = max(1, min(n_stores, _BLOCK_CELLS // row_cells))
        # Who draws from which generator: the whole chain from the day's demand
        # stream, or (regional streams, see sim.rng) each region's stores from its own.
        self._draw_groups: list[tuple[str | None, np.ndarray]] = (
            [
                (dc.dc_id, stores)
                for dc, stores in zip(network.dcs, network.dc_store_rows(), strict=True)
            ]
            if network.regional_streams
            else [(None, np.arange(n_stores))]
        )
        self._block_means = np.empty((self._block_stores, self._grid.n_ticks, n_skus))
        # Promotions with hours: their ticks, and the share of each store-SKU's day that
        # falls in them (the day's factor is 1 + (lift - 1) x that share)
        self._windows = {
            i: self._window(promo) for i, promo in enumerate(spec.promotions) if not promo.all_day
        }
        self._windows_today: list[tuple[Promotion, _Window, np.ndarray]] = []
        self._cache: OrderedDict[tuple[int, int], _DayFactors] = OrderedDict()

    # -- DemandSource ---------------------------------------------------------------

    def draw_day(
        self,
        day: int,
        streams: RandomStreams,
        price_multiplier: np.ndarray,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Units demanded on ``day``: [stores, ticks, skus], written into ``out``
        when given (any integer dtype; see ``DemandSource.draw_day``), else int64.

        Uses only ``streams.for_day(Stream.DEMAND, day)`` (each region's own with
        regional streams, see ``sim.rng``) and the weather stream through the
        temperature, so the result depends on (seed, day, prices) only.
        """
        n_stores, n_skus = self._shape
        shape = (n_stores, self._grid.n_ticks, n_skus)
        units = np.empty(shape, dtype=np.int64) if out is None else check_out(out, shape)
        daily = self.expected_daily_units(day, streams, price_multiplier)
        self._windows_today = self._active_windows(day)
        for region, stores in self._draw_groups:
            own = streams if region is None else streams.for_region(region)
            self._draw_stores(own.for_day(Stream.DEMAND, day), daily, stores, units)
        return units

    def _draw_stores(
        self, gen: np.random.Generator, daily: np.ndarray, stores: np.ndarray, units: np.ndarray
    ) -> None:
        """Draw the day of ``stores`` (ascending) from ``gen`` into ``units``: the gamma
        multipliers of negative binomial SKUs first, then Poisson ticks a block of
        stores at a time."""
        if stores.size == 0:
            return
        if self._nb_columns.size:
            k = self._nb_k
            gamma = gen.gamma(shape=k, scale=1.0 / k, size=(stores.size, k.shape[0]))
            daily[np.ix_(stores, self._nb_columns)] *= gamma
        for start in range(0, stores.size, self._block_stores):
            block = stores[start : start + self._block_stores]
            rows = _as_slice(block)
            drawn = gen.poisson(self._tick_means(daily, block))
            if isinstance(rows, slice):
                store_units(units[rows], drawn)
            else:  # not contiguous: units[block] would be a copy, so write through it
                units[block] = store_units(np.empty(drawn.shape, units.dtype), drawn)

    def expected_daily_units(
        self, day: int, streams: RandomStreams, price_multiplier: np.ndarray
    ) -> np.ndarray:
        """[stores, skus] float64: the exact mean units of ``day`` given its realised
        temperature (what an oracle forecaster knows)."""
        factors = self._day_factors(day, streams)
        mean = self._base * factors.sku_product
        if factors.promotion is not None:
            mean *= factors.promotion
        if factors.local_event is not None:
            mean *= factors.local_event
        price = self._price_factor(price_multiplier, factors.promo_price)
        if price is not None:
            mean *= price
        return mean

    # -- for forecasters, the engine and tests -------------------------------------

    def temperature_c(self, day: int, streams: RandomStreams) -> float:
        """The realised temperature of ``day``, °C."""
        return self._weather.temperature_c(day, streams)

    def promotion_price_multiplier(self, day: int) -> np.ndarray:
        """[stores, skus]: promotional price / regular price on ``day`` (1 = no promotion).
        The engine multiplies it into the selling price."""
        price = self._promotion_arrays(day)[1]
        return np.ones(self._shape) if price is None else price.copy()

    def rate_factors(
        self, day: int, streams: RandomStreams, price_multiplier: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Each factor of ``day``'s mean separately, keyed by ``FACTOR_NAMES``.

        Every value is a read-only [stores, skus] float64 array (per-SKU factors
        are broadcast views); their product is ``expected_daily_units``.
        """
        factors = self._day_factors(day, streams)
        price = self._price_factor(price_multiplier, factors.promo_price)
        full = {
            "base_rate": self._base,
            **factors.per_sku,
            "promotion": factors.promotion,
            "price": price,
            "local_event": factors.local_event,
        }
        out = {}
        for name in FACTOR_NAMES:
            value = full[name]
            value = np.ones(1) if value is None else value
            out[name] = np.broadcast_to(value, self._shape)  # read-only view
        return out

    # -- internals ------------------------------------------------------------------

    def _tick_means(self, daily: np.ndarray, stores: np.ndarray) -> np.ndarray:
        """[stores, ticks, skus] mean units per tick of ``stores`` (ascending, at most a
        block): a view of a reused buffer, valid until the next call."""
        out = self._block_means[: stores.size]
        if len(self._share_by_pattern) == 1:
            share = self._share_by_pattern[0][None]
        else:
            share = self._share_by_pattern[self._store_pattern[stores]]
        rows = _as_slice(stores)
        np.multiply(daily[rows, None, :], share, out=out)
        for promo, window, factor in self._windows_today:
            # within the hours the tick carries lift / factor of its share, outside 1 / factor:
            # the day's mean (which has the factor) spreads as the promotion does
            taking = np.isin(stores, window.stores)
            if not taking.any():
                continue
            at = np.flatnonzero(taking)
            rows_of = np.searchsorted(window.stores, stores[at])
            f = factor[np.ix_(window.stores[rows_of], promo.sku_index)][:, None, :]
            inside = np.ix_(at, window.ticks, promo.sku_index)
            outside = np.ix_(at, window.other_ticks, promo.sku_index)
            out[inside] *= promo.lift / f
            out[outside] /= f
        return out

    def _window(self, promo: Promotion) -> _Window:
        """A promotion's ticks (those starting within its hours), its stores and the share
        of each of their SKUs' day in those ticks."""
        start = self._grid.start_hours
        inside = (start >= promo.start_hour) & (start < promo.end_hour)
        stores = np.arange(self._shape[0]) if promo.store_index is None else promo.store_index
        stores = np.unique(stores)
        share = self._share_by_pattern[self._store_pattern[stores]][:, inside, :]
        return _Window(
            ticks=np.flatnonzero(inside),
            other_ticks=np.flatnonzero(~inside),
            stores=stores.astype(np.int64),
            share=share.sum(axis=1)[:, promo.sku_index],  # [promo stores, promo skus]
        )

    def _active_windows(self, day: int) -> list[tuple[Promotion, _Window, np.ndarray]]:
        """The promotions with hours on ``day``, each with its [stores, skus] day factor."""
        out = []
        for i, window in self._windows.items():
            promo = self.spec.promotions[i]
            if promo.active(day):
                out.append((promo, window, self._window_factor(promo, window)))
        return out

    def _window_factor(self, promo: Promotion, window: _Window) -> np.ndarray:
        factor = np.ones(self._shape)
        factor[np.ix_(window.stores, promo.sku_index)] = 1.0 + (promo.lift - 1.0) * window.share
        return factor

    def _price_factor(
        self, price_multiplier: np.ndarray, promo_price: np.ndarray | None
    ) -> np.ndarray | None:
        try:
            price = np.broadcast_to(np.asarray(price_multiplier, dtype=np.float64), self._shape)
        except ValueError:
            raise ActionError(
                f"price_multiplier: shape {np.shape(price_multiplier)}; allowed: {self._shape}"
            ) from None
        if not (np.isfinite(price) & (price > 0)).all():
            raise ActionError("price_multiplier: allowed: finite numbers > 0 (1.0 = regular)")
        if promo_price is not None:
            price = price * promo_price
        if not self._elasticity_sku.any() or (price == 1.0).all():
            return None
        return np.exp(-self._elasticity_sku * np.log(price))

    def _day_factors(self, day: int, streams: RandomStreams) -> _DayFactors:
        if day < 0:
            raise ValueError(f"day: got {day}; allowed: a day index >= 0")
        key = (streams.seed, int(day))
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        date = self.start_date + dt.timedelta(days=int(day))
        cat = self._category
        doy = date.timetuple().tm_yday
        season = np.array(
            [
                1.0 + a * annual_cycle(doy, peak)
                for a, peak in zip(self._season_amplitude, self._season_peak_doy, strict=True)
            ]
        )
        temperature = self._weather.temperature_c(day, streams)
        delta_c = temperature - self.spec.weather.reference_c
        holiday = self._holidays.get(date)
        lifecycle = self.spec.lifecycle
        per_sku = {
            "day_of_week": self._dow[cat, date.weekday()],
            "seasonality": season[cat],
            "holiday": np.ones(cat.shape) if holiday is None else holiday[cat],
            "temperature": np.exp(self._sensitivity * delta_c),
            "lifecycle": np.ones(cat.shape) if lifecycle is None else lifecycle.factor(day),
        }
        for arr in per_sku.values():
            arr.flags.writeable = False
        product = math.prod(per_sku.values())
        promotion, promo_price = self._promotion_arrays(day)
        factors = _DayFactors(
            temperature_c=temperature,
            per_sku=per_sku,
            sku_product=product,
            promotion=promotion,
            promo_price=promo_price,
            local_event=self._event_array(day),
        )
        self._cache[key] = factors
        while len(self._cache) > _DAYS_CACHED:
            self._cache.popitem(last=False)
        return factors

    def _promotion_arrays(self, day: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        lift: np.ndarray | None = None
        price: np.ndarray | None = None
        for i, promo in enumerate(self.spec.promotions):
            if promo.active(day) and not promo.all_day:  # the lift of its hours only
                if lift is None:
                    lift = np.ones(self._shape)
                lift *= self._window_factor(promo, self._windows[i])
                continue
            if promo.active(day):
                multiplier = promo.lift
            elif promo.in_dip(day):
                multiplier = promo.dip
            else:
                continue
            where = _where(promo.store_index, promo.sku_index)
            if lift is None:
                lift = np.ones(self._shape)
            lift[where] *= multiplier
            if promo.active(day) and promo.price_multiplier != 1.0:
                if price is None:
                    price = np.ones(self._shape)
                price[where] *= promo.price_multiplier
        for arr in (lift, price):
            if arr is not None:
                arr.flags.writeable = False
        return lift, price

    def _event_array(self, day: int) -> np.ndarray | None:
        factor: np.ndarray | None = None
        for event, columns in zip(self.spec.events, self._event_columns, strict=True):
            if not event.active(day):
                continue
            if factor is None:
                factor = np.ones(self._shape)
            factor[_where(event.store_index, columns)] *= event.multiplier
        if factor is not None:
            factor.flags.writeable = False
        return factor


def _where(rows: np.ndarray | None, columns: np.ndarray | None) -> tuple[slice | np.ndarray, ...]:
    """An index into [stores, skus] for the block rows × columns (None = all)."""
    if rows is None and columns is None:
        return (slice(None), slice(None))
    if rows is None:
        return (slice(None), columns)
    if columns is None:
        return (rows, slice(None))
    return np.ix_(rows, columns)


def _check_indices(spec: ParametricDemandSpec, n_stores: int, n_skus: int) -> None:
    def check(field: str, index: np.ndarray | None, n: int) -> None:
        if index is not None and index.size and (index.min() < 0 or index.max() >= n):
            raise ConfigError(field, index.tolist(), f"indices in 0..{n - 1}")

    for i, promo in enumerate(spec.promotions):
        check(f"promotions[{i}].skus", promo.sku_index, n_skus)
        check(f"promotions[{i}].stores", promo.store_index, n_stores)
    for i, event in enumerate(spec.events):
        check(f"events[{i}].stores", event.store_index, n_stores)


def _as_slice(index: np.ndarray) -> slice | np.ndarray:
    """A slice when the ascending indices are contiguous (views, no copies), else them."""
    if index.size and index[-1] - index[0] + 1 == index.size:
        return slice(int(index[0]), int(index[-1]) + 1)
    return index
