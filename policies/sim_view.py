"""Read a running simulator for the rules: the ``StoreSkuView`` of every store-SKU, the
transfer rules' inputs."""

from __future__ import annotations

import numpy as np

from sim.engine import Simulation
from sim.store_sku import (
    StoreSkuView,
    lead_time_days_at,
    view_from_snapshot,
)
from sim.transfer import TransferInputs


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
    """The transfer rules' inputs from a running simulator (forecast from the caller)."""
    view = view_from_sim(sim, np.asarray(forecast_daily, dtype=np.float64))
    return TransferInputs.for_network(view, sim.spec, sim.road_km)
