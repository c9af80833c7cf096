"""Steps every replenishment heuristic ends with."""

from __future__ import annotations

import numpy as np

from sim.errors import ConfigError
from sim.store_sku import StoreSkuView, round_to_packs


def demand_over(view: StoreSkuView, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of demand over ``days`` (independent days)."""
    days = np.maximum(days, 0.0)
    return view.forecast_daily * days, view.forecast_sd_daily * np.sqrt(days)


def finish(
    raw_units: np.ndarray,
    view: StoreSkuView,
    *,
    max_order_units: float | None = None,
    min_order_units: float = 0.0,
) -> np.ndarray:
    """Whole packs (rounded up), blocked SKUs at zero, then the caps.

    A positive order below ``min_order_units`` is raised to it; an order above
    ``max_order_units`` is cut to the largest whole number of packs within it.
    """
    units = round_to_packs(raw_units, view.pack_units, up=True)
    if min_order_units > 0:
        units = np.where(
            (units > 0) & (units < min_order_units),
            round_to_packs(np.full(view.n, min_order_units), view.pack_units, up=True),
            units,
        )
    if max_order_units is not None:
        cap = (np.floor(max_order_units / view.pack_units) * view.pack_units).astype(np.int64)
        units = np.minimum(units, cap)
    return np.where(view.blocked, 0, units).astype(np.int64)


def check_non_negative(owner: str, **values: float | None) -> None:
    for name, value in values.items():
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise ConfigError(f"{owner}.{name}", value, "a finite number >= 0")
