"""A read-only picture of the network state for drivers (envs, policies)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.state import ShipmentKind

if TYPE_CHECKING:
    from sim.context import SimContext

PIPELINE_DAYS = 8  # horizon of ``store_pipeline_by_day``; later arrivals go in the last slot


@dataclass(frozen=True)
class Snapshot:
    """State at ``time_hours``. Arrays are read-only.

    Attributes:
        time_hours, day, weekday: the clock (weekday 0 = Monday).
        store_on_hand_by_age: [stores, skus, ages] units on hand (age 0 freshest).
        store_on_hand: [stores, skus].
        store_shelf: [stores, skus] units of on hand that are on the shelf.
        store_on_order: [stores, skus] ordered from the DC, not yet received
            (queued at the DC or on a truck).
        store_in_transit: [stores, skus] on trucks to the store.
        store_pipeline_by_day: [stores, skus, PIPELINE_DAYS] units on trucks and
            couriers by the day (from today) they arrive.
        dc_on_hand_by_age: [dcs, skus, ages]; dc_on_hand: [dcs, skus].
        dc_on_order: [dcs, skus] confirmed by suppliers, not arrived.
        dc_backlog: [dcs, skus] store orders queued at the DC.
        sales_today, demand_today, lost_today: [stores, skus] since midnight
            (demand served so far).
        sales_yesterday, demand_yesterday: [stores, skus].
        price_multiplier: [stores, skus] current price / regular price (markdowns).
        promotion_price: [stores, skus] today's promotional price / regular price.
        shelf_life_days: [skus] (0 = non-perishable).
    """

    time_hours: float
    day: int
    weekday: int
    store_on_hand_by_age: np.ndarray
    store_on_hand: np.ndarray
    store_shelf: np.ndarray
    store_on_order: np.ndarray
    store_in_transit: np.ndarray
    store_pipeline_by_day: np.ndarray
    dc_on_hand_by_age: np.ndarray
    dc_on_hand: np.ndarray
    dc_on_order: np.ndarray
    dc_backlog: np.ndarray
    sales_today: np.ndarray
    demand_today: np.ndarray
    lost_today: np.ndarray
    sales_yesterday: np.ndarray
    demand_yesterday: np.ndarray
    price_multiplier: np.ndarray
    promotion_price: np.ndarray
    shelf_life_days: np.ndarray


def _read_only(arr: np.ndarray, copy: bool) -> np.ndarray:
    out = arr.copy() if copy else arr.view()
    out.flags.writeable = False
    return out


def take_snapshot(ctx: SimContext, *, copy: bool) -> Snapshot:
    st = ctx.state
    pipeline = np.zeros((*st.store_shelf.shape, PIPELINE_DAYS), dtype=np.int64)
    for shipment in st.shipments:
        if shipment.kind is ShipmentKind.SUPPLIER:
            continue
        offset = min(PIPELINE_DAYS - 1, max(0, int(shipment.arrive_hours // 24.0) - ctx.day))
        pipeline[shipment.destination, :, offset] += shipment.qty.sum(axis=1)
    store_stores = ctx.dc_stores
    backlog = (
        np.stack([(st.dc_new_orders[s] + st.dc_to_ship[s]).sum(axis=0) for s in store_stores])
        if store_stores
        else np.zeros((0, ctx.spec.n_skus), dtype=np.int64)
    )
    ro = lambda a: _read_only(a, copy)  # noqa: E731
    return Snapshot(
        time_hours=ctx.now,
        day=ctx.day,
        weekday=ctx.weekday(ctx.day),
        store_on_hand_by_age=ro(st.store_stock),
        store_on_hand=_read_only(st.store_on_hand(), False),
        store_shelf=ro(st.store_shelf),
        store_on_order=_read_only(st.store_on_order(), False),
        store_in_transit=ro(st.store_in_transit),
        store_pipeline_by_day=_read_only(pipeline, False),
        dc_on_hand_by_age=ro(st.dc_stock),
        dc_on_hand=_read_only(st.dc_on_hand(), False),
        dc_on_order=ro(st.dc_on_order),
        dc_backlog=_read_only(backlog, False),
        sales_today=ro(st.sales_today),
        demand_today=ro(st.demand_today),
        lost_today=ro(st.lost_today),
        sales_yesterday=ro(st.sales_yesterday),
        demand_yesterday=ro(st.demand_yesterday),
        price_multiplier=ro(st.price_multiplier),
        promotion_price=ro(st.promotion_price),
        shelf_life_days=ctx.spec.skus.shelf_life_days,
    )
