"""The shipped scenarios compose through Hydra and build the networks other
modules (demand configs, envs) rely on: ids, shapes and starting stock."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sim.enums import Category, IssuingRule, LeadTimeDistribution
from sim.scenario import (
    CONFIG_DIR,
    Scenario,
    build_demand_source,
    list_scenarios,
    load_network,
    load_scenario,
)
from sim.spec import NetworkSpec

SHIPPED = ["city_fresh", "regional_chain", "single_sku", "yogurt_trio"]
PREFIXES = {
    "LEAF": Category.LEAFY_VEGETABLES,
    "FRUIT": Category.FRUIT,
    "DAIRY": Category.DAIRY,
    "MEAL": Category.PREPARED_MEALS,
    "BAKE": Category.BAKERY,
    "AMB": Category.AMBIENT,
}


@pytest.fixture(scope="module")
def networks() -> dict[str, NetworkSpec]:
    return {name: load_network(name) for name in SHIPPED}


def _prefix_counts(net: NetworkSpec) -> Counter[str]:
    return Counter(sku_id.split("-")[0] for sku_id in net.skus.ids)


def _assert_numbered_within_category(net: NetworkSpec) -> None:
    by_prefix: dict[str, list[str]] = {}
    for sku_id, category in zip(net.skus.ids, net.skus.category.tolist(), strict=True):
        prefix = sku_id.split("-")[0]
        assert PREFIXES[prefix] == category, sku_id
        by_prefix.setdefault(prefix, []).append(sku_id)
    for prefix, ids in by_prefix.items():
        assert ids == [f"{prefix}-{n:04d}" for n in range(1, len(ids) + 1)]


def _assert_consistent(net: NetworkSpec) -> None:
    ss = net.store_sku
    assert (ss.facings_units <= ss.shelf_capacity_units).all()
    assert (ss.initial_on_hand >= 0).all() and (net.dc_initial_on_hand >= 0).all()
    life = net.skus.shelf_life_days[None, :]
    stocked = ss.initial_on_hand > 0
    assert (
        ss.initial_age_days[stocked & (life > 0)]
        < np.broadcast_to(life, stocked.shape)[stocked & (life > 0)]
    ).all()
    for dc_index, dc in enumerate(net.dcs):
        served = {i for i, s in enumerate(net.stores) if s.dc == dc_index}
        assert served <= set(dc.transit_hours)


def test_list_scenarios_finds_the_shipped_networks() -> None:
    assert set(SHIPPED) <= set(list_scenarios())


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_network_builds(networks: dict[str, NetworkSpec], name: str) -> None:
    net = networks[name]
    assert net.name == name
    _assert_consistent(net)


def test_single_sku(networks: dict[str, NetworkSpec]) -> None:
    net = networks["single_sku"]
    assert [s.store_id for s in net.stores] == ["store"]
    assert net.skus.ids == ("item",)
    assert [d.dc_id for d in net.dcs] == ["vendor"]
    assert [s.supplier_id for s in net.suppliers] == ["vendor_supplier"]
    store, dc = net.stores[0], net.dcs[0]
    assert (store.open_hour, store.close_hour, store.issuing) == (0, 24, IssuingRule.FIFO)
    assert dc.unlimited_stock and dc.delivery_weekdays == tuple(range(7))
    assert dc.transit_hours == {0: 24.0}
    assert net.skus.shelf_life_days.tolist() == [0]
    assert (net.skus.unit_cost[0], net.skus.price[0]) == (3.0, 8.0)
    assert net.couriers is None


def test_yogurt_trio(networks: dict[str, NetworkSpec]) -> None:
    net = networks["yogurt_trio"]
    assert [s.store_id for s in net.stores] == ["A", "B", "C"]
    assert net.skus.ids == ("yogurt_premium",)
    assert net.skus.category.tolist() == [Category.DAIRY]
    assert net.skus.shelf_life_days.tolist() == [14]
    assert [d.dc_id for d in net.dcs] == ["dc_city"]
    ss = net.store_sku
    assert ss.initial_on_hand[:, 0].tolist() == [48, 5, 12]
    assert ss.initial_age_days[:, 0].tolist() == [10, 10, 10]  # 4 days of shelf life left
    assert ss.recent_sales_units[:, 0].tolist() == [3, 8, 6]
    assert net.couriers is not None
    assert (net.couriers.size, net.couriers.acceptance_delay_hours) == (3, 0.25)
    xy = net.store_positions_km()
    distances = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    off_diagonal = distances[~np.eye(3, dtype=bool)]
    assert (off_diagonal >= 2).all() and (off_diagonal <= 5).all()


def test_city_fresh(networks: dict[str, NetworkSpec]) -> None:
    net = networks["city_fresh"]
    assert [s.store_id for s in net.stores] == [f"S{n:02d}" for n in range(1, 13)]
    assert [d.dc_id for d in net.dcs] == ["DC1"]
    assert _prefix_counts(net) == {
        "LEAF": 30,
        "FRUIT": 35,
        "DAIRY": 40,
        "MEAL": 25,
        "BAKE": 20,
        "AMB": 50,
    }
    _assert_numbered_within_category(net)
    life = {
        PREFIXES[p]: d
        for p, d in {"LEAF": 4, "FRUIT": 7, "DAIRY": 14, "MEAL": 3, "BAKE": 2, "AMB": 0}.items()
    }
    for category, days in life.items():
        assert (net.skus.shelf_life_days[net.skus.category == category] == days).all()
    suppliers = {s.supplier_id: s for s in net.suppliers}
    supplier_of = {
        PREFIXES[sku_id.split("-")[0]]: net.suppliers[k].supplier_id
        for sku_id, k in zip(net.skus.ids, net.skus.supplier.tolist(), strict=True)
    }
    assert supplier_of == {
        Category.LEAFY_VEGETABLES: "fresh_farms",
        Category.FRUIT: "fresh_farms",
        Category.DAIRY: "dairy_co",
        Category.PREPARED_MEALS: "kitchen",
        Category.BAKERY: "kitchen",
        Category.AMBIENT: "ambient_wholesale",
    }
    assert suppliers["fresh_farms"].lead_time_mean_days == 1
    kitchen = suppliers["kitchen"]
    assert (kitchen.lead_time, kitchen.lead_time_mean_days) == (LeadTimeDistribution.FIXED, 1)
    ambient = suppliers["ambient_wholesale"]
    assert ambient.lead_time is LeadTimeDistribution.SHIFTED_POISSON
    assert (ambient.lead_time_mean_days, ambient.fill_rate) == (4, 0.95)
    assert ambient.moq_units > 0
    assert net.couriers is not None and net.couriers.size == 6
    assert net.dcs[0].buys_for_itself  # pull-based: it buys what its stores order
    xy = net.store_positions_km()
    assert np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)).max() <= 8.5
    ss = net.store_sku
    blocking_stores = np.flatnonzero(ss.blocked.any(axis=1))
    assert 1 <= len(blocking_stores) <= 2
    # A few days of cover: every unblocked pair starts with stock.
    assert (ss.initial_on_hand[~ss.blocked] > 0).all()
    assert (ss.initial_on_hand[ss.blocked] == 0).all()
    assert net.dc_initial_on_hand.min() > 0


def test_regional_chain_shape_and_build_time() -> None:
    start = time.perf_counter()
    net = load_network("regional_chain")
    seconds = time.perf_counter() - start
    print(f"regional_chain: compose + build in {seconds:.2f} s")
    assert seconds < 5.0
    assert [s.store_id for s in net.stores] == [f"R{n:03d}" for n in range(1, 101)]
    assert [d.dc_id for d in net.dcs] == ["DC1", "DC2", "DC3", "DC4"]
    store_dc = net.store_dc()
    for dc in range(4):
        assert store_dc[25 * dc : 25 * dc + 25].tolist() == [dc] * 25
        assert len({s.city for s in net.stores[25 * dc : 25 * dc + 25]}) == 1
    assert len({s.city for s in net.stores}) == 4
    assert net.n_skus == 10_000
    assert _prefix_counts(net) == {
        "LEAF": 800,
        "FRUIT": 1200,
        "DAIRY": 1500,
        "MEAL": 700,
        "BAKE": 800,
        "AMB": 5000,
    }
    _assert_numbered_within_category(net)
    assert (net.skus.shelf_life_days[net.skus.category == Category.DAIRY] == 14).all()
    assert all(s.lead_time_max_days >= 1 for s in net.suppliers)
    assert net.store_sku.initial_on_hand.shape == (100, 10_000)
    _assert_consistent(net)


def test_networks_are_deterministic(networks: dict[str, NetworkSpec]) -> None:
    again = load_network("city_fresh")
    first = networks["city_fresh"]
    assert first.skus.ids == again.skus.ids
    assert np.array_equal(first.skus.price, again.skus.price)
    assert np.array_equal(first.store_sku.initial_on_hand, again.store_sku.initial_on_hand)
    assert np.array_equal(first.dc_initial_on_hand, again.dc_initial_on_hand)


def test_overrides_reach_the_network() -> None:
    net = load_network(
        "yogurt_trio", ["network.couriers.size=5", "network.dcs.0.transit_hours_default=5"]
    )
    assert net.couriers is not None and net.couriers.size == 5
    assert net.dcs[0].transit_hours == {0: 5.0, 1: 5.0, 2: 5.0}


def test_composes_inside_an_initialised_hydra(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text("x: 1\n")
    with initialize_config_dir(version_base="1.3", config_dir=str(tmp_path)):
        assert load_network("single_sku").n_skus == 1
        # The caller's Hydra is left as it was.
        assert GlobalHydra.instance().is_initialized()
    assert not GlobalHydra.instance().is_initialized()


def test_custom_config_dir(tmp_path: Path) -> None:
    (tmp_path / "network").mkdir()
    (tmp_path / "demand").mkdir()
    (tmp_path / "sim.yaml").write_text(
        (CONFIG_DIR / "sim.yaml").read_text().replace("city_fresh", "tiny")
    )
    (tmp_path / "network" / "tiny.yaml").write_text(
        (CONFIG_DIR / "network" / "single_sku.yaml").read_text()
    )
    (tmp_path / "demand" / "tiny.yaml").write_text("kind: parametric\nanswer: 42\n")
    assert list_scenarios(tmp_path) == ["tiny"]
    scenario = load_scenario("tiny", ["days=7", "seed=3"], config_dir=tmp_path)
    assert isinstance(scenario, Scenario)
    assert scenario.name == "tiny" and scenario.network.name == "tiny"
    assert scenario.demand_cfg == {"kind": "parametric", "answer": 42}
    assert (scenario.seed, scenario.days) == (3, 7)
    assert scenario.config_dir == tmp_path.resolve()


def _has_demand_config(name: str) -> bool:
    return (CONFIG_DIR / "demand" / f"{name}.yaml").is_file()


@pytest.mark.parametrize("name", ["single_sku", "yogurt_trio", "city_fresh"])
def test_load_scenario_with_its_demand(name: str) -> None:
    if not _has_demand_config(name):
        pytest.skip(f"configs/demand/{name}.yaml is not written yet")
    scenario = load_scenario(name)
    assert scenario.network.name == name
    assert isinstance(scenario.demand_cfg, dict)
    assert (scenario.seed, scenario.days) == (0, 14)
    pytest.importorskip("sim.demand.config")
    from sim.demand.base import DemandSource

    source = build_demand_source(scenario)
    assert isinstance(source, DemandSource)
