"""Scenario generation: SKU catalogues, store sites and per-(store, SKU) arrays.

Everything here takes parameters that ``sim.config`` has already validated and
only does the numpy work. All draws come from ``np.random.default_rng`` seeded
with the scenario's own seed (a fixed network, not an episode seed), and each
block of draws gets its own child seed ``[seed, block, ...]``: changing the
number of dairy SKUs does not move the prices of the fruit, and adding an
override does not redraw the shelves set before it.

Work is vectorised over SKUs and over (store, SKU) pairs; Python loops run per
category, per city or per config layer only (a regional chain is 10,000 SKUs ×
100 stores).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.enums import Category
from sim.spec import SkuCatalog, StoreSkuSpec, StoreSpec

# A numeric parameter given either as one value or as a uniform range [low, high].
Range = tuple[float, float]


@dataclass(frozen=True)
class SkuTemplate:
    """How the SKUs of one category are drawn.

    Attributes:
        category: the category of every SKU drawn from this template.
        count: how many SKUs to draw.
        id_prefix: ids are ``f"{id_prefix}-{n:0{id_digits}d}"``, ``n`` from 1.
        shelf_life_days: 0 for non-perishables.
        unit_cost: uniform range of the purchase cost; rounded to cents.
        margin: uniform range of the markup: price = cost × (1 + margin), in cents.
        holding_rate_per_day: uniform range of the holding cost as a share of
            the unit cost per day (0.0007 ≈ 25 % a year).
        disposal_cost_per_unit: uniform range.
        case_pack_choices: case sizes, picked with equal probability.
        break_pack: whether the DC may ship single units.
        temperature_sensitivity: uniform range, demand change per °C.
        damage_rate: uniform range, probability a received unit is damaged.
        supplier: index into the network's suppliers.
    """

    category: Category
    count: int
    id_prefix: str
    shelf_life_days: int
    unit_cost: Range
    margin: Range
    holding_rate_per_day: Range
    disposal_cost_per_unit: Range
    case_pack_choices: tuple[int, ...]
    break_pack: bool
    temperature_sensitivity: Range
    damage_rate: Range
    supplier: int


def sku_ids(prefix: str, count: int, id_digits: int) -> list[str]:
    """``prefix-0001``, ``prefix-0002``, ... (numbered from 1 within the prefix)."""
    return [f"{prefix}-{n:0{id_digits}d}" for n in range(1, count + 1)]


def generate_skus(templates: Sequence[SkuTemplate], *, seed: int, id_digits: int) -> SkuCatalog:
    """Draw a catalogue, category by category, in the order of ``templates``.

    Args:
        templates: one recipe per category (validated).
        seed: the scenario's catalogue seed.
        id_digits: zero-padded width of the SKU number.

    Returns:
        The catalogue; SKUs of one template are contiguous.
    """
    parts: dict[str, list[np.ndarray]] = {name: [] for name in _SKU_ARRAYS}
    ids: list[str] = []
    for template in templates:
        n = template.count
        # One child stream per category: a category's SKUs do not depend on the others.
        rng = np.random.default_rng([seed, int(template.category)])
        unit_cost = np.round(rng.uniform(*template.unit_cost, size=n), 2)
        margin = rng.uniform(*template.margin, size=n)
        holding_rate = rng.uniform(*template.holding_rate_per_day, size=n)
        disposal = rng.uniform(*template.disposal_cost_per_unit, size=n)
        case_pack = rng.choice(np.asarray(template.case_pack_choices, dtype=np.int32), size=n)
        temperature = rng.uniform(*template.temperature_sensitivity, size=n)
        damage = rng.uniform(*template.damage_rate, size=n)

        ids.extend(sku_ids(template.id_prefix, n, id_digits))
        parts["category"].append(np.full(n, int(template.category), dtype=np.int8))
        parts["shelf_life_days"].append(np.full(n, template.shelf_life_days, dtype=np.int32))
        parts["unit_cost"].append(unit_cost)
        parts["price"].append(np.round(unit_cost * (1.0 + margin), 2))
        parts["holding_cost_per_unit_day"].append(unit_cost * holding_rate)
        parts["disposal_cost_per_unit"].append(np.round(disposal, 2))
        parts["case_pack"].append(case_pack)
        parts["break_pack"].append(np.full(n, template.break_pack, dtype=np.bool_))
        parts["temperature_sensitivity"].append(temperature)
        parts["damage_rate"].append(damage)
        parts["supplier"].append(np.full(n, template.supplier, dtype=np.int32))
    arrays = {
        name: np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)
        for (name, chunks), dtype in zip(parts.items(), _SKU_ARRAYS.values(), strict=True)
    }
    return SkuCatalog(ids=tuple(ids), **arrays)


_SKU_ARRAYS: dict[str, type] = {
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


@dataclass(frozen=True)
class CityTemplate:
    """Stores scattered uniformly over a disc.

    Attributes:
        name: the city (couriers serve one city).
        count: stores in this city.
        centre_km: (x, y) of the disc's centre, kilometres.
        radius_km: the disc's radius, kilometres.
        dc: index of the DC serving every store of the city.
    """

    name: str
    count: int
    centre_km: tuple[float, float]
    radius_km: float
    dc: int


def generate_stores(
    cities: Sequence[CityTemplate],
    *,
    seed: int,
    id_prefix: str,
    id_digits: int,
    store_fields: Mapping[str, Any],
) -> tuple[StoreSpec, ...]:
    """Place stores city by city and number them across cities from 1.

    Args:
        cities: validated city recipes.
        seed: the scenario's store-placement seed.
        id_prefix, id_digits: ids are ``f"{id_prefix}{n:0{id_digits}d}"``.
        store_fields: further ``StoreSpec`` fields shared by every store.
    """
    stores: list[StoreSpec] = []
    for city_index, city in enumerate(cities):
        rng = np.random.default_rng([seed, city_index])
        # sqrt makes the density uniform over the disc's area, not its radius.
        radius_km = city.radius_km * np.sqrt(rng.uniform(size=city.count))
        angle = rng.uniform(0.0, 2.0 * np.pi, size=city.count)
        xs_km = np.round(city.centre_km[0] + radius_km * np.cos(angle), 3)
        ys_km = np.round(city.centre_km[1] + radius_km * np.sin(angle), 3)
        for x_km, y_km in zip(xs_km.tolist(), ys_km.tolist(), strict=True):
            number = len(stores) + 1
            stores.append(
                StoreSpec(
                    store_id=f"{id_prefix}{number:0{id_digits}d}",
                    x_km=x_km,
                    y_km=y_km,
                    dc=city.dc,
                    city=city.name,
                    **store_fields,
                )
            )
    return tuple(stores)


# Per-(store, SKU) quantities a config layer may set, and whether they are integers.
STORE_SKU_FIELDS: dict[str, bool] = {
    "shelf_capacity_units": True,
    "facings_units": True,
    "daily_units_hint": False,
    "initial_days_of_cover": False,
    "initial_on_hand": True,
    "initial_age_days": True,
    "recent_sales_units": True,
}


@dataclass(frozen=True)
class StoreSkuLayer:
    """One block of per-(store, SKU) settings; later layers overwrite earlier ones.

    Attributes:
        path: config path of the layer, for error messages.
        stores: store indices it applies to; None for every store.
        skus: SKU indices it applies to; None for every SKU.
        values: field name (``STORE_SKU_FIELDS``) → a value or a uniform range.
            Integer ranges include both ends.
    """

    path: str
    stores: np.ndarray | None
    skus: np.ndarray | None
    values: Mapping[str, float | Range]


@dataclass
class StoreSkuDraft:
    """Per-(store, SKU) arrays before the final checks; all [stores, skus].

    Attributes:
        values: field → array. ``initial_on_hand`` and ``recent_sales_units``
            are NaN where no layer set them (they then follow from the hint).
        source: field → index of the layer that last set each entry.
        blocked: the store may not order the SKU.
        layers: the layers, for naming the source of a bad value.
    """

    values: dict[str, np.ndarray]
    source: dict[str, np.ndarray]
    blocked: np.ndarray
    layers: Sequence[StoreSkuLayer]
    daily_units_hint: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.daily_units_hint = self.values["daily_units_hint"]

    def to_spec(self, shelf_life_days: np.ndarray) -> StoreSkuSpec:
        """Resolve the derived quantities and freeze the arrays.

        Units from ``initial_days_of_cover`` are ``round(cover × hint)``; recent
        sales default to ``round(hint)``; blocked pairs get neither. Ages of
        non-perishables are 0 (they have a single age bucket).
        """
        hint = self.values["daily_units_hint"]
        open_pair = ~self.blocked
        from_cover = np.where(open_pair, np.rint(self.values["initial_days_of_cover"] * hint), 0.0)
        explicit = self.values["initial_on_hand"]
        on_hand = np.where(np.isnan(explicit), from_cover, explicit)
        recent = self.values["recent_sales_units"]
        recent = np.where(np.isnan(recent), np.where(open_pair, np.rint(hint), 0.0), recent)
        age = np.where(shelf_life_days[None, :] > 0, self.values["initial_age_days"], 0)
        return StoreSkuSpec(
            shelf_capacity_units=self.values["shelf_capacity_units"],
            facings_units=self.values["facings_units"],
            blocked=self.blocked,
            initial_on_hand=on_hand,
            initial_age_days=age,
            recent_sales_units=recent,
        )


def assemble_store_sku(
    layers: Sequence[StoreSkuLayer],
    blocked: np.ndarray,
    *,
    seed: int,
) -> StoreSkuDraft:
    """Apply the layers in order to fresh [stores, skus] arrays.

    Args:
        layers: validated layers; the first must cover every field and pair
            (the built-in defaults), except the two NaN-defaulted fields.
        blocked: [stores, skus] bool.
        seed: seed of the range draws; layer ``i``'s field ``j`` draws from
            ``default_rng([seed, i, j])``.
    """
    shape = blocked.shape
    values = {name: np.full(shape, np.nan) for name in STORE_SKU_FIELDS}
    source = {name: np.full(shape, -1, dtype=np.int16) for name in STORE_SKU_FIELDS}
    field_number = {name: j for j, name in enumerate(STORE_SKU_FIELDS)}
    for layer_index, layer in enumerate(layers):
        region, region_shape = _region(layer, shape)
        for name, value in layer.values.items():
            if isinstance(value, tuple):
                rng = np.random.default_rng([seed, layer_index, field_number[name]])
                low, high = value
                if STORE_SKU_FIELDS[name]:
                    drawn = rng.integers(int(low), int(high), size=region_shape, endpoint=True)
                else:
                    drawn = rng.uniform(low, high, size=region_shape)
                values[name][region] = drawn
            else:
                values[name][region] = value
            source[name][region] = layer_index
            # Units and days of cover are two ways to give one quantity: the later wins.
            if name == "initial_days_of_cover":
                values["initial_on_hand"][region] = np.nan
    return StoreSkuDraft(values=values, source=source, blocked=blocked, layers=layers)


def _region(layer: StoreSkuLayer, shape: tuple[int, ...]) -> tuple[Any, tuple[int, int]]:
    """Index expression and shape of a layer's block; slices where it covers a whole axis."""
    rows: Any = slice(None) if layer.stores is None else layer.stores
    cols: Any = slice(None) if layer.skus is None else layer.skus
    n_rows = shape[0] if layer.stores is None else len(layer.stores)
    n_cols = shape[1] if layer.skus is None else len(layer.skus)
    if layer.stores is not None and layer.skus is not None:
        return np.ix_(rows, cols), (n_rows, n_cols)
    return (rows, cols), (n_rows, n_cols)


def dc_cover_units(
    daily_units_hint: np.ndarray,
    blocked: np.ndarray,
    store_dc: np.ndarray,
    n_dcs: int,
    days_of_cover: float,
) -> np.ndarray:
    """[dcs, skus] units: ``round(days × Σ hint)`` over each DC's stores (unblocked pairs)."""
    rate = np.where(blocked, 0.0, daily_units_hint)
    served = np.zeros((n_dcs, rate.shape[0]))
    served[store_dc, np.arange(rate.shape[0])] = 1.0
    per_dc = served @ rate
    return np.rint(days_of_cover * per_dc).astype(np.int64)
