"""Small hand-built networks for the demand tests (and a check that they are sane).

Kept in a ``test_demand_*`` module so the demand tests need no shared conftest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.enums import Category
from sim.spec import (
    DcSpec,
    NetworkSpec,
    SkuCatalog,
    StoreSkuSpec,
    StoreSpec,
    SupplierSpec,
)


def make_network(
    categories: Sequence[Category] = (Category.DAIRY,),
    store_hours: Sequence[tuple[float, float]] = ((8.0, 22.0),),
    *,
    sku_ids: Sequence[str] | None = None,
    store_ids: Sequence[str] | None = None,
    temperature_sensitivity: Sequence[float] | None = None,
) -> NetworkSpec:
    """A network with one DC, one supplier and the given SKUs and stores."""
    n_skus, n_stores = len(categories), len(store_hours)
    sku_ids = list(sku_ids) if sku_ids is not None else [f"sku{j}" for j in range(n_skus)]
    store_ids = list(store_ids) if store_ids is not None else [f"st{i}" for i in range(n_stores)]
    sensitivity = np.zeros(n_skus) if temperature_sensitivity is None else temperature_sensitivity
    skus = SkuCatalog(
        ids=tuple(sku_ids),
        category=np.array([int(c) for c in categories]),
        shelf_life_days=np.full(n_skus, 5),
        unit_cost=np.ones(n_skus),
        price=np.full(n_skus, 2.0),
        holding_cost_per_unit_day=np.full(n_skus, 0.01),
        disposal_cost_per_unit=np.zeros(n_skus),
        case_pack=np.ones(n_skus),
        break_pack=np.ones(n_skus, dtype=bool),
        temperature_sensitivity=sensitivity,
        damage_rate=np.zeros(n_skus),
        supplier=np.zeros(n_skus),
    )
    stores = tuple(
        StoreSpec(store_id=sid, x_km=float(i), y_km=0.0, dc=0, open_hour=o, close_hour=c)
        for i, (sid, (o, c)) in enumerate(zip(store_ids, store_hours, strict=True))
    )
    shape = (n_stores, n_skus)
    zeros = np.zeros(shape)
    store_sku = StoreSkuSpec(
        shelf_capacity_units=np.full(shape, 50),
        facings_units=np.full(shape, 2),
        blocked=np.zeros(shape, dtype=bool),
        initial_on_hand=zeros,
        initial_age_days=zeros,
        recent_sales_units=zeros,
    )
    return NetworkSpec(
        name="test",
        skus=skus,
        stores=stores,
        dcs=(DcSpec(dc_id="dc"),),
        suppliers=(SupplierSpec(supplier_id="sup"),),
        couriers=None,
        store_sku=store_sku,
        dc_initial_on_hand=np.zeros((1, n_skus)),
    )


def prefixed_catalog(counts: dict[Category, tuple[str, int]]) -> tuple[list[str], list[Category]]:
    """SKU ids ``<PREFIX>-<nnnn>`` numbered from 0001 within each category."""
    ids: list[str] = []
    cats: list[Category] = []
    for category, (prefix, n) in counts.items():
        ids.extend(f"{prefix}-{k:04d}" for k in range(1, n + 1))
        cats.extend([category] * n)
    return ids, cats


def test_make_network_shapes() -> None:
    net = make_network((Category.DAIRY, Category.FRUIT), ((8, 20), (7, 22), (9, 21)))
    assert (net.n_stores, net.n_skus) == (3, 2)
    assert net.store_sku.shelf_capacity_units.shape == (3, 2)


def test_prefixed_catalog_numbers_from_0001() -> None:
    ids, cats = prefixed_catalog({Category.DAIRY: ("DAIRY", 2), Category.FRUIT: ("FRUIT", 1)})
    assert ids == ["DAIRY-0001", "DAIRY-0002", "FRUIT-0001"]
    assert cats == [Category.DAIRY, Category.DAIRY, Category.FRUIT]
