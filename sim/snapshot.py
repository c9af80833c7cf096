"""A read-only picture of the network state for drivers (envs, policies)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

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
            couriers by the day (from today) they arrive; built on first read
            (64 MB on regional_chain, which most drivers never read).
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
    # the pipeline itself (copies), or how to build it on first read (live views)
    pipeline_source: np.ndarray | Callable[[], np.ndarray] = field(repr=False, compare=False)

    @cached_property
    def store_pipeline_by_day(self) -> np.ndarray:
        """[stores, skus, PIPELINE_DAYS] (see the class docstring)."""
        source = self.pipeline_source
        return source if isinstance(source, np.ndarray) else source()
