"""Build a demand source from a config mapping (a ``configs/demand/*.yaml``).

``build_demand(cfg, network)`` is a pure function of the config and the
network: the blocks (``sim.demand.config_models``, on the shared types of
``sim.validation``) check every value, then the ids are resolved against the
network here. A bad value raises ``ConfigError(field, value, allowed)``
naming the path of the first bad field (``promotions[2].skus[0]``,
``categories.dairy.day_of_week``). Unknown keys are refused too, so a typo
never silently falls back to a default. The schema is written out, key by
key, in the comments of ``configs/demand/city_fresh.yaml``.

The base-rate generator and generated lifecycles use the scenario's own fixed
``seed`` (``np.random.default_rng(seed)``), not the episode seed: they define
the scenario, which is the same in every episode.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sim.demand.base import DemandSource
from sim.demand.config_models import (
    CONFIG_MODELS,
    PARAMETRIC_DISTRIBUTIONS,
    BaseRateGenerator,
    BootstrapConfig,
    DemandKind,
    EventBlock,
    HolidayBlock,
    HourProfile,
    LifecycleBlock,
    ParametricConfig,
    PromotionBlock,
    ReplayConfig,
)
from sim.demand.parametric import ParametricDemand
from sim.demand.spec import (
    CategoryProfile,
    Holiday,
    Lifecycle,
    LifecycleStage,
    LocalEvent,
    ParametricDemandSpec,
    Promotion,
    WeatherSpec,
    build_tick_grid,
)
from sim.enums import Category
from sim.errors import ConfigError
from sim.spec import NetworkSpec
from sim.validation import category_items, enum_value, lookup, plain, under, validate

__all__ = ["PARAMETRIC_DISTRIBUTIONS", "DemandKind", "build_demand", "parametric_spec"]

_LIFECYCLE_DEFAULTS = {
    "launch_day": 0,
    "ramp_days": 28.0,
    "new_start_share": 0.2,
    "decline_start_day": 0,
    "decline_rate_per_week": 0.1,
}


def build_demand(
    cfg: Mapping[str, Any], network: NetworkSpec, *, base_dir: Path | None = None
) -> DemandSource:
    """The demand source a config describes, validated against ``network``.

    Args:
        cfg: a plain mapping or a Hydra/OmegaConf ``DictConfig`` with ``kind`` in
            parametric, replay, bootstrap.
        network: stores and SKUs the ids refer to.
        base_dir: folder that relative ``sales_table`` paths start from (default:
            the current directory).

    Raises:
        ConfigError: naming the field, the value and what is allowed.
        SalesTableError: a sales table with bad rows (``on_bad_rows: raise``).
    """
    cfg = plain(cfg)
    if not isinstance(cfg, Mapping):
        raise ConfigError("demand", cfg, "a mapping")
    kind = enum_value(DemandKind, cfg.get("kind"), "kind")
    config = validate(CONFIG_MODELS[kind], cfg)
    if isinstance(config, ParametricConfig):
        return ParametricDemand(_parametric_spec(config, network), network)
    return _table_demand(config, network, base_dir)


def parametric_spec(cfg: Mapping[str, Any], network: NetworkSpec) -> ParametricDemandSpec:
    """The validated parameters of a ``kind: parametric`` config (without building
    the model), e.g. to inspect generated base rates."""
    cfg = plain(cfg)
    if not isinstance(cfg, Mapping):
        raise ConfigError("demand", cfg, "a mapping")
    return _parametric_spec(validate(ParametricConfig, {"kind": "parametric", **cfg}), network)


# -- parametric ---------------------------------------------------------------------


def _parametric_spec(config: ParametricConfig, network: NetworkSpec) -> ParametricDemandSpec:
    start = config.start_date
    skus = {sku: j for j, sku in enumerate(network.skus.ids)}
    stores = {s.store_id: i for i, s in enumerate(network.stores)}
    promotions = tuple(
        _promotion(p, f"promotions[{i}]", skus, stores, start)
        for i, p in enumerate(config.promotions)
    )
    events = tuple(
        _event(e, f"events[{i}]", network, stores, start) for i, e in enumerate(config.events)
    )
    holidays = tuple(_holiday(h, f"holidays[{i}]") for i, h in enumerate(config.holidays))
    with under("weather"):
        weather = WeatherSpec(**config.weather.model_dump(exclude_none=True))
    return ParametricDemandSpec(
        start_date=start,
        base_rate_units_per_day=_base_rate(config, network, stores, skus),
        profiles=_profiles(config.default_category, config.categories),
        tick_length_hours=config.tick_length_hours,
        holidays=holidays,
        promotions=promotions,
        events=events,
        lifecycle=_lifecycle(config.lifecycle, network, skus),
        weather=weather,
    )


def _base_rate(
    config: ParametricConfig,
    network: NetworkSpec,
    stores: Mapping[str, int],
    skus: Mapping[str, int],
) -> np.ndarray:
    """[stores, skus] units/day: generated, or a default, then explicit overrides."""
    if config.base_rate_generator is not None:
        rate = _generated_rates(config.base_rate_generator, network)
    else:
        rate = np.full((network.n_stores, network.n_skus), config.base_rate_default or 0.0)
    for store_id, per_sku in config.base_rate.items():
        field = f"base_rate.{store_id}"
        i = lookup(store_id, field, stores, "store")
        for sku_id, value in per_sku.items():
            rate[i, lookup(sku_id, f"{field}.{sku_id}", skus, "SKU")] = value
    return rate


def _generated_rates(generator: BaseRateGenerator, network: NetworkSpec) -> np.ndarray:
    """Lognormal rates: store scale × category median, with a share of the SKU's
    log-deviation common to all stores (a popular SKU is popular everywhere)."""
    median = np.ones(len(Category))
    sigma = np.zeros(len(Category))
    given = category_items(generator.by_category)
    for c, _, params in given:
        median[c], sigma[c] = params.median, params.sigma
    named = {c for c, _, _ in given}
    missing = [
        Category(int(c)).name.lower()
        for c in np.unique(network.skus.category)
        if Category(int(c)) not in named
    ]
    if missing:
        raise ConfigError(
            "base_rate_generator.by_category",
            sorted(generator.by_category),
            f"an entry for every category of the network's SKUs (missing: {', '.join(missing)})",
        )
    scale = generator.store_scale
    store_median, store_sigma = (1.0, 0.0) if scale is None else (scale.median, scale.sigma)
    common = generator.sku_common_share

    # Draw everything in a fixed order and shape, whatever the config lists, so a
    # change to one category's median never reshuffles the others.
    rng = np.random.default_rng(generator.seed)
    n_stores, n_skus = network.n_stores, network.n_skus
    z_store_sku = rng.standard_normal((n_stores, n_skus))
    z_sku = rng.standard_normal(n_skus)
    z_store = rng.standard_normal(n_stores)
    cat = network.skus.category.astype(np.int64)
    z = math.sqrt(common) * z_sku[None, :] + math.sqrt(1.0 - common) * z_store_sku
    log_rate = np.log(median[cat])[None, :] + sigma[cat][None, :] * z
    store_scale = store_median * np.exp(store_sigma * z_store)
    return store_scale[:, None] * np.exp(log_rate)


def _profiles(
    default: HourProfile, categories: Mapping[str, HourProfile]
) -> dict[Category, CategoryProfile]:
    """Per-category profiles: a category's own keys over ``default_category``'s."""
    given = {c: (f"categories.{key}", entry) for c, key, entry in category_items(categories)}
    profiles = {}
    for c in Category:
        field, entry = given.get(c, ("default_category", None))
        merged = _fields_set(default) | (_fields_set(entry) if entry is not None else {})
        with under(field):
            profiles[c] = CategoryProfile(**_profile_kwargs(merged))
    return profiles


def _fields_set(block: HourProfile) -> dict[str, Any]:
    return {key: getattr(block, key) for key in block.model_fields_set}


def _profile_kwargs(fields: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for key in ("day_of_week", "hour_of_day", "elasticity", "distribution"):
        if key in fields:
            kwargs[key] = fields[key]
    if "seasonality" in fields:
        kwargs["seasonal_amplitude"] = fields["seasonality"].amplitude
        kwargs["seasonal_peak_doy"] = fields["seasonality"].peak_doy
    if "dispersion" in fields:
        kwargs["dispersion_k"] = fields["dispersion"]
    return kwargs


def _holiday(block: HolidayBlock, field: str) -> Holiday:
    with under(field):
        return Holiday(
            date=block.date,
            multiplier=block.multiplier,
            categories=None if block.categories is None else tuple(block.categories),
        )


def _start_day(block: PromotionBlock | EventBlock, start: dt.date) -> int:
    if block.start_day is not None:
        return block.start_day
    assert block.start_date is not None  # one of the two (checked by the block)
    return (block.start_date - start).days


def _promotion(
    block: PromotionBlock,
    field: str,
    skus: Mapping[str, int],
    stores: Mapping[str, int],
    start: dt.date,
) -> Promotion:
    with under(field):
        return Promotion(
            name=block.name,
            sku_index=_indices(block.skus, f"{field}.skus", skus, "SKU"),
            store_index=_store_indices(block.stores, f"{field}.stores", stores),
            start_day=_start_day(block, start),
            days=block.days,
            lift=block.lift,
            dip=block.dip,
            dip_days=block.dip_days,
            price_multiplier=1.0 - block.discount,
            start_hour=block.start_hour,
            end_hour=block.end_hour,
        )


def _event(
    block: EventBlock,
    field: str,
    network: NetworkSpec,
    stores: Mapping[str, int],
    start: dt.date,
) -> LocalEvent:
    index = _store_indices(block.stores, f"{field}.stores", stores)
    with under(field):
        return LocalEvent(
            name=block.name,
            store_index=np.arange(network.n_stores) if index is None else index,
            start_day=_start_day(block, start),
            days=block.days,
            multiplier=block.multiplier,
            categories=None if block.categories is None else tuple(block.categories),
        )


def _indices(value: Any, field: str, known: Mapping[str, int], what: str) -> np.ndarray:
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(field, value, f"a non-empty list of {what} ids")
    index = [lookup(v, f"{field}[{k}]", known, what) for k, v in enumerate(value)]
    return np.unique(np.array(index, dtype=np.int64))


def _store_indices(value: Any, field: str, stores: Mapping[str, int]) -> np.ndarray | None:
    """Store ids to indices; None or "all" means every store."""
    if value is None or (isinstance(value, str) and value.lower() == "all"):
        return None
    return _indices(value, field, stores, "store")


def _lifecycle(
    block: LifecycleBlock | None, network: NetworkSpec, skus: Mapping[str, int]
) -> Lifecycle | None:
    """Per-SKU stages: generated shares per category, then explicit ``skus`` overrides."""
    if block is None:
        return None
    defaults = _LIFECYCLE_DEFAULTS | block.defaults.model_dump(exclude_none=True)
    n = network.n_skus
    stage = np.full(n, int(LifecycleStage.MATURE), dtype=np.int8)
    arrays = {key: np.full(n, float(value)) for key, value in defaults.items()}
    if block.generated is not None:
        rng = np.random.default_rng(block.generated.seed)
        uniform = rng.random(n)  # one draw per SKU, in catalogue order
        cat = network.skus.category.astype(np.int64)
        for c, _, shares in category_items(block.generated.by_category):
            new, declining = shares.new_share, shares.declining_share
            in_cat = cat == int(c)
            stage[in_cat & (uniform < declining)] = LifecycleStage.DECLINING
            stage[in_cat & (uniform >= declining) & (uniform < declining + new)] = (
                LifecycleStage.NEW
            )
    for sku_id, params in block.skus.items():
        j = lookup(sku_id, f"lifecycle.skus.{sku_id}", skus, "SKU")
        stage[j] = params.stage
        for key, value in params.model_dump(exclude_none=True, exclude={"stage"}).items():
            arrays[key][j] = value
    with under("lifecycle"):
        return Lifecycle(stage=stage, **arrays)


# -- sales tables -------------------------------------------------------------------


def _table_demand(
    config: ReplayConfig, network: NetworkSpec, base_dir: Path | None
) -> DemandSource:
    # pandas comes with the sales table, not with every simulation (see sim.demand)
    from sim.demand.sales_table import (
        BootstrapDemand,
        ReplayDemand,
        load_sales_table,
        report_rejected,
    )

    profiles = _profiles(config.default_category, config.categories)
    path = config.sales_table
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.is_file():
        raise ConfigError("sales_table", str(path), "an existing .csv or .parquet file")
    hours = {c: p.hour_of_day for c, p in profiles.items()}
    grid = build_tick_grid(network, hours, config.tick_length_hours)
    table = load_sales_table(path, network, on_bad_rows=config.on_bad_rows)
    # on_bad_rows: report keeps the good rows; the others go to a file beside the table
    report_rejected(table, path.with_name(path.name + ".rejected.csv"))
    if isinstance(config, BootstrapConfig):
        return BootstrapDemand(table, network, grid, start_date=config.start_date)
    return ReplayDemand(table, network, grid)
