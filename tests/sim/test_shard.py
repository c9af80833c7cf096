"""Regions of a chain (sim.shard): a DC and its stores, cut out exactly, and their
counters merged back into the chain's."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from sim.demand.config import parametric_spec
from sim.demand.parametric import ParametricDemand
from sim.engine import Simulation
from sim.errors import ConfigError
from sim.ledger import Counters
from sim.rng import RandomStreams
from sim.scenario import Scenario, load_scenario
from sim.shard import region_demand, region_network, region_stores, served_regions


@cache
def regional_chain() -> Scenario:
    return load_scenario("regional_chain")


def test_regions_partition_the_stores_and_keep_every_parameter():
    chain = regional_chain().network
    regions = served_regions(chain)
    assert regions == [0, 1, 2, 3]
    rows = [region_stores(chain, dc) for dc in regions]
    assert sorted(np.concatenate(rows).tolist()) == list(range(chain.n_stores))
    for dc, kept in zip(regions, rows, strict=True):
        region = region_network(chain, dc)
        assert region.name == f"regional_chain/{chain.dcs[dc].dc_id}"
        assert [s.store_id for s in region.stores] == [chain.stores[i].store_id for i in kept]
        assert all(s.dc == 0 for s in region.stores)
        assert region.dcs[0].dc_id == chain.dcs[dc].dc_id
        for new, old in enumerate(kept):
            assert region.dcs[0].transit_hours[new] == chain.dcs[dc].transit_hours[int(old)]
        for name in ("shelf_capacity_units", "blocked", "initial_on_hand", "initial_age_days"):
            got = getattr(region.store_sku, name)
            np.testing.assert_array_equal(got, getattr(chain.store_sku, name)[kept], name)
        np.testing.assert_array_equal(region.dc_initial_on_hand, chain.dc_initial_on_hand[[dc]])
        assert region.skus is chain.skus and region.suppliers == chain.suppliers


def test_a_regions_demand_model_is_the_chains_for_its_stores():
    """Day 12 has the dairy promotion (all stores) and a stadium event at R010 and
    R011 (north, DC1): every factor is cut with the stores."""
    scenario = regional_chain()
    chain = scenario.network
    spec = parametric_spec(scenario.demand_cfg, chain)
    whole = ParametricDemand(spec, chain)
    prices = np.ones((chain.n_stores, chain.n_skus))
    expected = whole.expected_daily_units(12, RandomStreams(0), prices)
    for dc in served_regions(chain):
        rows = region_stores(chain, dc)
        cut = region_demand(spec, rows)
        assert len(cut.events) == (1 if dc == 0 else 0)
        model = ParametricDemand(cut, region_network(chain, dc))
        got = model.expected_daily_units(12, RandomStreams(0), prices[rows])
        np.testing.assert_array_equal(got, expected[rows])


def test_a_region_simulates_on_its_own_and_conserves_units():
    scenario = regional_chain()
    chain = scenario.network
    spec = parametric_spec(scenario.demand_cfg, chain)
    region = region_network(chain, 2)
    demand = ParametricDemand(region_demand(spec, region_stores(chain, 2)), region)
    sim = Simulation(region, demand, seed=5)
    sim.run_until(9.0)
    sim.submit_store_orders(np.where(region.store_sku.blocked, 0, 4).astype(float))
    sim.run_until(48.0)
    sim.assert_conserved()
    kpis = sim.kpis().chain
    assert kpis["sold_units"] > 0 and 0 < kpis["fill_rate"] <= 1


def test_a_dc_that_is_not_there_is_refused_by_name():
    chain = regional_chain().network
    with pytest.raises(ConfigError, match=r"region: got 9; allowed: a DC index in 0\.\.3"):
        region_network(chain, 9)


def test_liqun_chain_is_seed_scale_with_a_long_tail():
    scenario = load_scenario("liqun_chain")
    chain = scenario.network
    assert (chain.n_stores, chain.n_skus, chain.n_dcs) == (102, 100_000, 4)
    assert len({s.city for s in chain.stores}) == 45
    spec = parametric_spec(scenario.demand_cfg, chain)
    rate = ParametricDemand(spec, chain).expected_daily_units(
        0, RandomStreams(0), np.ones((chain.n_stores, chain.n_skus))
    )
    assert (rate < 1.0).mean() > 0.85  # most store-SKUs sell less than a unit a day
    # slow movers for which 150 and 390 days without a sale are likely (rate < 1/390)
    assert (rate < 1 / 390).mean() > 0.01
    largest = max(region_stores(chain, dc).size for dc in served_regions(chain))
    assert largest * chain.n_skus <= 4_000_000  # a region stays a few million store-SKUs


def test_regions_run_alone_give_the_chain_runs_kpis_exactly():
    """Same seed, same daily order-up-to decisions: the four regions simulated one by
    one, their counters merged, give every chain and store KPI of the chain's own
    run, and each region's ledger balances."""
    from scripts.bench_sim import drive_order_up_to
    from sim.kpis import compute_kpis
    from sim.shard import merge_chain_kpis, merge_counters

    scenario = regional_chain()
    chain = scenario.network
    spec = parametric_spec(scenario.demand_cfg, chain)
    whole = Simulation(chain, ParametricDemand(spec, chain), seed=7)
    drive_order_up_to(whole, 3)
    parts, totals = [], []
    for dc in served_regions(chain):
        region = region_network(chain, dc)
        demand = ParametricDemand(region_demand(spec, region_stores(chain, dc)), region)
        alone = Simulation(region, demand, seed=7)
        drive_order_up_to(alone, 3)
        alone.assert_conserved()
        assert alone.ledger()["balanced"].all()
        parts.append((dc, alone.counters_view()))
        report = alone.kpis()
        totals.append((dc, report.totals, alone.counters_view().network))
    merged = compute_kpis(chain, merge_counters(chain, parts), 72.0)
    expected = whole.kpis()
    np.testing.assert_equal(merged.chain, expected.chain)
    for name, values in expected.per_store.items():
        np.testing.assert_array_equal(merged.per_store[name], values, err_msg=name)
    assert expected.chain["sold_units"] > 0
    # what a sharded what-if ships back: the regions' totals, not their arrays
    from_totals = merge_chain_kpis(chain, totals, report.period_hours)
    assert from_totals.keys() == expected.chain.keys()
    for name, value in expected.chain.items():
        if name.endswith("_units") or name.startswith("transfers_count"):
            assert from_totals[name] == value, name  # counts: exactly
        else:  # money: the same sums added in another order
            np.testing.assert_allclose(from_totals[name], value, rtol=1e-12, err_msg=name)


def test_merging_refuses_a_missing_region_by_name():
    from sim.shard import merge_counters

    chain = regional_chain().network
    region = Counters.zeros(len(region_stores(chain, 0)), 1, chain.n_skus)
    with pytest.raises(ValueError, match=r"regions: got DCs \[0\]; allowed: each region"):
        merge_counters(chain, [(0, region)])


def test_only_chains_of_several_regions_and_their_cuts_draw_by_region():
    """One-region networks keep the episode's own streams (their results unchanged)."""
    chain = regional_chain().network
    assert chain.regional_streams and region_network(chain, 1).regional_streams
    assert not load_scenario("city_fresh").network.regional_streams
