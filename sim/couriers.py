"""Same-city store-to-store transfers through the courier pool.

A transfer request becomes one or more trips (at most ``capacity_units`` each,
filled SKU by SKU in catalogue order). Each trip:

1. waits for a free courier of the pool (a SimPy resource of ``size``);
2. the courier accepts and comes to the origin: an exponential delay with mean
   ``acceptance_delay_hours`` (courier stream);
3. with probability ``no_show_probability`` the courier never shows up: the
   trip goes back to the pool and is re-dispatched to another courier (the
   wait and delay start again; the no-show is counted);
4. at pickup the origin serves its demand so far, then hands over up to the
   requested units, oldest first (what sold meanwhile is counted as short pick);
5. travel time = straight-line km × detour factor / speed; at arrival the
   destination serves its demand so far, takes the units in and refills its shelf.

Cost per trip = ``cost_per_trip + cost_per_km × loaded km``; a trip that finds
nothing to pick up still pays ``cost_per_trip``. CO2 = km × ``co2_kg_per_km``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.enums import EventKind, Stream
from sim.state import Shipment, ShipmentKind
from sim.stores import receive, serve_until, take_for_transfer

if TYPE_CHECKING:
    from sim.engine import Simulation


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


def courier_trip(
    sim: Simulation, origin: int, destination: int, units: np.ndarray
) -> Generator[simpy.Event, None, None]:
    pool = sim.spec.couriers
    assert pool is not None
    rng = sim.streams.stream(Stream.COURIER)
    net = sim.counters.network
    requested_at = sim.env.now
    while True:
        request = sim.courier_pool.request()
        yield request
        accepted_at = sim.env.now
        yield sim.env.timeout(float(rng.exponential(pool.acceptance_delay_hours)))
        if rng.random() < pool.no_show_probability:
            net.courier_no_shows += 1
            sim.courier_pool.release(request)
            sim.record(EventKind.COURIER_NO_SHOW, origin, "re-dispatching")
            continue
        break
    serve_until(sim, origin, sim.env.now)
    taken = take_for_transfer(sim, origin, units)
    carried = taken.sum(axis=1)
    short = int(units.sum() - carried.sum())
    net.courier_short_pick_units += short
    net.courier_trips += 1
    net.courier_cost += pool.cost_per_trip
    sim.record(
        EventKind.COURIER_PICKUP,
        origin,
        f"to={sim.spec.stores[destination].store_id} units={int(carried.sum())} short={short}",
    )
    if not carried.any():
        net.courier_busy_hours += sim.env.now - accepted_at
        sim.courier_pool.release(request)
        return
    sim.counters.store.transfer_out_units[origin] += carried
    st = sim.state
    shipment = Shipment(
        ShipmentKind.COURIER, origin, destination, taken, sim.env.now, 0.0, requested_at
    )
    km = float(sim.road_km[origin, destination])
    shipment.arrive_hours = sim.env.now + km / pool.speed_kmh
    st.shipments.append(shipment)
    st.in_transit_units += int(carried.sum())
    yield sim.env.timeout(shipment.arrive_hours - sim.env.now)
    serve_until(sim, destination, sim.env.now)
    st.shipments.remove(shipment)
    st.in_transit_units -= int(carried.sum())
    accepted, wasted, _ = receive(sim, destination, taken, shipment.depart_hours, from_truck=False)
    sim.counters.store.transfer_in_units[destination] += carried
    net.courier_units += int(carried.sum())
    pair = (origin, destination)
    net.transfer_flows[pair] = net.transfer_flows.get(pair, 0) + int(carried.sum())
    net.courier_km += km
    net.courier_cost += pool.cost_per_km * km
    net.courier_co2_kg += pool.co2_kg_per_km * km
    net.courier_busy_hours += sim.env.now - accepted_at
    net.transfer_response_hours_sum += sim.env.now - requested_at
    sim.courier_pool.release(request)
    sim.record(
        EventKind.COURIER_DELIVERY,
        destination,
        f"from={sim.spec.stores[origin].store_id} units={accepted} km={km:.2f} wasted={wasted}",
    )
