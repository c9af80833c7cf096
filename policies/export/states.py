"""Serving states read from a running simulator (parity tests, example tables)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from policies.sim_view import store_lead_time_days
from sim.engine import Simulation
from sim.store_sku import dc_life_left_days


def state_columns(
    sim: Simulation,
    forecast: np.ndarray,
    scale: np.ndarray | None = None,
    forecast_error: np.ndarray | None = None,
) -> dict[str, Any]:
    """Every store-SKU of ``sim`` as the columns of ``policies.serving.state`` (store_ids form).

    Args:
        forecast: [stores, skus] the forecast the policy sees (the env's smoothed one).
        scale: [stores, skus] feature scale to send; None leaves the catalog's.
        forecast_error: [stores, skus] the smoothed forecast error the policy sees; None
            leaves serving's default (sqrt(forecast)).
    """
    spec = sim.spec
    snap = sim.snapshot()
    n_st, n_sku = spec.n_stores, spec.n_skus
    n = n_st * n_sku
    flat = lambda a: np.broadcast_to(a, (n_st, n_sku)).reshape(-1)  # noqa: E731
    store_dc = spec.store_dc()
    columns: dict[str, Any] = {
        "store_ids": np.repeat([s.store_id for s in spec.stores], n_sku),
        "sku_ids": np.tile([str(s) for s in spec.skus.ids], n_st),
        "weekday": int(snap.weekday),
        "day": int(snap.day),
        "on_hand_by_age": snap.store_on_hand_by_age.reshape(n, -1).astype(np.float64),
        "on_shelf": flat(snap.store_shelf).astype(np.float64),
        "on_order": flat(snap.store_on_order).astype(np.float64),
        "arriving_1d": flat(snap.store_pipeline_by_day[:, :, :2].sum(axis=2)).astype(np.float64),
        "sales_yesterday": flat(snap.sales_yesterday).astype(np.float64),
        "demand_yesterday": flat(snap.demand_yesterday).astype(np.float64),
        "forecast": flat(forecast).astype(np.float64),
        "promotion_price": flat(snap.promotion_price).astype(np.float64),
        "price_multiplier": flat(snap.price_multiplier).astype(np.float64),
        "dc_on_hand": flat(snap.dc_on_hand[store_dc]).astype(np.float64),
        "lead_time_days": flat(store_lead_time_days(sim)[:, None]).astype(np.float64),
        "dc_life_left_days": flat(
            dc_life_left_days(snap.dc_on_hand_by_age, spec.skus.shelf_life_days)[store_dc]
        ),
    }
    if forecast_error is not None:
        columns["forecast_error"] = flat(forecast_error).astype(np.float64)
    if scale is not None:
        columns["scale"] = flat(scale).astype(np.float64)
    return columns


def select_rows(columns: dict[str, Any], rows: np.ndarray) -> dict[str, Any]:
    """The same columns restricted to ``rows`` (scalars kept)."""
    return {k: (np.asarray(v)[rows] if np.ndim(v) >= 1 else v) for k, v in columns.items()}


def example_state_table(scenario: str, days: int = 7, seed: int = 0) -> pd.DataFrame:
    """A chain's state table from the simulator: one row per store-SKU after ``days`` days.

    The columns of ``policies.serving.state`` with ``store_id`` and ``sku_id`` per row,
    stock by age as ``on_hand_age_0``, ``on_hand_age_1``, ... (integers), and
    ``weekday`` and ``day`` repeated on every row: the table ``scripts/recommend.py``
    reads.
    """
    from envs.sku_agents import SkuAgents

    agents = SkuAgents(episode_days=days + 1, scenario=scenario, warmup_days=days)
    agents.reset(seed)
    cols = state_columns(
        agents.core.sim, agents.core.forecast, forecast_error=agents.core.forecast_error
    )
    n = len(cols["sku_ids"])
    frame = {"store_id": cols["store_ids"], "sku_id": cols["sku_ids"]}
    scalars = ("weekday", "day")  # one value for the whole state: repeated on every row
    frame |= {k: np.full(n, v) for k, v in cols.items() if k in scalars}
    for a in range(cols["on_hand_by_age"].shape[1]):
        frame[f"on_hand_age_{a}"] = cols["on_hand_by_age"][:, a].astype(np.int64)
    for k, v in cols.items():
        if k not in ("store_ids", "sku_ids", "on_hand_by_age", *scalars):
            frame[k] = v
    return pd.DataFrame(frame)
