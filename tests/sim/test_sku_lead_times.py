"""Per-SKU supplier lead times: a SKU with its own arrives that many days after the DC's
order, the others on the supplier's draw, one delivery per distinct lead time."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import Simulation
from sim.enums import EventKind
from sim.errors import ConfigError
from sim.scenario import build_demand_source, load_scenario

TWO_SKUS = (
    "network.skus=[{id:yogurt_premium,category:dairy,shelf_life_days:14,unit_cost:1.2,"
    "price:2.49,case_pack:6,supplier:dairy_co},{id:yogurt_plain,category:dairy,"
    "shelf_life_days:14,unit_cost:0.9,price:1.79,case_pack:6,supplier:dairy_co,"
    "supplier_lead_time_days:4}]",
    "+demand.base_rate.A.yogurt_plain=2.0",
    "+demand.base_rate.B.yogurt_plain=2.0",
    "+demand.base_rate.C.yogurt_plain=2.0",
)


def arrivals(overrides: tuple[str, ...]) -> tuple[Simulation, list[float]]:
    scenario = load_scenario("yogurt_trio", overrides)
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=0, trace=True)
    sim.run_until(8.0)
    sim.submit_dc_orders(np.full((sim.spec.n_dcs, sim.spec.n_skus), 12, dtype=np.int64))
    sim.run_until(24.0 * 6)
    return sim, [e.time_hours for e in sim.trace if e.kind is EventKind.SUPPLIER_ARRIVAL]


def test_a_sku_with_its_own_lead_time_arrives_on_its_own_day():
    sim, hours = arrivals(TWO_SKUS)
    supplier = sim.spec.suppliers[0]
    own_day = 24.0 * 4 + supplier.arrival_hour  # ordered on day 0
    usual_day = 24.0 * round(supplier.lead_time_mean_days) + supplier.arrival_hour  # fixed
    assert hours == [usual_day, own_day]
    received = sim.counters_view().dc.received_units[0]
    assert received.tolist() == [12, 12]
    sim.assert_conserved()


def test_without_per_sku_lead_times_the_catalogue_holds_none():
    sim, hours = arrivals(())
    assert sim.spec.skus.supplier_lead_time_days is None and len(hours) == 1


def test_a_bad_lead_time_is_refused_by_name():
    bad = (TWO_SKUS[0].replace("supplier_lead_time_days:4", "supplier_lead_time_days:0"),)
    with pytest.raises(ConfigError, match=r"skus\[1\]\.supplier_lead_time_days: got 0"):
        load_scenario("yogurt_trio", bad + TWO_SKUS[1:])
