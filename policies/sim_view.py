"""Build a ``ReplenishmentView`` of every store-SKU from a running simulator."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from policies.view import ReplenishmentView, on_hand_by_remaining_life
from sim.engine import Simulation
from sim.spec import NetworkSpec


def store_lead_time_days(sim: Simulation) -> np.ndarray:
    """[stores] days from now until a store order placed now reaches the store.

    Follows the DC's schedule: the next delivery weekday whose cut-off is not
    past, its departure hour, plus the truck's transit time to the store.
    """
    return lead_time_days_at(sim.spec, sim.now_hours, sim.weekday)


def lead_time_days_at(
    spec: NetworkSpec, now_hours: float, weekday_of: Callable[[int], int]
) -> np.ndarray:
    """[stores] ``store_lead_time_days`` for an order placed at ``now_hours``.

    Args:
        weekday_of: the weekday (0 = Monday) of a simulation day.
    """
    today = int(now_hours // 24.0)
    out = np.zeros(spec.n_stores)
    for store, store_spec in enumerate(spec.stores):
        dc = spec.dcs[store_spec.dc]
        for ahead in range(8):
            day = today + ahead
            if (
                weekday_of(day) in dc.delivery_weekdays
                and 24.0 * day + dc.order_cutoff_hour >= now_hours
            ):
                arrival = 24.0 * day + dc.departure_hour + dc.transit_hours[store]
                out[store] = (arrival - now_hours) / 24.0
                break
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
