"""A tiny hand-built catalog and random valid states for it (no training needed)."""

from __future__ import annotations

import numpy as np

from policies.serving.catalog import CATALOG_ARRAYS, Catalog, check_catalog

N_AGES = 6
# shelf lives include 0 (non-perishable), 1, the last age and one past the ages
LIVES = np.array([0, 1, 2, 3, 4, 6, 7, 0, 2, 5, 3, 1])
CATEGORIES = np.array([5, 0, 0, 1, 1, 2, 3, 5, 4, 2, 3, 0])


def tiny_catalog(n_stores: int = 2) -> Catalog:
    n_skus = len(LIVES)
    rng = np.random.default_rng(7)
    arrays = {
        "store_ids": np.array([f"S{i}" for i in range(n_stores)]),
        "sku_ids": np.array([f"K{j:02d}" for j in range(n_skus)]),
        "shelf_life_days": LIVES,
        "pack_units": rng.choice([1, 4, 6], n_skus),
        "category": CATEGORIES,
        "unit_cost": np.full(n_skus, 1.0),
        "price": np.full(n_skus, 2.0),
        "holding_cost_per_day": np.full(n_skus, 0.01),
        "waste_cost_per_unit": np.full(n_skus, 0.1),
        "blocked": rng.random((n_stores, n_skus)) < 0.1,
        "scale": rng.uniform(1, 20, (n_stores, n_skus)),
        "facings_units": np.full((n_stores, n_skus), 2.0),
        "lead_time_days_by_weekday": rng.integers(1, 4, (n_stores, 7)).astype(float),
        "dc_stores_served": np.full(n_stores, 2),
        "n_ages": np.array(N_AGES),
    }
    assert set(arrays) == set(CATALOG_ARRAYS)
    check_catalog(arrays, "tiny")
    return Catalog(
        arrays=arrays,
        store_index={str(s): i for i, s in enumerate(arrays["store_ids"])},
        sku_index={str(s): j for j, s in enumerate(arrays["sku_ids"])},
    )


def random_state(rng: np.random.Generator, catalog: Catalog, n: int, width: int) -> dict:
    """A valid one-store state with ``n`` SKUs and ``width`` ages, as JSON-like lists."""
    skus = np.sort(rng.choice(catalog.n_skus, size=n, replace=False))
    life = catalog["shelf_life_days"][skus]
    by_age = rng.poisson(rng.uniform(0, 6), (n, width)).astype(np.int64)
    by_age[(life[:, None] > 0) & (np.arange(width)[None, :] >= life[:, None])] = 0  # no expired
    by_age[rng.random((n, width)) < 0.3] = 0
    on_order = rng.poisson(4, n)
    demand = rng.poisson(5, n)
    on_hand = by_age.sum(axis=1)
    state = {
        "store_id": str(catalog["store_ids"][rng.integers(catalog.n_stores)]),
        "weekday": int(rng.integers(7)),
        "sku_ids": [str(s) for s in catalog["sku_ids"][skus]],
        "on_hand_by_age": by_age.tolist(),
        "on_order": on_order.tolist(),
        "sales_yesterday": rng.binomial(demand, 0.8).tolist(),
        "demand_yesterday": demand.tolist(),
        "forecast": np.round(rng.uniform(0, 9, n), int(rng.integers(0, 3))).tolist(),
    }
    optional = {
        "day": int(rng.integers(0, 30)),
        "on_shelf": rng.binomial(on_hand, 0.7).tolist(),
        "arriving_1d": rng.binomial(on_order, 0.5).tolist(),
        "promotion_price": rng.choice([0.7, 1.0], n).tolist(),
        "price_multiplier": rng.choice([0.5, 1.0], n).tolist(),
        "dc_on_hand": rng.poisson(30, n).tolist(),
        "scale": rng.uniform(1, 30, n).tolist(),
        "lead_time_days": rng.integers(0, 5, n).astype(float).tolist(),
    }
    for name, value in optional.items():
        if rng.random() < 0.5:
            state[name] = value
    return state
