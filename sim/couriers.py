"""Same-city store-to-store transfers through the courier pool.

A transfer request becomes one or more trips (at most ``capacity_units`` each,
filled SKU by SKU in catalogue order). Each trip:

1. waits for a free courier of the pool (a SimPy resource of ``size``);
2. the courier accepts and comes to the origin: an exponential delay with mean
   ``acceptance_delay_hours`` (courier stream);
3. with probability ``no_show_probability`` the courier never shows up: the
   trip goes back to the pool and is re-dispatched to another courier (the
   wait and delay start again; the no-show is counted); with ``late_after_hours``
   a courier not there by then is given up on and the trip re-dispatched the same way
   (counted as a late re-dispatch);
4. at pickup the origin serves its demand so far, then hands over up to the
   requested units, oldest first (what sold meanwhile is counted as short pick);
5. travel time = straight-line km × detour factor / speed; at arrival the
   destination serves its demand so far, takes the units in and refills its shelf.

Cost per trip = ``cost_per_trip + cost_per_km × loaded km``; a trip that finds
nothing to pick up still pays ``cost_per_trip``. CO2 = km × ``co2_kg_per_km``. A pair of
store tiers listed in ``tier_pairs`` has its own lead time (pickup to delivery, instead
of km / speed) and tariff.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.context import UrgentTimeout
from sim.enums import EventKind, Stream
from sim.ledger import PairFlow
from sim.state import Shipment, ShipmentKind
from sim.stores import receive, serve_until, take_for_transfer

if TYPE_CHECKING:
    from sim.context import SimContext


def courier_trip(
    ctx: SimContext, origin: int, destination: int, units: np.ndarray
) -> Generator[simpy.Event, None, None]:
    pool = ctx.spec.couriers
    assert pool is not None
    rng = ctx.store_streams(origin).stream(Stream.COURIER)
    pool_of_origin = ctx.courier_pool(origin)
    net = ctx.counters.network
    requested_at = ctx.now
    if ctx.env.now < requested_at:
        # started by a driver at ``requested_at``: begin there, before ordinary events
        yield UrgentTimeout(ctx.env, requested_at - ctx.env.now)
    while True:
        request = pool_of_origin.request()
        yield request
        accepted_at = ctx.env.now
        delay = float(rng.exponential(pool.acceptance_delay_hours))
        late = pool.late_after_hours
        if late is not None and delay > late:  # given up on after ``late`` hours
            yield ctx.env.timeout(late)
            net.courier_late_redispatches += 1
            pool_of_origin.release(request)
            ctx.record(EventKind.COURIER_NO_SHOW, origin, f"late by {late:g} h: re-dispatching")
            continue
        yield ctx.env.timeout(delay)
        if rng.random() < pool.no_show_probability:
            net.courier_no_shows += 1
            pool_of_origin.release(request)
            ctx.record(EventKind.COURIER_NO_SHOW, origin, "re-dispatching")
            continue
        break
    serve_until(ctx, origin, ctx.env.now)
    taken = take_for_transfer(ctx, origin, units)
    carried = taken.sum(axis=1)
    short = int(units.sum() - carried.sum())
    net.courier_short_pick_units += short
    net.courier_trips += 1
    trip_cost = float(ctx.courier_trip_cost[origin, destination])
    net.courier_cost += trip_cost
    pair = (origin, destination)
    flow = net.transfer_pairs.setdefault(pair, PairFlow())
    flow.trips += 1
    flow.courier_cost += trip_cost
    ctx.record(
        EventKind.COURIER_PICKUP,
        origin,
        f"to={ctx.spec.stores[destination].store_id} units={int(carried.sum())} short={short}",
    )
    if not carried.any():
        net.courier_busy_hours += ctx.env.now - accepted_at
        pool_of_origin.release(request)
        return
    ctx.counters.store.transfer_out_units[origin] += carried
    st = ctx.state
    shipment = Shipment(
        ShipmentKind.COURIER, origin, destination, taken, ctx.env.now, 0.0, requested_at
    )
    km = float(ctx.road_km[origin, destination])
    lead = float(ctx.courier_lead_hours[origin, destination])  # a tier pair's own, or NaN
    shipment.arrive_hours = ctx.env.now + (km / pool.speed_kmh if np.isnan(lead) else lead)
    st.shipments.append(shipment)
    st.in_transit_units += int(carried.sum())
    yield ctx.env.timeout(shipment.arrive_hours - ctx.env.now)
    serve_until(ctx, destination, ctx.env.now)
    st.shipments.remove(shipment)
    st.in_transit_units -= int(carried.sum())
    accepted, wasted, _ = receive(ctx, destination, taken, shipment.depart_hours, from_truck=False)
    ctx.counters.store.transfer_in_units[destination] += carried
    net.courier_units += int(carried.sum())
    net.transfer_flows[pair] = net.transfer_flows.get(pair, 0) + int(carried.sum())
    net.courier_km += km
    km_cost = float(ctx.courier_km_cost[origin, destination]) * km
    net.courier_cost += km_cost
    net.courier_co2_kg += pool.co2_kg_per_km * km
    # the pair's entry may be a new one: the period's counters are reset at the end of the
    # warm-up while a trip picked up before it is on the road
    flow = net.transfer_pairs.setdefault(pair, PairFlow())
    flow.units += int(carried.sum())
    flow.km += km
    flow.courier_cost += km_cost
    flow.co2_kg += pool.co2_kg_per_km * km
    skus = ctx.spec.skus
    flow.value_at_cost += float(carried @ skus.unit_cost)
    flow.value_at_price += float(carried @ skus.price)
    net.courier_busy_hours += ctx.env.now - accepted_at
    net.transfer_response_hours_sum += ctx.env.now - requested_at
    pool_of_origin.release(request)
    ctx.record(
        EventKind.COURIER_DELIVERY,
        destination,
        f"from={ctx.spec.stores[origin].store_id} units={accepted} km={km:.2f} wasted={wasted}",
    )
