"""Build a ``ReplenishmentView`` of every store-SKU from a running simulator."""

from __future__ import annotations

import numpy as np

from policies.view import ReplenishmentView
from sim.engine import Simulation


def store_lead_time_days(sim: Simulation) -> np.ndarray:
    """[stores] days from now until a store order placed now reaches the store.

    Follows the DC's schedule: the next delivery weekday whose cut-off is not
    past, its departure hour, plus the truck's transit time to the store.
    """
    now = sim.now_hours
    today = int(now // 24.0)
    out = np.zeros(sim.spec.n_stores)
    for store, spec in enumerate(sim.spec.stores):
        dc = sim.spec.dcs[spec.dc]
        for ahead in range(8):
            day = today + ahead
            if (
                sim.weekday(day) in dc.delivery_weekdays
                and 24.0 * day + dc.order_cutoff_hour >= now
            ):
                arrival = 24.0 * day + dc.departure_hour + dc.transit_hours[store]
                out[store] = (arrival - now) / 24.0
                break
    return out


def on_hand_by_remaining_life(stock_by_age: np.ndarray, shelf_life_days: np.ndarray) -> np.ndarray:
    """[..., skus, ages] by age -> [..., skus, R] by remaining life (index r-1 = r days left).

    Non-perishables (life 0) go to the last column (they never expire).
    """
    n_ages = stock_by_age.shape[-1]
    life = shelf_life_days.astype(np.int64)
    out = np.zeros_like(stock_by_age)
    for col in range(n_ages):  # one vectorised step per remaining-life column
        age = life - 1 - col
        valid = (life > 0) & (age >= 0)
        idx = np.broadcast_to(np.clip(age, 0, n_ages - 1)[..., None], (*stock_by_age.shape[:-1], 1))
        out[..., col] = np.where(valid, np.take_along_axis(stock_by_age, idx, axis=-1)[..., 0], 0)
    out[..., -1] += np.where(life == 0, stock_by_age[..., 0], 0)
    return out


def view_from_sim(
    sim: Simulation,
    forecast_daily: np.ndarray,
    forecast_sd_daily: np.ndarray | None = None,
    *,
    review_days: float = 1.0,
) -> ReplenishmentView:
    """Every store-SKU, store-major (row = store × n_skus + sku).

    Args:
        forecast_daily: [stores, skus] expected demand per day.
        forecast_sd_daily: [stores, skus]; defaults to sqrt(forecast) (Poisson).
        review_days: days until the next ordering decision.
    """
    spec = sim.spec
    snap = sim.snapshot()
    n_st, n_sku = spec.n_stores, spec.n_skus
    skus = spec.skus
    flat = lambda a: np.broadcast_to(a, (n_st, n_sku)).reshape(-1).astype(np.float64)  # noqa: E731
    sd = (
        np.sqrt(np.maximum(forecast_daily, 0.0)) if forecast_sd_daily is None else forecast_sd_daily
    )
    by_life = on_hand_by_remaining_life(snap.store_on_hand_by_age, skus.shelf_life_days)
    pack = np.where(skus.break_pack, 1, skus.case_pack)
    return ReplenishmentView(
        on_hand=flat(snap.store_on_hand),
        on_order=flat(snap.store_on_order),
        on_hand_by_life=by_life.reshape(n_st * n_sku, -1).astype(np.float64),
        forecast_daily=flat(forecast_daily),
        forecast_sd_daily=flat(sd),
        lead_time_days=flat(store_lead_time_days(sim)[:, None]),
        review_days=np.full(n_st * n_sku, float(review_days)),
        shelf_life_days=flat(skus.shelf_life_days[None, :]).astype(np.int64),
        pack_units=flat(pack[None, :]).astype(np.int64),
        facings_units=flat(spec.store_sku.facings_units),
        blocked=np.broadcast_to(spec.store_sku.blocked, (n_st, n_sku)).reshape(-1),
        unit_cost=flat(skus.unit_cost[None, :]),
        price=flat(skus.price[None, :]),
        holding_cost_per_day=flat(skus.holding_cost_per_unit_day[None, :]),
        waste_cost_per_unit=flat(skus.disposal_cost_per_unit[None, :]),
        on_promotion=(np.broadcast_to(snap.promotion_price, (n_st, n_sku)) < 1.0).reshape(-1),
        day=snap.day,
    )
