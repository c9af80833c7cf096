"""Build a validated ``NetworkSpec`` from a network config (YAML via Hydra, or a dict).

``build_network`` checks everything on load and refuses a bad value with
``ConfigError(field, value, allowed)``, ``field`` being the dotted path inside
the network config (``stores[3].dc``, ``skus[12].shelf_life_days``,
``couriers.speed_kmh``). Unknown keys are refused too, so a typo such as
``shelf_lfe_days`` never silently falls back to a default. ``null`` means the
same as leaving a key out (the dataclass default), except for
``shelf_life_days``, where ``null`` is a non-perishable.

Schema (``configs/network/*.yaml``; times are hours of the day in [0, 24),
lead times whole days, money in the chain's currency)::

    name: city_fresh              # optional; build_network(name=...) wins
    description: free text        # optional, ignored

    suppliers:                    # list, at least one
      - id: dairy_co
        lead_time: fixed          # fixed | shifted_poisson | uniform
        lead_time_mean_days: 1    # in [min, max]; fixed: the lead time (whole days);
                                  # uniform: defaults to (min + max) / 2
        lead_time_min_days: 1     # >= 0; fixed: defaults to the mean
        lead_time_max_days: 1     # >= min; fixed: defaults to the mean
        fill_rate: 0.98           # (0, 1]: share of cases delivered
        moq_units: 0              # >= 0, per SKU line
        case_pack_units: null     # >= 1, or null for each SKU's case pack
        order_cutoff_hour: 10
        arrival_hour: 6

    dcs:                          # list, at least one
      - id: DC1
        order_cutoff_hour: 14
        departure_hour: 20        # >= order_cutoff_hour
        delivery_weekdays: [0, 1, 2, 3, 4, 5, 6]   # 0 = Monday; non-empty
        transit_hours_default: 3  # hours to each store it serves ...
        transit_hours: {S01: 2.5} # ... with per-store overrides (store id → hours)
        pick_capacity_units_per_day: 1000000000
        backorder: false
        unlimited_stock: false    # an external vendor: units appear when picked
        truck_cost_per_trip: 0
        replenishment_cover_days: 0   # > 0: the DC orders for itself

    stores:                       # either a list ...
      - id: S01
        x_km: 0.0                 # required, kilometres
        y_km: 0.0
        dc: DC1                   # required: a DC id
        open_hour: 8              # 0 <= open_hour < close_hour <= 24
        close_hour: 22
        restock_hours: [12, 17]   # each in [open_hour, close_hour); the default
                                  # drops the hours outside the opening hours
        issuing: fifo             # fifo | lifo | mixed
        fresh_first_share: 0.0    # [0, 1], used by mixed
        city: city
    stores:                       # ... or generated
      generate:
        seed: 0
        count: 100                # total; cities without a count share the rest evenly
        id_prefix: R              # ids R001, R002, ... numbered across cities
        id_digits: 3
        defaults: {open_hour: 7, close_hour: 22}   # shared store fields
        cities:
          - {name: north, count: 25, centre_km: [0, 0], radius_km: 6, dc: DC1}

    skus:                         # either a list ...
      - id: item
        category: ambient         # leafy_vegetables | fruit | dairy | prepared_meals
                                  # | bakery | ambient (case-insensitive)
        shelf_life_days: null     # >= 1, or null for a non-perishable
        unit_cost: 3.0            # required, >= 0
        price: 8.0                # required, >= 0
        holding_cost_per_unit_day: 0.0
        disposal_cost_per_unit: 0.0
        case_pack: 1              # >= 1
        break_pack: false
        temperature_sensitivity: 0.0   # demand change per °C
        damage_rate: 0.0          # [0, 1)
        supplier: vendor          # a supplier id; optional if there is one supplier
    skus:                         # ... or generated
      generate:
        seed: 0
        id_digits: 4              # ids <id_prefix>-0001, numbered within each category
        count_by_category: {dairy: 40, ambient: 50}
        templates:                # one per category with a count
          dairy:
            id_prefix: DAIRY      # default: the category name in capitals
            shelf_life_days: 14   # >= 1, or null for non-perishable
            unit_cost: [0.8, 3.5] # a value or a uniform range [low, high]
            margin: [0.3, 0.6]    # price = cost × (1 + margin); >= -1
            holding_rate_per_day: 0.001   # holding cost as a share of unit cost
            disposal_cost_per_unit: 0.05
            case_pack: [6, 12]    # one size or a list of sizes to pick from
            break_pack: false
            temperature_sensitivity: 0.0
            damage_rate: [0.0, 0.004]
            supplier: dairy_co

    couriers:                     # optional; absent or null: no transfers
      size: 4                     # >= 1
      acceptance_delay_hours: 0.25
      speed_kmh: 20               # > 0
      detour_factor: 1.3          # >= 1
      cost_per_trip: 4.0
      cost_per_km: 0.6
      capacity_units: 200         # >= 1
      no_show_probability: 0.05   # [0, 1)
      co2_kg_per_km: 0.12

    store_sku:                    # optional; layers applied in this order:
      seed: 0                     # seed of the range draws below
      default: {...}              # every (store, SKU)
      by_category: {dairy: {...}} # the SKUs of a category
      overrides:                  # selected pairs; selectors may be an id or a list
        - {store: A, sku: yogurt_premium, initial_on_hand: 48, initial_age_days: 10}
      blocked: {S05: [MEAL-0001]} # store id → SKUs it may not order
      # Fields of a layer (a value, or a range [low, high] drawn per pair):
      #   shelf_capacity_units (default 20), facings_units (2, <= shelf capacity),
      #   daily_units_hint (1.0: expected sales per day, the unit of "cover"),
      #   initial_days_of_cover (0) or initial_on_hand (units; the later layer wins),
      #   initial_age_days (0; < shelf life where there is stock; non-perishables 0),
      #   recent_sales_units (units sold in the 24 h before t=0; default round(hint)).
      # Blocked pairs get no stock from cover and no default recent sales.

    dc_initial:                   # optional; starting DC stock, age 0
      units: 0                    # for every (DC, SKU) ...
      days_of_cover: 3            # ... or days of its stores' summed daily_units_hint
      overrides: [{dc: DC1, sku: AMB-0001, units: 500}]
"""

