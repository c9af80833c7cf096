"""``build_network``: validate the blocks (``sim.config.models``), then resolve ids.

The models check every value and the rules between values of one block; this
module is the small post-pass that needs more than one block: references by
id (a store's DC, a SKU's supplier, transit hours per store, store-SKU
selectors), transit hours for every store a DC serves, and the checks on the
assembled per-(store, SKU) arrays, which name the config layer that set the
bad value. Large arrays are validated per block, never per store-SKU pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.catalog import (
    CityTemplate,
    SkuTemplate,
    StoreSkuDraft,
    StoreSkuLayer,
    assemble_store_sku,
    dc_cover_units,
    generate_skus,
    generate_stores,
)
from sim.config.models import (
    DcBlock,
    DcInitialBlock,
    NetworkConfig,
    SkuBlock,
    SkuGenerate,
    StoreBlock,
    StoreGenerate,
    StoresGenerated,
    StoreSkuBlock,
)
from sim.enums import Category
from sim.errors import ConfigError
from sim.spec import DcSpec, NetworkSpec, SkuCatalog, StoreSkuSpec, StoreSpec
from sim.validation import (
    category_items,
    enum_value,
    lookup,
    lookup_many,
    plain,
    show_ids,
    validate,
)

__all__ = ["build_network"]

# Built-in store-SKU values, applied before the config's own layers.
_STORE_SKU_BUILTIN: dict[str, float] = {
    "shelf_capacity_units": 20,
    "facings_units": 2,
    "daily_units_hint": 1.0,
    "initial_days_of_cover": 0.0,
    "initial_age_days": 0,
}


def build_network(cfg: Mapping[str, Any], *, name: str | None = None) -> NetworkSpec:
    """Validate a network config and build the frozen ``NetworkSpec``.

    Args:
        cfg: the network config (the schema in ``sim.config``'s docstring), as a
            Hydra/OmegaConf ``DictConfig`` or plain mappings and lists.
        name: the scenario name; defaults to the config's ``name``, then "network".

    Returns:
        The network, with SKUs and stores in config order (generated SKUs by
        category in the order of ``count_by_category``).

    Raises:
        ConfigError: the first refused value, naming its dotted path and what
            is allowed.
    """
    config = validate(NetworkConfig, plain(cfg))
    suppliers = tuple(s.spec() for s in config.suppliers)
    supplier_index = {s.supplier_id: i for i, s in enumerate(suppliers)}
    dc_index = {d.id: i for i, d in enumerate(config.dcs)}
    if isinstance(config.stores, StoresGenerated):
        stores = _generate_stores(config.stores.generate, "stores.generate", dc_index)
    else:
        stores = tuple(_store(s, f"stores[{i}]", dc_index) for i, s in enumerate(config.stores))
    dcs = tuple(_dc(d, f"dcs[{i}]", stores, i) for i, d in enumerate(config.dcs))
    if isinstance(config.skus, list):
        skus = _sku_list(config.skus, supplier_index)
    else:
        skus = _generate_skus(config.skus.generate, "skus.generate", supplier_index)
    draft = _store_sku(config.store_sku, "store_sku", stores, skus)
    dc_initial = _dc_initial(config.dc_initial, "dc_initial", dcs, stores, skus, draft)
    return NetworkSpec(
        name=name if name is not None else config.name or "network",
        skus=skus,
        stores=stores,
        dcs=dcs,
        suppliers=suppliers,
        couriers=None if config.couriers is None else config.couriers.spec(),
        store_sku=_finish_store_sku(draft, stores, skus),
        dc_initial_on_hand=dc_initial,
        study_days=config.study.days,
        study_warmup_days=config.study.warmup_days,
    )


# --------------------------------------------------------------------------------------
# Stores and DCs.


def _store(block: StoreBlock, path: str, dc_index: Mapping[str, int]) -> StoreSpec:
    return StoreSpec(
        store_id=block.id,
        x_km=block.x_km,
        y_km=block.y_km,
        dc=lookup(block.dc, f"{path}.dc", dc_index, "DC"),
        city=block.city,
        tier=block.tier,
        **block.shared_fields(),
    )


def _generate_stores(
    block: StoreGenerate, path: str, dc_index: Mapping[str, int]
) -> tuple[StoreSpec, ...]:
    cities = [
        CityTemplate(
            name=c.name,
            count=int(c.count or 0),
            centre_km=c.centre_km,
            radius_km=c.radius_km,
            dc=lookup(c.dc, f"{path}.cities[{i}].dc", dc_index, "DC"),
        )
        for i, c in enumerate(block.cities)
    ]
    return generate_stores(
        cities,
        seed=block.seed,
        id_prefix=block.id_prefix,
        id_digits=block.id_digits,
        store_fields=block.defaults.shared_fields(),
    )


def _dc(block: DcBlock, path: str, stores: Sequence[StoreSpec], dc: int) -> DcSpec:
    """Resolve transit hours: every store the DC serves needs one."""
    store_index = {s.store_id: i for i, s in enumerate(stores)}
    transit = {
        lookup(store_id, f"{path}.transit_hours.{store_id}", store_index, "store"): hours
        for store_id, hours in block.transit_hours.items()
    }
    missing = [i for i, s in enumerate(stores) if s.dc == dc and i not in transit]
    if missing:
        if block.transit_hours_default is None:
            raise ConfigError(
                f"{path}.transit_hours",
                block.transit_hours,
                f"hours (>= 0) for every store served by {block.id}, or"
                f" transit_hours_default; missing: {show_ids(stores[i].store_id for i in missing)}",
            )
        transit.update(dict.fromkeys(missing, block.transit_hours_default))
    return block.spec(dict(sorted(transit.items())))


# --------------------------------------------------------------------------------------
# SKUs.


def _supplier(value: Any, path: str, supplier_index: Mapping[str, int]) -> int:
    if value is None and len(supplier_index) == 1:
        return 0  # the only supplier
    return lookup(value, path, supplier_index, "supplier")


def _sku_list(blocks: Sequence[SkuBlock], supplier_index: Mapping[str, int]) -> SkuCatalog:
    suppliers = [
        _supplier(b.supplier, f"skus[{i}].supplier", supplier_index) for i, b in enumerate(blocks)
    ]
    return SkuCatalog(
        ids=tuple(b.id for b in blocks),
        category=np.array([int(b.category) for b in blocks]),
        shelf_life_days=np.array([b.shelf_life_days or 0 for b in blocks]),
        unit_cost=np.array([b.unit_cost for b in blocks]),
        price=np.array([b.price for b in blocks]),
        holding_cost_per_unit_day=np.array([b.holding_cost_per_unit_day for b in blocks]),
        disposal_cost_per_unit=np.array([b.disposal_cost_per_unit for b in blocks]),
        case_pack=np.array([b.case_pack for b in blocks]),
        break_pack=np.array([b.break_pack for b in blocks]),
        temperature_sensitivity=np.array([b.temperature_sensitivity for b in blocks]),
        damage_rate=np.array([b.damage_rate for b in blocks]),
        supplier=np.array(suppliers),
        supplier_lead_time_days=(
            np.array([b.supplier_lead_time_days or 0 for b in blocks])
            if any(b.supplier_lead_time_days for b in blocks)
            else None
        ),
    )


def _generate_skus(block: SkuGenerate, path: str, supplier_index: Mapping[str, int]) -> SkuCatalog:
    templates = {category: (key, t) for category, key, t in category_items(block.templates)}
    parsed = []
    for category, _, count in category_items(block.count_by_category):
        if count == 0:
            continue
        key, t = templates[category]
        template_path = f"{path}.templates.{key}"
        parsed.append(
            SkuTemplate(
                category=category,
                count=count,
                id_prefix=t.id_prefix or category.name,
                shelf_life_days=t.shelf_life_days or 0,
                unit_cost=t.unit_cost,
                margin=t.margin,
                holding_rate_per_day=t.holding_rate_per_day,
                disposal_cost_per_unit=t.disposal_cost_per_unit,
                case_pack_choices=t.case_pack,
                break_pack=t.break_pack,
                temperature_sensitivity=t.temperature_sensitivity,
                damage_rate=t.damage_rate,
                supplier=_supplier(t.supplier, f"{template_path}.supplier", supplier_index),
            )
        )
    catalog = generate_skus(parsed, seed=block.seed, id_digits=block.id_digits)
    # Two templates with one prefix would give two SKUs one id.
    if len(set(catalog.ids)) != catalog.n:
        twice = next(i for i, n in Counter(catalog.ids).items() if n > 1)
        raise ConfigError(
            f"{path}.templates",
            twice,
            "a distinct id_prefix per category (this id is generated twice)",
        )
    return catalog


# --------------------------------------------------------------------------------------
# Per-(store, SKU) parameters and starting stock.


def _store_sku(
    block: StoreSkuBlock, path: str, stores: Sequence[StoreSpec], skus: SkuCatalog
) -> StoreSkuDraft:
    store_index = {s.store_id: i for i, s in enumerate(stores)}
    sku_index = {sku_id: i for i, sku_id in enumerate(skus.ids)}
    layers = [StoreSkuLayer(path=path, stores=None, skus=None, values=_STORE_SKU_BUILTIN)]
    if block.default is not None:
        layers.append(StoreSkuLayer(f"{path}.default", None, None, block.default.values()))
    for category, key, layer in category_items(block.by_category):
        columns = np.flatnonzero(skus.category == int(category))
        layers.append(StoreSkuLayer(f"{path}.by_category.{key}", None, columns, layer.values()))
    for i, o in enumerate(block.overrides):
        layer_path = f"{path}.overrides[{i}]"
        rows = columns = None
        if o.store is not None:
            rows = lookup_many(o.store, f"{layer_path}.store", store_index, "store")
        if o.sku is not None:
            columns = lookup_many(o.sku, f"{layer_path}.sku", sku_index, "SKU")
        if o.category is not None:
            wanted = _categories(o.category, f"{layer_path}.category")
            in_category = np.flatnonzero(np.isin(skus.category, wanted))
            columns = in_category if columns is None else np.intersect1d(columns, in_category)
        layers.append(StoreSkuLayer(layer_path, rows, columns, o.values()))
    blocked = np.zeros((len(stores), skus.n), dtype=np.bool_)
    for store_id, sku_ids in block.blocked.items():
        field = f"{path}.blocked.{store_id}"
        row = lookup(store_id, field, store_index, "store")
        blocked[row, lookup_many(sku_ids, field, sku_index, "SKU")] = True
    return assemble_store_sku(layers, blocked, seed=block.seed)


def _categories(value: Any, field: str) -> list[int]:
    """A category name or a list of them, as integers."""
    if isinstance(value, list | tuple):
        return [int(enum_value(Category, c, f"{field}[{j}]")) for j, c in enumerate(value)]
    return [int(enum_value(Category, value, field))]


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


def _dc_initial(
    block: DcInitialBlock,
    path: str,
    dcs: Sequence[DcSpec],
    stores: Sequence[StoreSpec],
    skus: SkuCatalog,
    draft: StoreSkuDraft,
) -> np.ndarray:
    if block.days_of_cover is not None:
        store_dc = np.array([s.dc for s in stores], dtype=np.int64)
        units = dc_cover_units(
            draft.daily_units_hint, draft.blocked, store_dc, len(dcs), block.days_of_cover
        )
    else:
        units = np.full((len(dcs), skus.n), block.units or 0, dtype=np.int64)
    dc_index = {d.dc_id: i for i, d in enumerate(dcs)}
    sku_index = {sku_id: i for i, sku_id in enumerate(skus.ids)}
    for i, o in enumerate(block.overrides):
        rows: Any = slice(None)
        columns: Any = slice(None)
        if o.dc is not None:
            rows = lookup_many(o.dc, f"{path}.overrides[{i}].dc", dc_index, "DC")
        if o.sku is not None:
            columns = lookup_many(o.sku, f"{path}.overrides[{i}].sku", sku_index, "SKU")
        both = o.dc is not None and o.sku is not None
        units[np.ix_(rows, columns) if both else (rows, columns)] = o.units
    return units
