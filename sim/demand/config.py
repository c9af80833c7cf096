"""Build a demand source from a config mapping (a ``configs/demand/*.yaml``).

``build_demand(cfg, network)`` is a pure function of the config and the
network: it validates every field against the network and raises
``ConfigError(field, value, allowed)`` naming the path of the first bad field
(``promotions[2].skus[0]``, ``categories.dairy.day_of_week``). Unknown keys are
refused too, so a typo never silently falls back to a default. The schema is
written out, key by key, in the comments of ``configs/demand/city_fresh.yaml``.

The base-rate generator and generated lifecycles use the scenario's own fixed
``seed`` (``np.random.default_rng(seed)``), not the episode seed: they define
the scenario, which is the same in every episode.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from sim.demand.base import DemandSource
from sim.demand.parametric import ParametricDemand
from sim.demand.sales_table import BootstrapDemand, ReplayDemand, load_sales_table
from sim.demand.spec import (
    DAYS_PER_WEEK,
    HOURS_PER_DAY,
    BadRowPolicy,
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
from sim.enums import Category, DemandDistribution
from sim.errors import ConfigError
from sim.spec import NetworkSpec

# the parametric model draws per tick; rounded-Gamma demand is the stationary
# single-SKU source's (sim.demand.stationary) and is not offered here
PARAMETRIC_DISTRIBUTIONS = (DemandDistribution.POISSON, DemandDistribution.NEGATIVE_BINOMIAL)

E = TypeVar("E", bound=Enum)


class DemandKind(Enum):
    """Which demand model a config builds."""

    PARAMETRIC = "parametric"
    REPLAY = "replay"
    BOOTSTRAP = "bootstrap"


_COMMON_KEYS = {"kind", "name", "tick_length_hours", "categories", "default_category"}
_PARAMETRIC_KEYS = _COMMON_KEYS | {
    "start_date",
    "base_rate",
    "base_rate_default",
    "base_rate_generator",
    "holidays",
    "promotions",
    "events",
    "lifecycle",
    "weather",
}
_REPLAY_KEYS = _COMMON_KEYS | {"sales_table", "on_bad_rows"}
_BOOTSTRAP_KEYS = _REPLAY_KEYS | {"start_date"}
_PROFILE_KEYS = {
    "day_of_week",
    "hour_of_day",
    "seasonality",
    "elasticity",
    "distribution",
    "dispersion",
}
_LIFECYCLE_FIELDS = (
    "launch_day",
    "ramp_days",
    "new_start_share",
    "decline_start_day",
    "decline_rate_per_week",
)
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
    cfg = _plain(cfg)
    _mapping(cfg, "demand")
    kind = _enum(cfg.get("kind"), "kind", DemandKind)
    if kind is DemandKind.PARAMETRIC:
        _keys(cfg, "", _PARAMETRIC_KEYS, required=("start_date",))
        return ParametricDemand(_parametric_spec(cfg, network), network)
    _keys(
        cfg,
        "",
        _BOOTSTRAP_KEYS if kind is DemandKind.BOOTSTRAP else _REPLAY_KEYS,
        required=("sales_table",),
    )
    return _table_demand(cfg, kind, network, base_dir)


def parametric_spec(cfg: Mapping[str, Any], network: NetworkSpec) -> ParametricDemandSpec:
    """The validated parameters of a ``kind: parametric`` config (without building
    the model), e.g. to inspect generated base rates."""
    cfg = _plain(cfg)
    _mapping(cfg, "demand")
    _keys(cfg, "", _PARAMETRIC_KEYS, required=("start_date",))
    return _parametric_spec(cfg, network)


# -- parametric ---------------------------------------------------------------------


def _parametric_spec(cfg: dict[str, Any], network: NetworkSpec) -> ParametricDemandSpec:
    start_date = _date(cfg["start_date"], "start_date")
    promotions = tuple(
        _promotion(p, f"promotions[{i}]", network, start_date)
        for i, p in enumerate(_list(cfg.get("promotions", []), "promotions"))
    )
    events = tuple(
        _event(e, f"events[{i}]", network, start_date)
        for i, e in enumerate(_list(cfg.get("events", []), "events"))
    )
    holidays = tuple(
        _holiday(h, f"holidays[{i}]")
        for i, h in enumerate(_list(cfg.get("holidays", []), "holidays"))
    )
    with _under("weather"):
        weather_cfg = _mapping(cfg.get("weather", {}), "weather")
        _keys(
            weather_cfg,
            "weather",
            {"mean_c", "amplitude_c", "warmest_doy", "phi", "sd_c", "reference_c"},
        )
        weather = WeatherSpec(**{k: _number(v, f"weather.{k}") for k, v in weather_cfg.items()})
    return ParametricDemandSpec(
        start_date=start_date,
        base_rate_units_per_day=_base_rate(cfg, network),
        profiles=_profiles(cfg, full=True),
        tick_length_hours=_tick_length(cfg),
        holidays=holidays,
        promotions=promotions,
        events=events,
        lifecycle=_lifecycle(cfg.get("lifecycle"), network),
        weather=weather,
    )


def _base_rate(cfg: dict[str, Any], network: NetworkSpec) -> np.ndarray:
    """[stores, skus] units/day: generated, or a default, then explicit overrides."""
    shape = (network.n_stores, network.n_skus)
    generator = cfg.get("base_rate_generator")
    if generator is not None and "base_rate_default" in cfg:
        raise ConfigError(
            "base_rate_default",
            cfg["base_rate_default"],
            "either base_rate_default or base_rate_generator, not both",
        )
    if generator is None and "base_rate_default" not in cfg and "base_rate" not in cfg:
        raise ConfigError(
            "base_rate", None, "base_rate (with base_rate_default) or base_rate_generator"
        )
    if generator is not None:
        rate = _generated_rates(generator, network)
    else:
        default = _number(cfg.get("base_rate_default", 0.0), "base_rate_default", low=0.0)
        rate = np.full(shape, default)
    stores = {s.store_id: i for i, s in enumerate(network.stores)}
    skus = {sku: j for j, sku in enumerate(network.skus.ids)}
    explicit = _mapping(cfg.get("base_rate", {}), "base_rate")
    for store_id, per_sku in explicit.items():
        field = f"base_rate.{store_id}"
        i = _lookup(store_id, field, stores, "a store id")
        for sku_id, value in _mapping(per_sku, field).items():
            j = _lookup(sku_id, f"{field}.{sku_id}", skus, "a SKU id")
            rate[i, j] = _number(value, f"{field}.{sku_id}", low=0.0)
    return rate


def _generated_rates(generator: Any, network: NetworkSpec) -> np.ndarray:
    """Lognormal rates: store scale × category median, with a share of the SKU's
    log-deviation common to all stores (a popular SKU is popular everywhere)."""
    field = "base_rate_generator"
    gen_cfg = _mapping(generator, field)
    _keys(
        gen_cfg,
        field,
        {"by_category", "store_scale", "sku_common_share", "seed"},
        required=("by_category", "seed"),
    )
    seed = _integer(gen_cfg["seed"], f"{field}.seed", low=0)
    common = _number(
        gen_cfg.get("sku_common_share", 0.0), f"{field}.sku_common_share", low=0.0, high=1.0
    )
    median = np.ones(len(Category))
    sigma = np.zeros(len(Category))
    by_category = _mapping(gen_cfg["by_category"], f"{field}.by_category")
    for name, params in by_category.items():
        c = _category(name, f"{field}.by_category.{name}")
        sub = f"{field}.by_category.{name}"
        median[c], sigma[c] = _lognormal(params, sub)
    used = np.unique(network.skus.category)
    missing = [
        Category(int(c)).name.lower()
        for c in used
        if Category(int(c)).name.lower() not in {str(k).lower() for k in by_category}
    ]
    if missing:
        raise ConfigError(
            f"{field}.by_category",
            sorted(by_category),
            f"an entry for every category of the network's SKUs (missing: {', '.join(missing)})",
        )
    store_median, store_sigma = (1.0, 0.0)
    if "store_scale" in gen_cfg:
        store_median, store_sigma = _lognormal(gen_cfg["store_scale"], f"{field}.store_scale")

    # Draw everything in a fixed order and shape, whatever the config lists, so a
    # change to one category's median never reshuffles the others.
    rng = np.random.default_rng(seed)
    n_stores, n_skus = network.n_stores, network.n_skus
    z_store_sku = rng.standard_normal((n_stores, n_skus))
    z_sku = rng.standard_normal(n_skus)
    z_store = rng.standard_normal(n_stores)
    cat = network.skus.category.astype(np.int64)
    z = math.sqrt(common) * z_sku[None, :] + math.sqrt(1.0 - common) * z_store_sku
    log_rate = np.log(median[cat])[None, :] + sigma[cat][None, :] * z
    store_scale = store_median * np.exp(store_sigma * z_store)
    return store_scale[:, None] * np.exp(log_rate)


def _lognormal(params: Any, field: str) -> tuple[float, float]:
    params = _mapping(params, field)
    _keys(params, field, {"median", "sigma"}, required=("median",))
    median = _number(params["median"], f"{field}.median", low=0.0, strict=True)
    sigma = _number(params.get("sigma", 0.0), f"{field}.sigma", low=0.0)
    return median, sigma


def _profiles(cfg: dict[str, Any], *, full: bool) -> dict[Category, CategoryProfile]:
    """Per-category profiles; ``full=False`` accepts only ``hour_of_day`` (tables)."""
    allowed = _PROFILE_KEYS if full else {"hour_of_day"}
    default_cfg = _mapping(cfg.get("default_category", {}), "default_category")
    _keys(default_cfg, "default_category", allowed)
    categories = _mapping(cfg.get("categories", {}), "categories")
    given: dict[Category, tuple[str, dict[str, Any]]] = {}
    for name, entry in categories.items():
        field = f"categories.{name}"
        c = _category(name, field)
        entry = _mapping(entry, field)
        _keys(entry, field, allowed)
        given[c] = (field, entry)
    profiles = {}
    for c in Category:
        field, entry = given.get(c, ("default_category", {}))
        merged = {**default_cfg, **entry}
        profiles[c] = _profile(merged, field)
    return profiles


def _profile(entry: dict[str, Any], field: str) -> CategoryProfile:
    kwargs: dict[str, Any] = {}
    if "day_of_week" in entry:
        kwargs["day_of_week"] = _numbers(
            entry["day_of_week"],
            f"{field}.day_of_week",
            DAYS_PER_WEEK,
            "7 non-negative multipliers, Monday first",
        )
    if "hour_of_day" in entry:
        kwargs["hour_of_day"] = _numbers(
            entry["hour_of_day"],
            f"{field}.hour_of_day",
            HOURS_PER_DAY,
            "24 non-negative weights, hour 0 first",
        )
    if "seasonality" in entry:
        season = _mapping(entry["seasonality"], f"{field}.seasonality")
        _keys(season, f"{field}.seasonality", {"amplitude", "peak_doy"})
        kwargs["seasonal_amplitude"] = _number(
            season.get("amplitude", 0.0), f"{field}.seasonality.amplitude"
        )
        kwargs["seasonal_peak_doy"] = _number(
            season.get("peak_doy", 1), f"{field}.seasonality.peak_doy"
        )
    if "elasticity" in entry:
        kwargs["elasticity"] = _number(entry["elasticity"], f"{field}.elasticity", low=0.0)
    if "distribution" in entry:
        kwargs["distribution"] = _enum(
            entry["distribution"],
            f"{field}.distribution",
            DemandDistribution,
            PARAMETRIC_DISTRIBUTIONS,
        )
    if "dispersion" in entry:
        kwargs["dispersion_k"] = _number(
            entry["dispersion"], f"{field}.dispersion", low=0.0, strict=True
        )
    with _under(field):
        return CategoryProfile(**kwargs)


def _tick_length(cfg: dict[str, Any]) -> float | None:
    value = cfg.get("tick_length_hours", 1.0)
    if value is None:
        return None
    return _number(value, "tick_length_hours", low=0.0, strict=True)


def _holiday(entry: Any, field: str) -> Holiday:
    entry = _mapping(entry, field)
    _keys(
        entry, field, {"date", "multiplier", "categories", "name"}, required=("date", "multiplier")
    )
    with _under(field):
        return Holiday(
            date=_date(entry["date"], f"{field}.date"),
            multiplier=_number(entry["multiplier"], f"{field}.multiplier", low=0.0),
            categories=_categories(entry.get("categories"), f"{field}.categories"),
        )


def _promotion(entry: Any, field: str, network: NetworkSpec, start: dt.date) -> Promotion:
    entry = _mapping(entry, field)
    _keys(
        entry,
        field,
        {
            "name",
            "skus",
            "stores",
            "start_day",
            "start_date",
            "days",
            "lift",
            "dip",
            "dip_days",
            "discount",
        },
        required=("skus", "days", "lift"),
    )
    skus = {sku: j for j, sku in enumerate(network.skus.ids)}
    discount = _number(entry.get("discount", 0.0), f"{field}.discount", low=0.0)
    if discount >= 1.0:
        raise ConfigError(
            f"{field}.discount",
            entry["discount"],
            "a share in [0, 1): 0.2 = 20 % off the regular price",
        )
    with _under(field):
        return Promotion(
            name=str(entry.get("name", "")),
            sku_index=_indices(entry["skus"], f"{field}.skus", skus, "a SKU id"),
            store_index=_store_indices(entry.get("stores"), f"{field}.stores", network),
            start_day=_start_day(entry, field, start),
            days=_integer(entry["days"], f"{field}.days", low=1),
            lift=_number(entry["lift"], f"{field}.lift", low=0.0),
            dip=_number(entry.get("dip", 1.0), f"{field}.dip", low=0.0),
            dip_days=_integer(entry.get("dip_days", 0), f"{field}.dip_days", low=0),
            price_multiplier=1.0 - discount,
        )


def _event(entry: Any, field: str, network: NetworkSpec, start: dt.date) -> LocalEvent:
    entry = _mapping(entry, field)
    _keys(
        entry,
        field,
        {"name", "stores", "start_day", "start_date", "days", "multiplier", "categories"},
        required=("stores", "days", "multiplier"),
    )
    stores = _store_indices(entry["stores"], f"{field}.stores", network)
    if stores is None:
        stores = np.arange(network.n_stores)
    with _under(field):
        return LocalEvent(
            name=str(entry.get("name", "")),
            store_index=stores,
            start_day=_start_day(entry, field, start),
            days=_integer(entry["days"], f"{field}.days", low=1),
            multiplier=_number(entry["multiplier"], f"{field}.multiplier", low=0.0),
            categories=_categories(entry.get("categories"), f"{field}.categories"),
        )


def _start_day(entry: dict[str, Any], field: str, start: dt.date) -> int:
    """A start given as a day index (``start_day``) or a date (``start_date``)."""
    if ("start_day" in entry) == ("start_date" in entry):
        raise ConfigError(
            f"{field}.start_day",
            entry.get("start_day", entry.get("start_date")),
            "exactly one of start_day (day index >= 0) or start_date (ISO date)",
        )
    if "start_day" in entry:
        return _integer(entry["start_day"], f"{field}.start_day", low=0)
    return (_date(entry["start_date"], f"{field}.start_date") - start).days


def _lifecycle(entry: Any, network: NetworkSpec) -> Lifecycle | None:
    """Per-SKU stages: generated shares per category, then explicit ``skus`` overrides."""
    if entry is None:
        return None
    field = "lifecycle"
    entry = _mapping(entry, field)
    _keys(entry, field, {"defaults", "skus", "generated"})
    defaults = dict(_LIFECYCLE_DEFAULTS)
    given = _mapping(entry.get("defaults", {}), f"{field}.defaults")
    _keys(given, f"{field}.defaults", set(_LIFECYCLE_FIELDS))
    for key, value in given.items():
        defaults[key] = value
    n = network.n_skus
    stage = np.full(n, int(LifecycleStage.MATURE), dtype=np.int8)
    arrays = {
        key: np.full(n, _number(defaults[key], f"{field}.defaults.{key}"))
        for key in _LIFECYCLE_FIELDS
    }

    if "generated" in entry:
        sub = f"{field}.generated"
        gen_cfg = _mapping(entry["generated"], sub)
        _keys(gen_cfg, sub, {"seed", "by_category"}, required=("seed", "by_category"))
        rng = np.random.default_rng(_integer(gen_cfg["seed"], f"{sub}.seed", low=0))
        uniform = rng.random(n)  # one draw per SKU, in catalogue order
        cat = network.skus.category.astype(np.int64)
        for name, shares in _mapping(gen_cfg["by_category"], f"{sub}.by_category").items():
            cfield = f"{sub}.by_category.{name}"
            c = _category(name, cfield)
            shares = _mapping(shares, cfield)
            _keys(shares, cfield, {"new_share", "declining_share"})
            new = _number(shares.get("new_share", 0.0), f"{cfield}.new_share", low=0, high=1)
            declining = _number(
                shares.get("declining_share", 0.0), f"{cfield}.declining_share", low=0, high=1
            )
            if new + declining > 1.0:
                raise ConfigError(cfield, shares, "new_share + declining_share <= 1")
            in_cat = cat == int(c)
            stage[in_cat & (uniform < declining)] = LifecycleStage.DECLINING
            stage[in_cat & (uniform >= declining) & (uniform < declining + new)] = (
                LifecycleStage.NEW
            )

    skus = {sku: j for j, sku in enumerate(network.skus.ids)}
    for sku_id, params in _mapping(entry.get("skus", {}), f"{field}.skus").items():
        sub = f"{field}.skus.{sku_id}"
        j = _lookup(sku_id, sub, skus, "a SKU id")
        params = _mapping(params, sub)
        _keys(params, sub, {"stage", *_LIFECYCLE_FIELDS}, required=("stage",))
        stage[j] = _stage(params["stage"], f"{sub}.stage")
        for key in _LIFECYCLE_FIELDS:
            if key in params:
                arrays[key][j] = _number(params[key], f"{sub}.{key}")
    with _under(field):
        return Lifecycle(stage=stage, **arrays)


def _stage(value: Any, field: str) -> LifecycleStage:
    try:
        return LifecycleStage.parse(value)
    except ValueError:
        raise ConfigError(field, value, ", ".join(s.name.lower() for s in LifecycleStage)) from None


# -- sales tables -------------------------------------------------------------------


def _table_demand(
    cfg: dict[str, Any], kind: DemandKind, network: NetworkSpec, base_dir: Path | None
) -> DemandSource:
    # Cheap checks first: a typo in a profile should not wait for a large table to load.
    profiles = _profiles(cfg, full=False)
    tick_length = _tick_length(cfg)
    start = _date(cfg["start_date"], "start_date") if "start_date" in cfg else None
    path_value = cfg["sales_table"]
    if not isinstance(path_value, str | Path) or not str(path_value):
        raise ConfigError("sales_table", path_value, "a path to a .csv or .parquet file")
    path = Path(path_value)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.is_file():
        raise ConfigError("sales_table", str(path), "an existing .csv or .parquet file")
    policy = _enum(cfg.get("on_bad_rows", BadRowPolicy.RAISE.value), "on_bad_rows", BadRowPolicy)
    grid = build_tick_grid(network, {c: p.hour_of_day for c, p in profiles.items()}, tick_length)
    table = load_sales_table(path, network, on_bad_rows=policy)
    if kind is DemandKind.REPLAY:
        return ReplayDemand(table, network, grid)
    return BootstrapDemand(table, network, grid, start_date=start)


# -- small validators ---------------------------------------------------------------


def _plain(cfg: Any) -> Any:
    """A Hydra/OmegaConf config as plain containers; anything else unchanged."""
    if type(cfg).__module__.startswith("omegaconf"):
        from omegaconf import OmegaConf  # only when given one: sim/ does not need Hydra

        return OmegaConf.to_container(cfg, resolve=True)
    return cfg


@contextmanager
def _under(prefix: str) -> Iterator[None]:
    """Re-raise a dataclass's ConfigError with the config path in front of its field."""
    try:
        yield
    except ConfigError as err:
        if err.field.startswith(prefix):
            raise
        raise ConfigError(f"{prefix}.{err.field}", err.value, err.allowed) from err


