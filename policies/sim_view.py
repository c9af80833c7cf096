"""Read a running simulator for the rules: the ``StoreSkuView`` of every store-SKU, the
transfer rules' inputs."""

from __future__ import annotations

import numpy as np

from policies.transfers import TransferInputs
from sim.engine import Simulation
from sim.store_sku import (
    StoreSkuView,
    lead_time_days_at,
    on_hand_by_remaining_life,
    view_from_snapshot,
)


def store_lead_time_days(sim: Simulation) -> np.ndarray:
    """[stores] days from now until a store order placed now reaches the store."""
    return lead_time_days_at(sim.spec, sim.now_hours, sim.weekday)


def view_from_sim(
    sim: Simulation,
    forecast_daily: np.ndarray,
    forecast_sd_daily: np.ndarray | None = None,
    *,
    review_days: float = 1.0,
) -> StoreSkuView:
    """Every store-SKU, store-major (row = store × n_skus + sku); see ``view_from_snapshot``."""
    return view_from_snapshot(
        sim.snapshot(),
        sim.spec,
        forecast_daily,
        lead_time_days=store_lead_time_days(sim),
        forecast_sd_daily=forecast_sd_daily,
        review_days=review_days,
    )


def transfer_inputs_from_sim(sim: Simulation, forecast_daily: np.ndarray) -> TransferInputs:
    """The city's state from a running simulator (forecast from the caller)."""
    spec = sim.spec
    snap = sim.snapshot()
    pool = spec.couriers
    cities = np.array([s.city for s in spec.stores])
    return TransferInputs(
        on_hand_by_life=on_hand_by_remaining_life(
            snap.store_on_hand_by_age, spec.skus.shelf_life_days
        ).astype(np.float64),
        forecast_daily=np.asarray(forecast_daily, dtype=np.float64),
        arriving_units=snap.store_pipeline_by_day[:, :, :2].sum(axis=2).astype(np.float64),
        on_promotion=(snap.promotion_price < 1.0).astype(np.float64),
        shelf_life_days=spec.skus.shelf_life_days.astype(np.int64),
        price=spec.skus.price.astype(np.float64),
        disposal_cost_per_unit=spec.skus.disposal_cost_per_unit.astype(np.float64),
        road_km=sim.road_km,
        same_city=cities[:, None] == cities[None, :],
        blocked=spec.store_sku.blocked,
        cost_per_trip=pool.cost_per_trip if pool else float("inf"),
        cost_per_km=pool.cost_per_km if pool else float("inf"),
    )