from __future__ import annotations

import difflib
import numbers
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

import numpy as np
from omegaconf import DictConfig, ListConfig, OmegaConf

from sim.catalog import (
    STORE_SKU_FIELDS,
    CityTemplate,
    SkuTemplate,
    StoreSkuDraft,
    StoreSkuLayer,
    assemble_store_sku,
    dc_cover_units,
    generate_skus,
    generate_stores,
)
from sim.enums import Category, IssuingRule, LeadTimeDistribution
from sim.errors import ConfigError
from sim.spec import (
    CourierPoolSpec,
    DcSpec,
    NetworkSpec,
    SkuCatalog,
    StoreSkuSpec,
    StoreSpec,
    SupplierSpec,
)

__all__ = ["build_network"]

# Defaults come from the dataclasses themselves, never restated here.
_STORE_DEFAULTS = StoreSpec(store_id="", x_km=0.0, y_km=0.0, dc=0)
_DC_DEFAULTS = DcSpec(dc_id="")
_SUPPLIER_DEFAULTS = SupplierSpec(supplier_id="")
_COURIER_DEFAULTS = CourierPoolSpec()

_ROOT_KEYS = (
    "name",
    "description",
    "suppliers",
    "dcs",
    "stores",
    "skus",
    "couriers",
    "store_sku",
    "dc_initial",
)
_SUPPLIER_KEYS = (
    "id",
    "lead_time",
    "lead_time_mean_days",
    "lead_time_min_days",
    "lead_time_max_days",
    "fill_rate",
    "moq_units",
    "case_pack_units",
    "order_cutoff_hour",
    "arrival_hour",
)
_DC_KEYS = (
    "id",
    "order_cutoff_hour",
    "departure_hour",
    "delivery_weekdays",
    "transit_hours",
    "transit_hours_default",
    "pick_capacity_units_per_day",
    "backorder",
    "unlimited_stock",
    "truck_cost_per_trip",
    "replenishment_cover_days",
)
_STORE_SHARED_KEYS = ("open_hour", "close_hour", "restock_hours", "issuing", "fresh_first_share")
_STORE_KEYS = ("id", "x_km", "y_km", "dc", *_STORE_SHARED_KEYS, "city")
_STORE_GENERATE_KEYS = ("seed", "count", "id_prefix", "id_digits", "defaults", "cities")
_CITY_KEYS = ("name", "count", "centre_km", "radius_km", "dc")
_SKU_KEYS = (
    "id",
    "category",
    "shelf_life_days",
    "unit_cost",
    "price",
    "holding_cost_per_unit_day",
    "disposal_cost_per_unit",
    "case_pack",
    "break_pack",
    "temperature_sensitivity",
    "damage_rate",
    "supplier",
)
_SKU_GENERATE_KEYS = ("seed", "id_digits", "count_by_category", "templates")
_TEMPLATE_KEYS = (
    "id_prefix",
    "shelf_life_days",
    "unit_cost",
    "margin",
    "holding_rate_per_day",
    "disposal_cost_per_unit",
    "case_pack",
    "break_pack",
    "temperature_sensitivity",
    "damage_rate",
    "supplier",
)
_COURIER_KEYS = (
    "size",
    "acceptance_delay_hours",
    "speed_kmh",
    "detour_factor",
    "cost_per_trip",
    "cost_per_km",
    "capacity_units",
    "no_show_probability",
    "co2_kg_per_km",
)
_STORE_SKU_KEYS = ("seed", "default", "by_category", "overrides", "blocked")
_STORE_SKU_SELECTORS = ("store", "sku", "category")
_DC_INITIAL_KEYS = ("units", "days_of_cover", "overrides")

# Built-in store-SKU values, applied before the config's own layers.
_STORE_SKU_BUILTIN: dict[str, float] = {
    "shelf_capacity_units": 20,
    "facings_units": 2,
    "daily_units_hint": 1.0,
    "initial_days_of_cover": 0.0,
    "initial_age_days": 0,
}

_SHELF_LIFE_ALLOWED = "an integer >= 1, or null for a non-perishable"
_HOUR = {"low": 0.0, "high": 24.0, "high_open": True}

E = TypeVar("E", bound=Enum)


