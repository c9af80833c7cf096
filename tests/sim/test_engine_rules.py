"""Hand-computed cases for the engine's rules (timing, costs, allocation, MOQ, shelf)."""

import numpy as np
import pytest

from sim.demand.base import ScheduledDemand
from sim.engine import Simulation
from sim.enums import DcReplenishmentBasis, LeadTimeDistribution, Stream
from sim.errors import ActionError
from sim.rng import RandomStreams
from sim.spec import CourierPoolSpec, DcSpec, SupplierSpec
from sim.transfer import Transfer
from tests.sim.factory import catalog, daily_demand, network


def zero_demand(n_stores=2, n_skus=2, days=1):
    return daily_demand(np.zeros((days, n_stores, n_skus), dtype=np.int64))


def test_courier_trip_timing_and_cost():
    pool = CourierPoolSpec(
        size=1,
        acceptance_delay_hours=0.25,
        speed_kmh=20.0,
        detour_factor=1.5,
        cost_per_trip=4.0,
        cost_per_km=0.5,
        capacity_units=100,
        no_show_probability=0.0,
        co2_kg_per_km=0.2,
    )
    net = network(
        couriers=pool,
        positions_km=[(0.0, 0.0), (3.0, 4.0)],
        initial_on_hand=np.array([[10, 0], [0, 0]]),
    )
    sim = Simulation(net, zero_demand(), seed=3, trace=True, check_conservation=True)
    sim.submit_transfers([Transfer(0, 1, np.array([6, 0]))])
    sim.run_until(2.0)
    delay = RandomStreams(3).stream(Stream.COURIER).exponential(0.25)
    km = 5.0 * 1.5  # straight line 5 km, detour 1.5
    pickup, delivery = (e for e in sim.trace if e.kind.value.startswith("courier_"))
    assert pickup.time_hours == pytest.approx(delay)
    assert delivery.time_hours == pytest.approx(delay + km / 20.0)
    net_c = sim.counters_view().network
    assert net_c.courier_cost == pytest.approx(4.0 + 0.5 * km)
    assert net_c.courier_km == pytest.approx(km)
    assert net_c.courier_co2_kg == pytest.approx(0.2 * km)
    assert sim.snapshot().store_on_hand.tolist() == [[4, 0], [6, 0]]


def test_courier_no_show_is_redispatched():
    pool = CourierPoolSpec(size=2, no_show_probability=0.5, capacity_units=100)
    net = network(couriers=pool, initial_on_hand=np.array([[50, 0], [0, 0]]))
    sim = Simulation(net, zero_demand(), seed=0, check_conservation=True)
    for _ in range(10):
        sim.submit_transfers([Transfer(0, 1, np.array([1, 0]))])
    sim.run_until(23.0)
    c = sim.counters_view().network
    assert c.courier_no_shows > 0  # seed 0 draws some no-shows among 10 trips
    assert c.courier_trips == 10 and c.courier_units == 10


def test_transfer_larger_than_capacity_is_split_into_trips():
    pool = CourierPoolSpec(size=3, capacity_units=4, no_show_probability=0.0)
    net = network(couriers=pool, initial_on_hand=np.array([[10, 5], [0, 0]]))
    sim = Simulation(net, zero_demand(), seed=1, check_conservation=True)
    assert sim.submit_transfers([Transfer(0, 1, np.array([7, 3]))]) == 3
    sim.run_until(5.0)
    assert sim.snapshot().store_on_hand.tolist() == [[3, 2], [7, 3]]


def test_dc_allocates_fairly_when_short():
    # stores ask 6 and 3 of sku0, the DC has 5: 3.33 -> 3 and 1.67 -> 2 (largest remainder)
    net = network(catalog((0,)), dc_stock=5)
    sim = Simulation(
        net, daily_demand(np.zeros((1, 2, 1), dtype=np.int64)), seed=0, check_conservation=True
    )
    sim.submit_store_orders(np.array([[6], [3]]))
    sim.run_until(30.0)  # trucks leave at 20:00 with 10 h transit: they arrive at 30.0
    assert sim.snapshot().store_on_hand.tolist() == [[0], [0]]
    sim.run_until(30.5)
    assert sim.snapshot().store_on_hand.tolist() == [[3], [2]]
    assert sim.counters_view().dc.cancelled_store_order_units.tolist() == [[4]]