def _mapping(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(field or "demand", value, "a mapping")
    return dict(value)


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
        raise ConfigError(field, value, "a list")
    return list(value)


def _keys(
    mapping: Mapping[str, Any], field: str, allowed: set[str], required: tuple[str, ...] = ()
) -> None:
    prefix = f"{field}." if field else ""
    for key in mapping:
        if key not in allowed:
            raise ConfigError(
                f"{prefix}{key}", mapping[key], f"one of the keys {', '.join(sorted(allowed))}"
            )
    for key in required:
        if key not in mapping:
            raise ConfigError(f"{prefix}{key}", None, "a value (required)")


def _number(
    value: Any,
    field: str,
    *,
    low: float | None = None,
    high: float | None = None,
    strict: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(field, value, "a number")
    number = float(value)
    too_low = low is not None and (number <= low if strict else number < low)
    if not math.isfinite(number) or too_low or (high is not None and number > high):
        bounds = []
        if low is not None:
            bounds.append(f"{'>' if strict else '>='} {low:g}")
        if high is not None:
            bounds.append(f"<= {high:g}")
        raise ConfigError(field, value, f"a finite number {' and '.join(bounds)}".strip())
    return number


def _integer(value: Any, field: str, *, low: int | None = None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or (low is not None and value < low)
    ):
        raise ConfigError(field, value, "an integer" + (f" >= {low}" if low is not None else ""))
    return int(value)


def _numbers(value: Any, field: str, length: int, allowed: str) -> tuple[float, ...]:
    values = _list(value, field) if not isinstance(value, str) else None
    if values is None or len(values) != length:
        raise ConfigError(field, value, allowed)
    out = []
    for k, v in enumerate(values):
        out.append(_number(v, f"{field}[{k}]", low=0.0))
    return tuple(out)


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(field, value, "an ISO date YYYY-MM-DD") from None


def _enum(value: Any, field: str, enum_cls: type[E], members: tuple[E, ...] | None = None) -> E:
    allowed = members if members is not None else tuple(enum_cls)
    for member in allowed:
        if value is member or (isinstance(value, str) and value.lower() == str(member.value)):
            return member
    raise ConfigError(field, value, ", ".join(str(m.value) for m in allowed))


def _category(value: Any, field: str) -> Category:
    try:
        return Category.parse(value)
    except ValueError:
        raise ConfigError(field, value, ", ".join(c.name.lower() for c in Category)) from None


def _categories(value: Any, field: str) -> tuple[Category, ...] | None:
    if value is None:
        return None
    return tuple(_category(v, f"{field}[{k}]") for k, v in enumerate(_list(value, field)))


def _lookup(key: Any, field: str, known: Mapping[str, int], what: str) -> int:
    index = known.get(str(key))
    if index is None:
        raise ConfigError(field, key, f"{what} of the network ({_examples(known)})")
    return index


def _examples(known: Mapping[str, int]) -> str:
    ids = list(known)
    shown = ", ".join(ids[:8])
    return f"{shown}, ... {len(ids)} in all" if len(ids) > 8 else shown


def _indices(value: Any, field: str, known: Mapping[str, int], what: str) -> np.ndarray:
    ids = _list(value, field)
    if not ids:
        raise ConfigError(field, value, f"a non-empty list of {what}s")
    index = [_lookup(v, f"{field}[{k}]", known, what) for k, v in enumerate(ids)]
    return np.unique(np.array(index, dtype=np.int64))


def _store_indices(value: Any, field: str, network: NetworkSpec) -> np.ndarray | None:
    """Store ids to indices; None or "all" means every store."""
    if value is None or (isinstance(value, str) and value.lower() == "all"):
        return None
    stores = {s.store_id: i for i, s in enumerate(network.stores)}
    return _indices(value, field, stores, "a store id")