def build_network(cfg: Mapping[str, Any] | DictConfig, *, name: str | None = None) -> NetworkSpec:
    """Validate a network config and build the frozen ``NetworkSpec``.

    Args:
        cfg: the network config (the schema in this module's docstring), as a
            Hydra/OmegaConf ``DictConfig`` or plain mappings and lists.
        name: the scenario name; defaults to the config's ``name``, then "network".

    Returns:
        The network, with SKUs and stores in config order (generated SKUs by
        category in the order of ``count_by_category``).

    Raises:
        ConfigError: the first refused value, naming its dotted path and what
            is allowed.
    """
    root = _Map(_to_plain(cfg), "", _ROOT_KEYS, required=("suppliers", "dcs", "stores", "skus"))
    network_name = name if name is not None else root.string("name", default="network")

    suppliers = _parse_suppliers(root.value["suppliers"], root.field("suppliers"))
    supplier_ids = [s.supplier_id for s in suppliers]
    dc_drafts = _parse_dcs(root.value["dcs"], root.field("dcs"))
    dc_ids = [d["dc_id"] for d, _ in dc_drafts]
    stores = _parse_stores(root.value["stores"], root.field("stores"), dc_ids)
    dcs = tuple(_finish_dc(draft, m, stores, i) for i, (draft, m) in enumerate(dc_drafts))
    skus = _parse_skus(root.value["skus"], root.field("skus"), supplier_ids)
    couriers = _parse_couriers(root.get("couriers"), root.field("couriers"))

    draft = _parse_store_sku(root.get("store_sku", {}), root.field("store_sku"), stores, skus)
    store_sku = _finish_store_sku(draft, stores, skus)
    dc_initial = _parse_dc_initial(
        root.get("dc_initial", {}), root.field("dc_initial"), dcs, stores, skus, draft
    )
    return NetworkSpec(
        name=network_name,
        skus=skus,
        stores=stores,
        dcs=dcs,
        suppliers=suppliers,
        couriers=couriers,
        store_sku=store_sku,
        dc_initial_on_hand=dc_initial,
    )


# --------------------------------------------------------------------------------------
# Value checks: each returns the parsed value or raises ConfigError naming the field.


_MISSING: Any = object()


def _to_plain(value: Any) -> Any:
    """OmegaConf containers → plain dicts and lists (interpolations resolved)."""
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    if isinstance(value, Mapping):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_plain(v) for v in value]
    return value


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _show(ids: Iterable[str], limit: int = 20) -> str:
    """A readable, bounded list of ids for an error message."""
    ids = list(ids)
    shown = ", ".join(ids[:limit])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > limit else "")