def test_dc_backorders_when_configured():
    dc = DcSpec(dc_id="DC", transit_hours={0: 10.0, 1: 10.0}, backorder=True)
    net = network(catalog((0,)), dc_stock=5, dc=dc)
    sim = Simulation(net, daily_demand(np.zeros((1, 2, 1), dtype=np.int64)), seed=0)
    sim.submit_store_orders(np.array([[6], [3]]))
    sim.run_until(25.0)
    assert sim.snapshot().dc_backlog.tolist() == [[4]]


def test_store_orders_round_up_to_case_packs_and_refuse_blocked():
    skus = catalog((0, 0), case_pack=[6, 4], break_pack=[False, True])
    blocked = np.array([[False, True], [False, False]])
    net = network(skus, blocked=blocked, dc_stock=100)
    sim = Simulation(net, zero_demand(), seed=0)
    receipt = sim.submit_store_orders(np.array([[7, 3], [1, 3]]))
    assert receipt.accepted_units.tolist() == [[12, 0], [6, 3]]
    assert receipt.blocked_units.tolist() == [[0, 3], [0, 0]]
    assert receipt.rounded_up_units.tolist() == [[5, 0], [5, 0]]


def test_supplier_moq_case_pack_and_lead_time():
    sup = SupplierSpec(
        supplier_id="SUP",
        lead_time=LeadTimeDistribution.FIXED,
        lead_time_mean_days=2,
        moq_units=20,
        case_pack_units=12,
        order_cutoff_hour=10.0,
        arrival_hour=6.0,
    )
    net = network(catalog((0, 0)), supplier=sup)
    sim = Simulation(net, zero_demand(), seed=0, check_conservation=True)
    sim.submit_dc_orders(np.array([[5, 30]]))
    sim.run_until(11.0)
    # 5 -> MOQ 20 -> 2 cases of 12 = 24; 30 -> 3 cases = 36
    assert sim.snapshot().dc_on_order.tolist() == [[24, 36]]
    assert sim.counters_view().dc.moq_raised_units.tolist() == [[15, 0]]
    assert sim.counters_view().dc.case_pack_rounded_units.tolist() == [[4, 6]]
    sim.run_until(48.0 + 6.0)
    assert sim.snapshot().dc_on_hand.tolist() == [[0, 0]]  # arrives at 06:00 of day 2, not before
    sim.run_until(48.0 + 6.5)
    assert sim.snapshot().dc_on_hand.tolist() == [[24, 36]]


def test_shelf_limits_sales_until_restock():
    # shelf holds 3, backroom 7; 5 demanded in the 9:00 tick, before the 12:00 restock
    skus = catalog((0,))
    net = network(skus, n_stores=1, initial_on_hand=np.array([[10]]), shelf_capacity=3)
    dem = daily_demand(np.array([[[5]]]), tick_hour=9.0)
    sim = Simulation(net, dem, seed=0, check_conservation=True)
    sim.run_until(11.0)
    assert int(sim.counters_view().store.sold_units.sum()) == 3
    assert int(sim.counters_view().store.lost_units.sum()) == 2


def test_demand_of_a_tick_ending_at_a_delivery_is_served_before_it():
    # the truck arrives at 30.0 (06:00 of day 1). The 05:00-06:00 tick ends at the
    # arrival and is served from the stock before it; the 06:00-07:00 tick after it.
    net = network(catalog((0,)), n_stores=1, dc_stock=10)
    dem = ScheduledDemand(np.array([[[[4], [3]]]]), np.array([5.0, 6.0]), tick_length_hours=1.0)
    sim = Simulation(net, dem, seed=0, check_conservation=True)
    sim.submit_store_orders(np.array([[10]]))
    sim.run_days(2)
    assert int(sim.counters_view().store.lost_units.sum()) == 7 + 4
    assert int(sim.counters_view().store.sold_units.sum()) == 3


def test_expired_units_are_wasted_at_the_day_boundary():
    skus = catalog((2,))
    net = network(
        skus, n_stores=1, initial_on_hand=np.array([[5]]), initial_age_days=np.array([[1]])
    )
    sim = Simulation(net, daily_demand(np.array([[[2]]])), seed=0, check_conservation=True)
    sim.run_until(24.0)
    assert (
        int(sim.counters_view().store.wasted_units.sum()) == 0
    )  # the boundary at 24.0 is not yet processed
    sim.run_until(24.5)
    assert int(sim.counters_view().store.sold_units.sum()) == 2
    assert int(sim.counters_view().store.wasted_units.sum()) == 3


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        (np.zeros((3, 2)), "shape"),
        (np.array([[1.0, np.nan], [0, 0]]), "NaN"),
        (np.array([[1, -1], [0, 0]]), "negative"),
        (np.array([[1.5, 0], [0, 0]]), "fractional"),
        (np.array([[True, False], [False, False]]), "dtype"),
    ],
)
def test_invalid_orders_are_refused_with_a_clear_message(orders, message):
    sim = Simulation(network(), zero_demand(), seed=0)
    with pytest.raises(ActionError, match=message):
        sim.submit_store_orders(orders)
    assert not sim.context.state.dc_new_orders.any()


