"""Units are conserved to the unit after every event, on random networks and decisions."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.demand.base import ScheduledDemand
from sim.engine import Simulation
from sim.enums import IssuingRule, LeadTimeDistribution
from sim.spec import CourierPoolSpec, DcSpec, SupplierSpec
from sim.transfer import Transfer
from tests.sim.factory import catalog, network


@st.composite
def scenarios(draw):
    n_stores = draw(st.integers(1, 4))
    n_skus = draw(st.integers(1, 4))
    lives = draw(st.lists(st.integers(0, 4), min_size=n_skus, max_size=n_skus))
    skus = catalog(
        tuple(lives),
        case_pack=draw(st.lists(st.integers(1, 6), min_size=n_skus, max_size=n_skus)),
        break_pack=draw(st.lists(st.booleans(), min_size=n_skus, max_size=n_skus)),
        damage_rate=draw(
            st.lists(st.sampled_from([0.0, 0.05, 0.3]), min_size=n_skus, max_size=n_skus)
        ),
    )
    shape = (n_stores, n_skus)
    seed = draw(st.integers(0, 2**16))
    gen = np.random.default_rng(seed)
    dc = DcSpec(
        dc_id="DC",
        order_cutoff_hour=draw(st.sampled_from([6.0, 14.0])),
        departure_hour=draw(st.sampled_from([15.0, 20.0])),
        delivery_weekdays=tuple(draw(st.sets(st.integers(0, 6), min_size=1))),
        transit_hours={i: draw(st.sampled_from([2.0, 10.0, 30.0])) for i in range(n_stores)},
        pick_capacity_units_per_day=draw(st.integers(1, 200)),
        backorder=draw(st.booleans()),
        unlimited_stock=draw(st.booleans()),
        replenishment_cover_days=draw(st.sampled_from([0.0, 3.0])),
    )
    supplier = SupplierSpec(
        supplier_id="SUP",
        lead_time=draw(st.sampled_from(list(LeadTimeDistribution))),
        lead_time_mean_days=2.0,
        lead_time_min_days=0,
        lead_time_max_days=3,
        fill_rate=draw(st.sampled_from([1.0, 0.7])),
        moq_units=draw(st.integers(0, 10)),
        case_pack_units=draw(st.sampled_from([None, 5])),
    )
    couriers = draw(
        st.sampled_from([None, CourierPoolSpec(size=2, capacity_units=7, no_show_probability=0.3)])
    )
    net = network(
        skus,
        n_stores=n_stores,
        initial_on_hand=gen.integers(0, 20, shape),
        initial_age_days=(gen.random(shape) * np.maximum(lives, 1)).astype(np.int64),
        shelf_capacity=draw(st.integers(1, 30)),
        dc_stock=draw(st.integers(0, 50)),
        issuing=draw(st.sampled_from(list(IssuingRule))),
        fresh_first_share=draw(st.floats(0, 1)),
        dc=dc,
        supplier=supplier,
        couriers=couriers,
        blocked=gen.random(shape) < 0.15,
    )
    ticks = np.array([8.0, 11.0, 15.0, 19.0])
    demand = ScheduledDemand(gen.integers(0, 6, (3, n_stores, len(ticks), n_skus)), ticks, 3.0)
    return net, demand, seed


@settings(max_examples=150)
@given(scenarios(), st.integers(2, 6))
def test_units_are_conserved_after_every_event(scenario, days):
    net, demand, seed = scenario
    sim = Simulation(net, demand, seed=seed, check_conservation=True)
    gen = np.random.default_rng(seed + 1)
    shape = (net.n_stores, net.n_skus)
    for day in range(days):
        for hour in (7.0, 13.0):
            sim.run_until(24.0 * day + hour)
            sim.submit_store_orders(gen.integers(0, 15, shape))
            if not net.dcs[0].unlimited_stock:
                sim.submit_dc_orders(gen.integers(0, 30, (1, net.n_skus)))
            if net.couriers is not None and net.n_stores > 1:
                a, b = gen.choice(net.n_stores, 2, replace=False)
                units = gen.integers(0, 10, net.n_skus) * ~net.store_sku.blocked[b]
                sim.submit_transfers([Transfer(int(a), int(b), units)])
            sim.set_price_multiplier(gen.uniform(0.5, 1.0, shape))
    sim.run_until(24.0 * days + 0.5)
    sim.assert_conserved()
    kpis = sim.kpis()
    assert 0.0 <= kpis.chain["fill_rate"] <= 1.0
    assert (sim.snapshot().store_shelf <= sim.snapshot().store_on_hand).all()


@given(scenarios())
def test_every_nodes_ledger_balances(scenario):
    net, demand, seed = scenario
    sim = Simulation(net, demand, seed=seed)
    gen = np.random.default_rng(seed)
    sim.run_until(30.0)
    sim.reset_kpis()
    for day in range(1, 4):
        sim.run_until(24.0 * day + 9.0)
        sim.submit_store_orders(gen.integers(0, 15, (net.n_stores, net.n_skus)))
        if net.couriers is not None and net.n_stores > 1:
            sim.submit_transfers(
                [Transfer(0, 1, gen.integers(0, 10, net.n_skus) * ~net.store_sku.blocked[1])]
            )
    sim.run_until(24.0 * 4 + 12.0)
    ledger = sim.ledger()
    assert ledger.balanced.all(), ledger[~ledger.balanced]
