"""The mutable state of a running simulation: arrays per node and per SKU."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from sim.spec import NetworkSpec


class ShipmentKind(Enum):
    TRUCK = "truck"  # DC -> store
    COURIER = "courier"  # store -> store
    SUPPLIER = "supplier"  # supplier -> DC (units enter the network on arrival)


@dataclass
class Shipment:
    """One trip carrying a vector of quantities.

    Attributes:
        kind: truck, courier or supplier delivery.
        origin, destination: node indices (DC or store, by kind).
        qty: [skus, ages] units by age at departure (supplier deliveries: age 0).
        depart_hours: when it left.
        arrive_hours: when it arrives.
        order_hours: when the first order it serves was placed (response times).
        fresh_on_arrival: units are made to order and arrive at age 0 (no ageing
            in transit), as from an unlimited external source.
    """

    kind: ShipmentKind
    origin: int
    destination: int
    qty: np.ndarray
    depart_hours: float
    arrive_hours: float
    order_hours: float = 0.0
    fresh_on_arrival: bool = False

    @property
    def units(self) -> int:
        return int(self.qty.sum())


@dataclass
class NetworkState:
    """Stock, orders and shipments. Arrays are owned by the engine; read via snapshots.

    Attributes:
        store_stock: units on hand by age.                     [stores, skus, ages]
        store_units: ``store_stock`` summed over ages, kept in step with it
            at every change (shelf refills read it instead of summing ages). [stores, skus]
        store_shelf: units of ``store_stock`` on the shelf.     [stores, skus]
        dc_stock: DC units on hand by age.                      [dcs, skus, ages]
        price_multiplier: current price / regular price (markdowns). [stores, skus]
        promotion_price: today's promotional price / regular price. [stores, skus]
        dc_new_orders: store orders not yet past a cut-off.     [stores, skus]
        dc_to_ship: store orders due at the next departure.     [stores, skus]
        store_in_transit: units on trucks to each store.        [stores, skus]
        dc_pending_supplier: DC orders waiting for the cut-off. [dcs, skus]
        dc_on_order: DC units ordered from suppliers, not arrived. [dcs, skus]
        sales_today, lost_today, demand_today: running day totals. [stores, skus]
        sales_yesterday, demand_yesterday: the previous day's.   [stores, skus]
        day_demand: the day's demand per tick.                   [stores, ticks, skus]
        served_ticks: ticks already issued per store.           [stores]
        shipments: trips under way (trucks and couriers carry network units).
        order_queue: per store, FIFO of [order_hours, units] not yet received.
    """

    store_stock: np.ndarray
    store_units: np.ndarray
    store_shelf: np.ndarray
    dc_stock: np.ndarray
    price_multiplier: np.ndarray
    promotion_price: np.ndarray
    dc_new_orders: np.ndarray
    dc_to_ship: np.ndarray
    store_in_transit: np.ndarray
    dc_pending_supplier: np.ndarray
    dc_on_order: np.ndarray
    dc_order_rate: np.ndarray  # [dcs, skus] smoothed daily store orders (pull-based DCs)
    sales_today: np.ndarray
    lost_today: np.ndarray
    demand_today: np.ndarray
    sales_yesterday: np.ndarray
    demand_yesterday: np.ndarray
    day_demand: np.ndarray
    served_ticks: np.ndarray
    shipments: list[Shipment] = field(default_factory=list)
    order_queue: list[list[list[float]]] = field(default_factory=list)
    in_transit_units: int = 0

    @classmethod
    def initial(cls, spec: NetworkSpec, n_ticks: int) -> NetworkState:
        n_st, n_dc, n_sku = spec.n_stores, spec.n_dcs, spec.n_skus
        ages = spec.skus.max_age_buckets
        ss = spec.store_sku
        # int32 by age halves the memory traffic of every pass over ages; every
        # total (on hand, counters, ledgers) is kept or summed in int64
        store_stock = np.zeros((n_st, n_sku, ages), dtype=np.int32)
        age = np.where(spec.skus.perishable[None, :], ss.initial_age_days, 0)
        np.put_along_axis(
            store_stock, age[:, :, None].astype(np.intp), ss.initial_on_hand[:, :, None], axis=2
        )
        dc_stock = np.zeros((n_dc, n_sku, ages), dtype=np.int32)
        dc_stock[:, :, 0] = spec.dc_initial_on_hand
        zeros = lambda shape: np.zeros(shape, dtype=np.int64)  # noqa: E731
        return cls(
            store_stock=store_stock,
            store_units=store_stock.sum(axis=2, dtype=np.int64),
            store_shelf=np.minimum(ss.initial_on_hand, ss.shelf_capacity_units).astype(np.int64),
            dc_stock=dc_stock,
            price_multiplier=np.ones((n_st, n_sku), dtype=np.float64),
            promotion_price=np.ones((n_st, n_sku), dtype=np.float64),
            dc_new_orders=zeros((n_st, n_sku)),
            dc_to_ship=zeros((n_st, n_sku)),
            store_in_transit=zeros((n_st, n_sku)),
            dc_pending_supplier=zeros((n_dc, n_sku)),
            dc_on_order=zeros((n_dc, n_sku)),
            dc_order_rate=np.zeros((n_dc, n_sku), dtype=np.float64),
            sales_today=zeros((n_st, n_sku)),
            lost_today=zeros((n_st, n_sku)),
            demand_today=zeros((n_st, n_sku)),
            sales_yesterday=ss.recent_sales_units.astype(np.int64).copy(),
            demand_yesterday=ss.recent_sales_units.astype(np.int64).copy(),
            # the largest array of a run: int32 halves it (ticks hold far fewer units)
            day_demand=np.zeros((n_st, n_ticks, n_sku), dtype=np.int32),
            served_ticks=np.zeros(n_st, dtype=np.int64),
            order_queue=[[] for _ in range(n_st)],
        )

    def store_on_hand(self) -> np.ndarray:
        """[stores, skus] units on hand (all ages). The live array: do not modify."""
        return self.store_units

    def dc_on_hand(self) -> np.ndarray:
        """[dcs, skus] units on hand at DCs."""
        return self.dc_stock.sum(axis=2)

    def store_on_order(self) -> np.ndarray:
        """[stores, skus] ordered from the DC and not yet received (queued + on trucks)."""
        return self.dc_new_orders + self.dc_to_ship + self.store_in_transit
