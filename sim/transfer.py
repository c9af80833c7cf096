"""A store-to-store transfer request and how it is split into courier trips (numpy only).

Drivers (rules, envs, the serving planner) build ``Transfer`` objects without
importing the simulator's processes; ``Simulation.submit_transfers`` sends them.
``TransferInputs`` is what a transfer planner (the rules, a learned scorer) reads:
a city's state as dense [stores, skus] arrays, built from the one store-SKU view.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from sim.store_sku import StoreSkuView

if TYPE_CHECKING:
    from sim.spec import NetworkSpec


@dataclass(frozen=True)
class Transfer:
    """A request to move units from one store to another.

    Attributes:
        origin: store index that gives.
        destination: store index that receives.
        units: [skus] non-negative integer units per SKU.
    """

    origin: int
    destination: int
    units: np.ndarray


def split_into_trips(units: np.ndarray, capacity: int) -> list[np.ndarray]:
    """Split a [skus] vector into loads of at most ``capacity`` units, in SKU order."""
    total = int(units.sum())
    hi = np.cumsum(units)
    lo = hi - units
    trips = []
    for start in range(0, total, capacity):
        load = np.clip(np.minimum(hi, start + capacity) - np.maximum(lo, start), 0, None)
        trips.append(load.astype(np.int64))
    return trips


@dataclass(frozen=True)
class TransferInputs:
    """The city's state, all [stores, skus] unless noted.

    Attributes:
        on_hand_by_life: [stores, skus, R] units by remaining life (index r-1 = r days left).
        forecast_daily: expected daily demand.
        arriving_units: units already on the way (trucks, couriers) within the horizon.
        on_promotion: promotion flags.
        shelf_life_days: [skus] (0 = non-perishable).
        price, disposal_cost_per_unit: [skus].
        road_km: [stores, stores]; same_city: [stores, stores] bool.
        blocked: store may not sell the SKU.
        cost_per_trip, cost_per_km: the courier tariff.
        trip_cost, km_cost: [stores, stores] the tariff of each pair where the network's
            tiers set their own (``CourierPoolSpec.tier_pairs``); None: the tariff above.
    """

    on_hand_by_life: np.ndarray
    forecast_daily: np.ndarray
    arriving_units: np.ndarray
    on_promotion: np.ndarray
    shelf_life_days: np.ndarray
    price: np.ndarray
    disposal_cost_per_unit: np.ndarray
    road_km: np.ndarray
    same_city: np.ndarray
    blocked: np.ndarray
    cost_per_trip: float
    cost_per_km: float
    trip_cost: np.ndarray | None = None
    km_cost: np.ndarray | None = None

    def courier_cost(self, origin: int, destination: int) -> float:
        """One courier trip from ``origin`` to ``destination``: per trip + per road km."""
        km = float(self.road_km[origin, destination])
        if self.trip_cost is None or self.km_cost is None:
            return self.cost_per_trip + self.cost_per_km * km
        return float(self.trip_cost[origin, destination] + self.km_cost[origin, destination] * km)

    @classmethod
    def from_view(
        cls,
        view: StoreSkuView,
        store_of_row: np.ndarray,
        sku_of_row: np.ndarray,
        shape: tuple[int, int],
        *,
        road_km: np.ndarray,
        same_city: np.ndarray,
        cost_per_trip: float,
        cost_per_km: float,
        blocked: np.ndarray | None = None,
    ) -> TransferInputs:
        """The rules' dense [stores, skus] grid from the one store-SKU view.

        Args:
            view: the rows (a rules' view: ``on_hand_by_life`` and the money filled).
            store_of_row, sku_of_row: each row's place in the grid.
            shape: (stores, skus) of the grid; pairs with no row hold nothing.
            blocked: [stores, skus] where the grid's pairs may not be sold (default:
                the rows' flags, False where there is no row).
        """

        def dense(values: np.ndarray) -> np.ndarray:
            out = np.zeros(shape)
            out[store_of_row, sku_of_row] = values
            return out

        def per_sku(values: np.ndarray, dtype: type) -> np.ndarray:
            out = np.zeros(shape[1], dtype=dtype)
            out[sku_of_row] = values
            return out

        by_life = np.zeros((*shape, view.on_hand_by_life.shape[1]), view.on_hand_by_life.dtype)
        by_life[store_of_row, sku_of_row] = view.on_hand_by_life
        return cls(
            on_hand_by_life=by_life,
            forecast_daily=dense(view.forecast_daily),
            arriving_units=dense(view.arriving_1d),
            on_promotion=dense(view.on_promotion.astype(np.float64)),
            shelf_life_days=per_sku(view.shelf_life_days, np.int64),
            price=per_sku(view.price, np.float64),
            disposal_cost_per_unit=per_sku(view.waste_cost_per_unit, np.float64),
            road_km=road_km,
            same_city=same_city,
            blocked=dense(view.blocked).astype(bool) if blocked is None else blocked,
            cost_per_trip=cost_per_trip,
            cost_per_km=cost_per_km,
        )

    @classmethod
    def for_network(
        cls, view: StoreSkuView, network: NetworkSpec, road_km: np.ndarray
    ) -> TransferInputs:
        """The whole network's grid from a store-major view of every store-SKU
        (row = store × n_skus + sku), with the network's cities and courier tariff."""
        pool = network.couriers
        cities = np.array([s.city for s in network.stores])
        rows = np.arange(network.n_stores * network.n_skus)
        x = cls.from_view(
            view,
            rows // network.n_skus,
            rows % network.n_skus,
            (network.n_stores, network.n_skus),
            road_km=road_km,
            same_city=cities[:, None] == cities[None, :],
            cost_per_trip=pool.cost_per_trip if pool else float("inf"),
            cost_per_km=pool.cost_per_km if pool else float("inf"),
        )
        if pool is None or not pool.tier_pairs:
            return x
        _, trip_cost, km_cost = network.courier_pair_terms()
        return replace(x, trip_cost=trip_cost, km_cost=km_cost)