def _interval(
    low: float | None,
    high: float | None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> str:
    kind = "an integer" if integer else "a number"
    if low is not None and high is not None:
        return f"{kind} in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{kind} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{kind} {'<' if high_open else '<='} {high:g}"
    return f"a finite {kind.split()[1]}"


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _number(
    value: Any,
    field: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allowed: str | None = None,
) -> float:
    text = allowed or _interval(low, high, low_open=low_open, high_open=high_open)
    if not _is_real(value) or not np.isfinite(float(value)):
        raise ConfigError(field, value, text)
    number = float(value)
    if low is not None and (number < low or (low_open and number == low)):
        raise ConfigError(field, value, text)
    if high is not None and (number > high or (high_open and number == high)):
        raise ConfigError(field, value, text)
    return number


def _integer(
    value: Any,
    field: str,
    *,
    low: int | None = None,
    high: int | None = None,
    allowed: str | None = None,
) -> int:
    text = allowed or _interval(low, high, integer=True)
    if not _is_real(value) or not float(value).is_integer():
        raise ConfigError(field, value, text)
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ConfigError(field, value, text)
    return number


def _boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ConfigError(field, value, "true or false")
    return bool(value)


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(field, value, "a non-empty string")
    return value


def _enum(value: Any, field: str, enum_cls: type[E]) -> E:
    """Parse an enum by value or name, case-insensitively."""
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        for member in enum_cls:
            if value.lower() in (str(member.value).lower(), member.name.lower()):
                return member
    raise ConfigError(field, value, "one of " + ", ".join(str(m.value) for m in enum_cls))


def _category(value: Any, field: str) -> Category:
    if not isinstance(value, str):
        # Category.parse also takes integers; configs must name the category.
        raise ConfigError(field, value, "one of " + ", ".join(c.name.lower() for c in Category))
    try:
        return Category.parse(value)
    except ValueError:
        raise ConfigError(
            field, value, "one of " + ", ".join(c.name.lower() for c in Category)
        ) from None


def _range(
    value: Any,
    field: str,
    *,
    low: float | None = None,
    high: float | None = None,
    high_open: bool = False,
    integer: bool = False,
) -> tuple[float, float]:
    """A value or a range ``[low, high]``; returned as ``(low, high)``."""
    one = _interval(low, high, high_open=high_open, integer=integer)
    check = _integer if integer else _number
    bounds: dict[str, Any] = {"low": low, "high": high, "allowed": f"{one}, or a range [low, high]"}
    if not integer:
        bounds["high_open"] = high_open
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise ConfigError(field, value, f"a range [low, high] of two values, each {one}")
        lo = check(value[0], f"{field}[0]", **bounds)
        hi = check(value[1], f"{field}[1]", **bounds)
        if lo > hi:
            raise ConfigError(field, value, f"a range [low, high] with low <= high, each {one}")
        return float(lo), float(hi)
    single = check(value, field, **bounds)
    return float(single), float(single)


def _list(value: Any, field: str, what: str, *, nonempty: bool = True) -> list[Any]:
    if not isinstance(value, list | tuple) or (nonempty and not value):
        raise ConfigError(field, value, f"a {'non-empty ' if nonempty else ''}list of {what}")
    return list(value)


def _lookup(value: Any, field: str, index: Mapping[str, int], what: str) -> int:
    """Index of a known id, or ConfigError listing the known ids."""
    if not isinstance(value, str) or value not in index:
        raise ConfigError(field, value, f"one of the {what} ids: {_show(index)}")
    return index[value]


def _lookup_many(value: Any, field: str, index: Mapping[str, int], what: str) -> np.ndarray:
    """Indices of one id or a list of ids."""
    if isinstance(value, list | tuple):
        found = [_lookup(v, f"{field}[{i}]", index, what) for i, v in enumerate(value)]
    else:
        found = [_lookup(value, field, index, what)]
    return np.array(found, dtype=np.int64)


def _unique(ids: Iterable[str], path: str, key: str = "id") -> dict[str, int]:
    """id → position, refusing the second use of an id."""
    index: dict[str, int] = {}
    for i, item_id in enumerate(ids):
        if item_id in index:
            raise ConfigError(
                f"{path}[{i}].{key}",
                item_id,
                f"a unique id (already used by {path}[{index[item_id]}])",
            )
        index[item_id] = i
    return index


class _Map:
    """A config mapping with its dotted path: refuses unknown and missing keys.

    Args:
        value: the mapping.
        path: its dotted path ("" for the root).
        allowed: the keys it may have.
        required: the keys it must have (``null`` counts as missing).
    """

    def __init__(
        self, value: Any, path: str, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> None:
        if not isinstance(value, Mapping):
            raise ConfigError(
                path or "<network>", value, "a mapping with keys " + ", ".join(allowed)
            )
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                guess = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ConfigError(
                    _join(path, key), key, "one of the keys " + ", ".join(allowed) + guess
                )
        for key in required:
            if value.get(key) is None:
                raise ConfigError(_join(path, key), None, f"a value for the required key {key!r}")
        self.value = value
        self.path = path

    def field(self, key: str) -> str:
        return _join(self.path, key)

    def __contains__(self, key: str) -> bool:
        return self.value.get(key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        value = self.value.get(key)
        return default if value is None else value

    def _value(self, key: str, default: Any, allowed: str) -> Any:
        value = self.value.get(key)
        if value is None:
            if default is _MISSING:
                raise ConfigError(self.field(key), None, f"{allowed} (required)")
            return default
        return value

    def number(self, key: str, default: Any = _MISSING, **bounds: Any) -> float:
        value = self._value(key, default, _interval(bounds.get("low"), bounds.get("high")))
        return _number(value, self.field(key), **bounds)

    def integer(self, key: str, default: Any = _MISSING, **bounds: Any) -> int:
        text = _interval(bounds.get("low"), bounds.get("high"), integer=True)
        return _integer(self._value(key, default, text), self.field(key), **bounds)

    def boolean(self, key: str, default: bool) -> bool:
        return _boolean(self._value(key, default, "true or false"), self.field(key))

    def string(self, key: str, default: Any = _MISSING) -> str:
        return _string(self._value(key, default, "a non-empty string"), self.field(key))

    def enum(self, key: str, enum_cls: type[E], default: E) -> E:
        return _enum(self._value(key, default, ""), self.field(key), enum_cls)


# --------------------------------------------------------------------------------------
# Nodes.


def _parse_suppliers(value: Any, path: str) -> tuple[SupplierSpec, ...]:
    items = _list(value, path, "suppliers")
    maps = [
        _Map(item, f"{path}[{i}]", _SUPPLIER_KEYS, required=("id",)) for i, item in enumerate(items)
    ]
    _unique((m.string("id") for m in maps), path)
    return tuple(_parse_supplier(m) for m in maps)


def _parse_supplier(m: _Map) -> SupplierSpec:
    d = _SUPPLIER_DEFAULTS
    kind = m.enum("lead_time", LeadTimeDistribution, d.lead_time)
    if kind is LeadTimeDistribution.FIXED:
        mean: float = m.integer(
            "lead_time_mean_days",
            d.lead_time_mean_days,
            low=0,
            allowed="a whole number of days >= 0 (a fixed lead time)",
        )
        # A fixed lead time is its own minimum and maximum unless they are given.
        low = m.integer("lead_time_min_days", mean, low=0)
        high = m.integer("lead_time_max_days", mean, low=0)
    else:
        low = m.integer("lead_time_min_days", d.lead_time_min_days, low=0)
        high = m.integer("lead_time_max_days", d.lead_time_max_days, low=0)
        # A uniform lead time's mean follows from its bounds; keep it consistent.
        uniform = kind is LeadTimeDistribution.UNIFORM
        default_mean = (low + high) / 2 if uniform else d.lead_time_mean_days
        mean = m.number("lead_time_mean_days", default_mean, low=0.0)
    if low > high:
        raise ConfigError(
            m.field("lead_time_min_days"), low, f"an integer <= lead_time_max_days ({high})"
        )
    if not low <= mean <= high:
        raise ConfigError(
            m.field("lead_time_mean_days"),
            mean,
            f"a number in [lead_time_min_days, lead_time_max_days] = [{low}, {high}]",
        )
    case_pack = m.get("case_pack_units")
    return SupplierSpec(
        supplier_id=m.string("id"),
        lead_time=kind,
        lead_time_mean_days=float(mean),
        lead_time_min_days=low,
        lead_time_max_days=high,
        fill_rate=m.number("fill_rate", d.fill_rate, low=0.0, high=1.0, low_open=True),
        moq_units=m.integer("moq_units", d.moq_units, low=0),
        case_pack_units=None
        if case_pack is None
        else _integer(
            case_pack, m.field("case_pack_units"), low=1, allowed="an integer >= 1, or null"
        ),
        order_cutoff_hour=m.number("order_cutoff_hour", d.order_cutoff_hour, **_HOUR),
        arrival_hour=m.number("arrival_hour", d.arrival_hour, **_HOUR),
    )


def _parse_dcs(value: Any, path: str) -> list[tuple[dict[str, Any], _Map]]:
    """The DCs' own fields; transit hours wait for the stores (``_finish_dc``)."""
    items = _list(value, path, "distribution centres")
    maps = [_Map(item, f"{path}[{i}]", _DC_KEYS, required=("id",)) for i, item in enumerate(items)]
    _unique((m.string("id") for m in maps), path)
    return [(_parse_dc_fields(m), m) for m in maps]


def _parse_dc_fields(m: _Map) -> dict[str, Any]:
    d = _DC_DEFAULTS
    cutoff = m.number("order_cutoff_hour", d.order_cutoff_hour, **_HOUR)
    departure = m.number("departure_hour", d.departure_hour, **_HOUR)
    if departure < cutoff:
        raise ConfigError(
            m.field("departure_hour"),
            departure,
            f"an hour in [order_cutoff_hour ({cutoff:g}), 24): trucks leave after the cut-off",
        )
    weekdays_allowed = "a non-empty list of distinct weekdays 0..6 (0 = Monday)"
    weekdays_raw = m.get("delivery_weekdays", list(d.delivery_weekdays))
    weekdays = [
        _integer(w, f"{m.field('delivery_weekdays')}[{i}]", low=0, high=6)
        for i, w in enumerate(_list(weekdays_raw, m.field("delivery_weekdays"), "weekdays 0..6"))
    ]
    if len(set(weekdays)) != len(weekdays):
        raise ConfigError(m.field("delivery_weekdays"), weekdays_raw, weekdays_allowed)
    return {
        "dc_id": m.string("id"),
        "order_cutoff_hour": cutoff,
        "departure_hour": departure,
        "delivery_weekdays": tuple(sorted(weekdays)),
        "pick_capacity_units_per_day": m.integer(
            "pick_capacity_units_per_day", d.pick_capacity_units_per_day, low=1
        ),
        "backorder": m.boolean("backorder", d.backorder),
        "unlimited_stock": m.boolean("unlimited_stock", d.unlimited_stock),
        "truck_cost_per_trip": m.number("truck_cost_per_trip", d.truck_cost_per_trip, low=0.0),
        "replenishment_cover_days": m.number(
            "replenishment_cover_days", d.replenishment_cover_days, low=0.0
        ),
    }


def _finish_dc(draft: dict[str, Any], m: _Map, stores: Sequence[StoreSpec], dc: int) -> DcSpec:
    """Resolve transit hours: every store the DC serves needs one."""
    store_index = {s.store_id: i for i, s in enumerate(stores)}
    default = None
    if "transit_hours_default" in m:
        default = m.number("transit_hours_default", low=0.0)
    explicit = m.get("transit_hours", {})
    if not isinstance(explicit, Mapping):
        raise ConfigError(m.field("transit_hours"), explicit, "a mapping store id → hours (>= 0)")
    transit: dict[int, float] = {}
    for store_id, hours in explicit.items():
        field = f"{m.field('transit_hours')}.{store_id}"
        index = _lookup(store_id, field, store_index, "store")
        transit[index] = _number(hours, field, low=0.0)
    missing = [i for i, s in enumerate(stores) if s.dc == dc and i not in transit]
    if missing:
        if default is None:
            raise ConfigError(
                m.field("transit_hours"),
                explicit,
                f"hours (>= 0) for every store served by {draft['dc_id']}, or"
                f" transit_hours_default; missing: {_show(stores[i].store_id for i in missing)}",
            )
        transit.update(dict.fromkeys(missing, default))
    return DcSpec(transit_hours=dict(sorted(transit.items())), **draft)


def _parse_stores(value: Any, path: str, dc_ids: Sequence[str]) -> tuple[StoreSpec, ...]:
    dc_index = {dc_id: i for i, dc_id in enumerate(dc_ids)}
    if isinstance(value, Mapping):
        generate = _Map(value, path, ("generate",), required=("generate",))
        return _generate_stores(generate.value["generate"], generate.field("generate"), dc_index)
    items = _list(value, path, "stores (or a mapping with 'generate')")
    maps = [
        _Map(item, f"{path}[{i}]", _STORE_KEYS, required=("id",)) for i, item in enumerate(items)
    ]
    _unique((m.string("id") for m in maps), path)
    stores = []
    for m in maps:
        dc = _lookup(m.get("dc"), m.field("dc"), dc_index, "DC")
        stores.append(
            StoreSpec(
                store_id=m.string("id"),
                x_km=m.number("x_km"),
                y_km=m.number("y_km"),
                dc=dc,
                city=m.string("city", _STORE_DEFAULTS.city),
                **_store_shared_fields(m),
            )
        )
    return tuple(stores)


def _store_shared_fields(m: _Map) -> dict[str, Any]:
    """Opening hours, restocking and issuing: fields a generated store gets from ``defaults``."""
    d = _STORE_DEFAULTS
    open_hour = m.number("open_hour", d.open_hour, low=0.0, high=24.0)
    close_hour = m.number("close_hour", d.close_hour, low=0.0, high=24.0)
    if open_hour >= close_hour:
        raise ConfigError(
            m.field("open_hour"), open_hour, f"an hour in [0, close_hour ({close_hour:g}))"
        )
    if "restock_hours" in m:
        field = m.field("restock_hours")
        restock = tuple(
            _number(
                h,
                f"{field}[{i}]",
                low=open_hour,
                high=close_hour,
                high_open=True,
                allowed=f"an hour within the opening hours [{open_hour:g}, {close_hour:g})",
            )
            for i, h in enumerate(_list(m.value["restock_hours"], field, "hours", nonempty=False))
        )
    else:
        # The default restock times only make sense inside this store's opening hours.
        restock = tuple(h for h in d.restock_hours if open_hour <= h < close_hour)
    return {
        "open_hour": open_hour,
        "close_hour": close_hour,
        "restock_hours": tuple(sorted(restock)),
        "issuing": m.enum("issuing", IssuingRule, d.issuing),
        "fresh_first_share": m.number("fresh_first_share", d.fresh_first_share, low=0.0, high=1.0),
    }


def _generate_stores(value: Any, path: str, dc_index: Mapping[str, int]) -> tuple[StoreSpec, ...]:
    m = _Map(value, path, _STORE_GENERATE_KEYS, required=("cities",))
    city_items = _list(m.value["cities"], m.field("cities"), "cities")
    city_maps = [
        _Map(c, f"{m.field('cities')}[{i}]", _CITY_KEYS, required=("name",))
        for i, c in enumerate(city_items)
    ]
    _unique((c.string("name") for c in city_maps), m.field("cities"), key="name")
    counts = [c.integer("count", None, low=0) if "count" in c else None for c in city_maps]
    given = sum(n for n in counts if n is not None)
    open_cities = [i for i, n in enumerate(counts) if n is None]
    if "count" in m or open_cities:
        total = m.integer("count", low=1)
        if total < given or (not open_cities and total != given):
            raise ConfigError(
                m.field("count"),
                total,
                f"an integer {'>=' if open_cities else '=='} the sum of the cities'"
                f" counts ({given})",
            )
        # The cities without a count share the rest; the first ones get the remainder.
        share, extra = divmod(total - given, len(open_cities) or 1)
        for rank, i in enumerate(open_cities):
            counts[i] = share + (1 if rank < extra else 0)
    cities = []
    for c, count in zip(city_maps, counts, strict=True):
        centre = c.get("centre_km", [0.0, 0.0])
        if not isinstance(centre, list | tuple) or len(centre) != 2:
            raise ConfigError(c.field("centre_km"), centre, "[x_km, y_km]")
        cities.append(
            CityTemplate(
                name=c.string("name"),
                count=int(count or 0),
                centre_km=(
                    _number(centre[0], f"{c.field('centre_km')}[0]"),
                    _number(centre[1], f"{c.field('centre_km')}[1]"),
                ),
                radius_km=c.number("radius_km", 5.0, low=0.0),
                dc=_lookup(c.get("dc"), c.field("dc"), dc_index, "DC"),
            )
        )
    defaults = _Map(m.get("defaults", {}), m.field("defaults"), _STORE_SHARED_KEYS)
    return generate_stores(
        cities,
        seed=m.integer("seed", 0, low=0),
        id_prefix=m.string("id_prefix", "S"),
        id_digits=m.integer("id_digits", 3, low=1),
        store_fields=_store_shared_fields(defaults),
    )


def _parse_couriers(value: Any, path: str) -> CourierPoolSpec | None:
    if value is None:
        return None
    m = _Map(value, path, _COURIER_KEYS)
    d = _COURIER_DEFAULTS
    return CourierPoolSpec(
        size=m.integer("size", d.size, low=1),
        acceptance_delay_hours=m.number(
            "acceptance_delay_hours", d.acceptance_delay_hours, low=0.0
        ),
        speed_kmh=m.number("speed_kmh", d.speed_kmh, low=0.0, low_open=True),
        detour_factor=m.number("detour_factor", d.detour_factor, low=1.0),
        cost_per_trip=m.number("cost_per_trip", d.cost_per_trip, low=0.0),
        cost_per_km=m.number("cost_per_km", d.cost_per_km, low=0.0),
        capacity_units=m.integer("capacity_units", d.capacity_units, low=1),
        no_show_probability=m.number(
            "no_show_probability", d.no_show_probability, low=0.0, high=1.0, high_open=True
        ),
        co2_kg_per_km=m.number("co2_kg_per_km", d.co2_kg_per_km, low=0.0),
    )


# --------------------------------------------------------------------------------------
# SKUs.


def _parse_skus(value: Any, path: str, supplier_ids: Sequence[str]) -> SkuCatalog:
    supplier_index = {s: i for i, s in enumerate(supplier_ids)}
    if isinstance(value, Mapping):
        generate = _Map(value, path, ("generate",), required=("generate",))
        catalog = _generate_skus(
            generate.value["generate"], generate.field("generate"), supplier_index
        )
        # Two templates with one prefix would give two SKUs one id.
        if len(set(catalog.ids)) != catalog.n:
            twice = next(i for i, n in Counter(catalog.ids).items() if n > 1)
            raise ConfigError(
                f"{generate.field('generate')}.templates",
                twice,
                "a distinct id_prefix per category (this id is generated twice)",
            )
        return catalog
    items = _list(value, path, "SKUs (or a mapping with 'generate')")
    required = ("id", "category", "unit_cost", "price")
    maps = [
        _Map(item, f"{path}[{i}]", _SKU_KEYS, required=required) for i, item in enumerate(items)
    ]
    _unique((m.string("id") for m in maps), path)
    columns: dict[str, list[Any]] = {key: [] for key in _SKU_KEYS}
    for m in maps:
        columns["id"].append(m.string("id"))
        columns["category"].append(int(_category(m.value["category"], m.field("category"))))
        columns["shelf_life_days"].append(_shelf_life(m))
        columns["unit_cost"].append(m.number("unit_cost", low=0.0))
        columns["price"].append(m.number("price", low=0.0))
        columns["holding_cost_per_unit_day"].append(
            m.number("holding_cost_per_unit_day", 0.0, low=0.0)
        )
        columns["disposal_cost_per_unit"].append(m.number("disposal_cost_per_unit", 0.0, low=0.0))
        columns["case_pack"].append(m.integer("case_pack", 1, low=1))
        columns["break_pack"].append(m.boolean("break_pack", False))
        columns["temperature_sensitivity"].append(m.number("temperature_sensitivity", 0.0))
        columns["damage_rate"].append(
            m.number("damage_rate", 0.0, low=0.0, high=1.0, high_open=True)
        )
        columns["supplier"].append(_supplier(m, supplier_index))
    ids = columns.pop("id")
    return SkuCatalog(ids=tuple(ids), **{k: np.array(v) for k, v in columns.items()})


def _shelf_life(m: _Map) -> int:
    if "shelf_life_days" not in m:
        return 0  # null: a non-perishable
    return _integer(
        m.value["shelf_life_days"], m.field("shelf_life_days"), low=1, allowed=_SHELF_LIFE_ALLOWED
    )


def _supplier(m: _Map, supplier_index: Mapping[str, int]) -> int:
    if "supplier" not in m and len(supplier_index) == 1:
        return 0  # the only supplier
    return _lookup(m.get("supplier"), m.field("supplier"), supplier_index, "supplier")


def _generate_skus(value: Any, path: str, supplier_index: Mapping[str, int]) -> SkuCatalog:
    m = _Map(value, path, _SKU_GENERATE_KEYS, required=("count_by_category", "templates"))
    counts = _category_mapping(m.value["count_by_category"], m.field("count_by_category"))
    templates = _category_mapping(m.value["templates"], m.field("templates"))
    parsed = []
    for category, (key, raw_count) in counts.items():
        count = _integer(raw_count, f"{m.field('count_by_category')}.{key}", low=0)
        if count == 0:
            continue
        if category not in templates:
            raise ConfigError(
                f"{m.field('templates')}.{category.name.lower()}",
                None,
                "a template for every category with a count in count_by_category",
            )
        template_key, template_value = templates[category]
        template_path = f"{m.field('templates')}.{template_key}"
        parsed.append(
            _parse_template(template_value, template_path, category, count, supplier_index)
        )
    return generate_skus(
        parsed, seed=m.integer("seed", 0, low=0), id_digits=m.integer("id_digits", 4, low=1)
    )


def _category_mapping(value: Any, path: str) -> dict[Category, tuple[str, Any]]:
    """{category name: value} → {Category: (key as written, value)}, names case-insensitive."""
    if not isinstance(value, Mapping):
        raise ConfigError(path, value, "a mapping category name → value")
    out: dict[Category, tuple[str, Any]] = {}
    for key, item in value.items():
        category = _category(key, _join(path, key))
        if category in out:
            raise ConfigError(_join(path, key), key, "each category at most once")
        out[category] = (str(key), item)
    return out


def _parse_template(
    value: Any, path: str, category: Category, count: int, supplier_index: Mapping[str, int]
) -> SkuTemplate:
    m = _Map(value, path, _TEMPLATE_KEYS, required=("unit_cost",))
    case_pack = m.get("case_pack", 1)
    case_field = m.field("case_pack")
    choices = [
        _integer(
            c,
            f"{case_field}[{i}]" if isinstance(case_pack, list | tuple) else case_field,
            low=1,
            allowed="an integer >= 1, or a list of them",
        )
        for i, c in enumerate(
            _list(case_pack, case_field, "case sizes")
            if isinstance(case_pack, list | tuple)
            else [case_pack]
        )
    ]

    def rng_field(key: str, default: float, **bounds: Any) -> tuple[float, float]:
        return _range(m.get(key, default), m.field(key), **bounds)

    return SkuTemplate(
        category=category,
        count=count,
        id_prefix=m.string("id_prefix", category.name),
        shelf_life_days=_shelf_life(m),
        unit_cost=_range(m.value["unit_cost"], m.field("unit_cost"), low=0.0),
        # A margin below -1 would make the price negative.
        margin=rng_field("margin", 0.3, low=-1.0),
        holding_rate_per_day=rng_field("holding_rate_per_day", 0.0007, low=0.0, high=1.0),
        disposal_cost_per_unit=rng_field("disposal_cost_per_unit", 0.0, low=0.0),
        case_pack_choices=tuple(choices),
        break_pack=m.boolean("break_pack", False),
        temperature_sensitivity=rng_field("temperature_sensitivity", 0.0),
        damage_rate=rng_field("damage_rate", 0.0, low=0.0, high=1.0, high_open=True),
        supplier=_supplier(m, supplier_index),
    )


# --------------------------------------------------------------------------------------
# Per-(store, SKU) parameters and starting stock.


def _parse_store_sku(
    value: Any, path: str, stores: Sequence[StoreSpec], skus: SkuCatalog
) -> StoreSkuDraft:
    m = _Map(value, path, _STORE_SKU_KEYS)
    store_index = {s.store_id: i for i, s in enumerate(stores)}
    sku_index = {sku_id: i for i, sku_id in enumerate(skus.ids)}
    layers = [StoreSkuLayer(path=path, stores=None, skus=None, values=_STORE_SKU_BUILTIN)]
    if "default" in m:
        layers.append(
            StoreSkuLayer(
                m.field("default"),
                None,
                None,
                _layer_values(
                    _Map(m.value["default"], m.field("default"), tuple(STORE_SKU_FIELDS))
                ),
            )
        )
    for category, (key, item) in _category_mapping(
        m.get("by_category", {}), m.field("by_category")
    ).items():
        layer_path = f"{m.field('by_category')}.{key}"
        columns = np.flatnonzero(skus.category == int(category))
        values = _layer_values(_Map(item, layer_path, tuple(STORE_SKU_FIELDS)))
        layers.append(StoreSkuLayer(layer_path, None, columns, values))
    overrides = _list(m.get("overrides", []), m.field("overrides"), "overrides", nonempty=False)
    for i, item in enumerate(overrides):
        layer_path = f"{m.field('overrides')}[{i}]"
        o = _Map(item, layer_path, (*_STORE_SKU_SELECTORS, *STORE_SKU_FIELDS))
        rows = columns = None
        if "store" in o:
            rows = _lookup_many(o.value["store"], o.field("store"), store_index, "store")
        if "sku" in o:
            columns = _lookup_many(o.value["sku"], o.field("sku"), sku_index, "SKU")
        if "category" in o:
            raw = o.value["category"]
            field = o.field("category")
            wanted = (
                [int(_category(c, f"{field}[{j}]")) for j, c in enumerate(raw)]
                if isinstance(raw, list | tuple)
                else [int(_category(raw, field))]
            )
            in_category = np.flatnonzero(np.isin(skus.category, wanted))
            columns = in_category if columns is None else np.intersect1d(columns, in_category)
        fields = {k: v for k, v in o.value.items() if k not in _STORE_SKU_SELECTORS}
        values = _layer_values(_Map(fields, layer_path, tuple(STORE_SKU_FIELDS)))
        layers.append(StoreSkuLayer(layer_path, rows, columns, values))
    blocked = _parse_blocked(
        m.get("blocked", {}), m.field("blocked"), store_index, sku_index, (len(stores), skus.n)
    )
    return assemble_store_sku(layers, blocked, seed=m.integer("seed", 0, low=0))


def _layer_values(m: _Map) -> dict[str, float | tuple[float, float]]:
    """A layer's fields: each a value or a range [low, high], all >= 0."""
    if "initial_on_hand" in m and "initial_days_of_cover" in m:
        raise ConfigError(
            m.field("initial_on_hand"),
            m.value["initial_on_hand"],
            "either initial_on_hand or initial_days_of_cover in one layer, not both",
        )
    values: dict[str, float | tuple[float, float]] = {}
    for name, integer in STORE_SKU_FIELDS.items():
        if name in m:
            low, high = _range(m.value[name], m.field(name), low=0.0, integer=integer)
            values[name] = low if low == high else (low, high)
    return values


def _parse_blocked(
    value: Any,
    path: str,
    store_index: Mapping[str, int],
    sku_index: Mapping[str, int],
    shape: tuple[int, int],
) -> np.ndarray:
    if not isinstance(value, Mapping):
        raise ConfigError(path, value, "a mapping store id → list of SKU ids")
    blocked = np.zeros(shape, dtype=np.bool_)
    for store_id, sku_ids in value.items():
        field = _join(path, store_id)
        row = _lookup(store_id, field, store_index, "store")
        items = _list(sku_ids, field, "SKU ids", nonempty=False)
        blocked[row, _lookup_many(items, field, sku_index, "SKU")] = True
    return blocked


def _finish_store_sku(
    draft: StoreSkuDraft, stores: Sequence[StoreSpec], skus: SkuCatalog
) -> StoreSkuSpec:
    """Cross-field checks on the assembled arrays, naming the layer that set the bad value."""
    values, source = draft.values, draft.source
    too_many = values["facings_units"] > values["shelf_capacity_units"]
    if too_many.any():
        s, k = np.argwhere(too_many)[0]
        facings_layer = int(source["facings_units"][s, k])
        capacity_layer = int(source["shelf_capacity_units"][s, k])
        facings = int(values["facings_units"][s, k])
        capacity = int(values["shelf_capacity_units"][s, k])
        where = f"store {stores[s].store_id!r}, SKU {skus.ids[k]!r}"
        if facings_layer >= capacity_layer:
            raise ConfigError(
                f"{draft.layers[facings_layer].path}.facings_units",
                facings,
                f"at most shelf_capacity_units ({capacity} for {where})",
            )
        raise ConfigError(
            f"{draft.layers[capacity_layer].path}.shelf_capacity_units",
            capacity,
            f"at least facings_units ({facings} for {where})",
        )
    spec = draft.to_spec(skus.shelf_life_days)
    life = skus.shelf_life_days[None, :]
    too_old = (spec.initial_on_hand > 0) & (life > 0) & (spec.initial_age_days >= life)
    if too_old.any():
        s, k = np.argwhere(too_old)[0]
        layer = int(source["initial_age_days"][s, k])
        raise ConfigError(
            f"{draft.layers[layer].path}.initial_age_days",
            int(spec.initial_age_days[s, k]),
            f"an age in 0..{int(life[0, k]) - 1} (shelf life {int(life[0, k])} days of SKU "
            f"{skus.ids[k]!r}, stocked at store {stores[s].store_id!r})",
        )
    return spec


def _parse_dc_initial(
    value: Any,
    path: str,
    dcs: Sequence[DcSpec],
    stores: Sequence[StoreSpec],
    skus: SkuCatalog,
    draft: StoreSkuDraft,
) -> np.ndarray:
    m = _Map(value, path, _DC_INITIAL_KEYS)
    if "units" in m and "days_of_cover" in m:
        raise ConfigError(
            m.field("units"), m.value["units"], "either units or days_of_cover, not both"
        )
    shape = (len(dcs), skus.n)
    if "days_of_cover" in m:
        store_dc = np.array([s.dc for s in stores], dtype=np.int64)
        units = dc_cover_units(
            draft.daily_units_hint,
            draft.blocked,
            store_dc,
            len(dcs),
            m.number("days_of_cover", low=0.0),
        )
    else:
        units = np.full(shape, m.integer("units", 0, low=0), dtype=np.int64)
    dc_index = {d.dc_id: i for i, d in enumerate(dcs)}
    sku_index = {sku_id: i for i, sku_id in enumerate(skus.ids)}
    overrides = _list(m.get("overrides", []), m.field("overrides"), "overrides", nonempty=False)
    for i, item in enumerate(overrides):
        o = _Map(item, f"{m.field('overrides')}[{i}]", ("dc", "sku", "units"), required=("units",))
        rows: Any = slice(None)
        columns: Any = slice(None)
        if "dc" in o:
            rows = _lookup_many(o.value["dc"], o.field("dc"), dc_index, "DC")
        if "sku" in o:
            columns = _lookup_many(o.value["sku"], o.field("sku"), sku_index, "SKU")
        region = np.ix_(rows, columns) if "dc" in o and "sku" in o else (rows, columns)
        units[region] = o.integer("units", low=0)
    return units