def test_invalid_transfers_are_refused():
    net = network(couriers=CourierPoolSpec())
    sim = Simulation(net, zero_demand(), seed=0)
    with pytest.raises(ActionError, match="origin equals destination"):
        sim.submit_transfers([Transfer(1, 1, np.array([1, 0]))])
    with pytest.raises(ActionError, match="store index"):
        sim.submit_transfers([Transfer(0, 5, np.array([1, 0]))])
    with pytest.raises(ActionError, match="no courier pool"):
        Simulation(network(), zero_demand(), seed=0).submit_transfers(
            [Transfer(0, 1, np.array([1, 0]))]
        )


def test_spec_refuses_starting_stock_past_its_shelf_life():
    with pytest.raises(ValueError, match=r"initial_age_days\[S0\]\[sku0\].*allowed: 0 .. 2"):
        network(
            catalog((3, 0)),
            initial_on_hand=np.array([[5, 0], [0, 0]]),
            initial_age_days=np.array([[3, 0], [0, 0]]),
        )


def test_a_pull_based_dc_buys_what_its_stores_ordered_and_holds_nothing():
    """Lead time 1 day, no cover: the DC's supplier order at 10:00 is exactly the stores'
    09:00 orders, it arrives at 03:00 and leaves at 04:00; the smoothed rate follows."""
    sup = SupplierSpec(
        supplier_id="SUP",
        lead_time=LeadTimeDistribution.FIXED,
        lead_time_mean_days=1,
        order_cutoff_hour=10.0,
        arrival_hour=3.0,
    )
    dc = DcSpec(
        dc_id="DC",
        order_cutoff_hour=2.0,
        departure_hour=4.0,
        transit_hours={0: 1.0, 1: 1.0},
        replenishment_basis=DcReplenishmentBasis.STORE_ORDERS,
        replenishment_cover_days=0.0,
        order_rate_smoothing=0.5,
    )
    net = network(catalog((3, 0)), supplier=sup, dc=dc)
    sim = Simulation(net, zero_demand(days=4), seed=0, check_conservation=True)
    sim.run_until(9.0)
    sim.submit_store_orders(np.array([[5, 2], [1, 4]]))
    sim.run_until(11.0)
    assert sim.snapshot().dc_on_order.tolist() == [[6, 6]]
    sim.run_until(24.0 + 3.5)  # the cut-off at 02:00 closed the book, the goods are in
    assert sim.context.state.dc_order_rate.tolist() == [[3.0, 3.0]]  # 0.5 × 6 + 0.5 × 0
    assert sim.snapshot().dc_on_hand.tolist() == [[6, 6]]
    sim.run_until(24.0 + 11.0)  # shipped at 04:00; nothing owed: nothing bought
    assert sim.snapshot().dc_on_hand.tolist() == [[0, 0]]
    assert sim.snapshot().dc_on_order.tolist() == [[0, 0]]
    assert sim.snapshot().store_on_hand.tolist() == [[5, 2], [1, 4]]


def test_a_pull_based_dc_with_cover_keeps_that_many_days_of_smoothed_orders():
    sup = SupplierSpec(supplier_id="SUP", lead_time=LeadTimeDistribution.FIXED,
                       lead_time_mean_days=1, order_cutoff_hour=10.0, arrival_hour=3.0)  # fmt: skip
    dc = DcSpec(dc_id="DC", order_cutoff_hour=2.0, departure_hour=4.0,
                transit_hours={0: 1.0, 1: 1.0}, order_rate_smoothing=0.5,
                replenishment_basis=DcReplenishmentBasis.STORE_ORDERS,
                replenishment_cover_days=1.0)  # fmt: skip
    net = network(catalog((3, 0)), supplier=sup, dc=dc)
    sim = Simulation(net, zero_demand(days=4), seed=0, check_conservation=True)
    sim.run_until(9.0)
    sim.submit_store_orders(np.array([[5, 2], [1, 4]]))
    sim.run_until(11.0)
    assert sim.snapshot().dc_on_order.tolist() == [[6, 6]]  # rate still 0 on day 0
    sim.run_until(24.0 + 11.0)  # rate 3 per SKU: one day of it (life 3 allows 2) is bought
    assert sim.snapshot().dc_on_order.tolist() == [[3, 3]]
