"""The serving catalog of a scenario: ids and static facts per SKU and store-SKU."""

from __future__ import annotations

import numpy as np

from policies.serving.catalog import CATALOG_ARRAYS
from sim.engine import Simulation
from sim.errors import ConfigError
from sim.scenario import build_demand_source, load_scenario
from sim.store_sku import lead_time_days_at, pack_units


def catalog_from_scenario(
    scenario: str, decision_hour: float, *, overrides: tuple[str, ...] = (), seed: int = 0
) -> dict[str, np.ndarray]:
    """Arrays of ``policies.serving.catalog.CATALOG_ARRAYS`` for a shipped scenario.

    ``scale`` is the expected daily demand on the first day (at least 1), the
    same normaliser the environments use.
    """
    loaded = load_scenario(scenario, overrides)
    spec = loaded.network
    sim = Simulation(spec, build_demand_source(loaded), seed=seed)
    skus = spec.skus
    store_dc = spec.store_dc()
    served = np.bincount(store_dc, minlength=spec.n_dcs)[store_dc]
    lead = np.zeros((spec.n_stores, 7))
    for day in range(7):  # one decision per weekday
        lead[:, sim.weekday(day)] = lead_time_days_at(spec, 24.0 * day + decision_hour, sim.weekday)
    arrays = {
        "store_ids": np.array([s.store_id for s in spec.stores]),
        "sku_ids": np.array([str(s) for s in skus.ids]),
        "shelf_life_days": skus.shelf_life_days.astype(np.int64),
        "pack_units": pack_units(skus.case_pack, skus.break_pack),
        "category": skus.category.astype(np.int64),
        "unit_cost": skus.unit_cost.astype(np.float64),
        "price": skus.price.astype(np.float64),
        "holding_cost_per_day": skus.holding_cost_per_unit_day.astype(np.float64),
        "waste_cost_per_unit": skus.disposal_cost_per_unit.astype(np.float64),
        "blocked": np.asarray(spec.store_sku.blocked, dtype=bool),
        "scale": np.maximum(1.0, sim.expected_daily_units()),
        "facings_units": spec.store_sku.facings_units.astype(np.int64),
        "lead_time_days_by_weekday": lead,
        "dc_stores_served": served.astype(np.int64),
        "n_ages": np.array(sim.snapshot().store_on_hand_by_age.shape[2]),
    }
    assert set(arrays) == set(CATALOG_ARRAYS)
    return arrays


def courier_network_from_scenario(
    scenario: str, *, overrides: tuple[str, ...] = ()
) -> tuple[np.ndarray, np.ndarray, dict[str, float] | None]:
    """(road km [stores, stores], city [stores], courier tariff or None) of a scenario.

    Road km are the simulator's (``NetworkSpec.road_km``).
    """
    spec = load_scenario(scenario, overrides).network
    pool = spec.couriers
    if pool is not None and pool.tier_pairs:
        raise ConfigError(
            "couriers.tier_pairs", f"{len(pool.tier_pairs)} pairs in {scenario}",
            "none for an exported transfer policy: the served planner prices every pair at"
            " the pool's tariff (tiers are not exported yet)",
        )  # fmt: skip
    road_km = spec.road_km()
    city = np.array([s.city for s in spec.stores], dtype=str)
    tariff = (
        {"cost_per_trip": float(pool.cost_per_trip), "cost_per_km": float(pool.cost_per_km)}
        if pool
        else None
    )
    return road_km, city, tariff
