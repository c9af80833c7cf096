"""build_network: what a valid config builds, and that every bad value is refused
with a ConfigError naming its dotted field and what is allowed."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from omegaconf import OmegaConf

from sim.config import build_network
from sim.enums import Category, IssuingRule, LeadTimeDistribution
from sim.errors import ConfigError
from sim.spec import DcSpec, StoreSpec, SupplierSpec


class _Delete:
    """Marks a key to remove; its repr keeps test ids stable across processes (pytest -n)."""

    def __repr__(self) -> str:
        return "<deleted>"


_DELETE = _Delete()


def tiny_config() -> dict[str, Any]:
    """Two suppliers, one DC, two stores, two SKUs: small enough to check by hand."""
    return {
        "name": "tiny",
        "suppliers": [
            {"id": "sup0", "lead_time": "fixed", "lead_time_mean_days": 1},
            {
                "id": "sup1",
                "lead_time": "uniform",
                "lead_time_min_days": 1,
                "lead_time_max_days": 3,
            },
        ],
        "dcs": [
            {
                "id": "D0",
                "order_cutoff_hour": 14,
                "departure_hour": 20,
                "transit_hours_default": 2,
                "transit_hours": {"s1": 3},
            },
        ],
        "stores": [
            {"id": "s0", "x_km": 0.0, "y_km": 0.0, "dc": "D0", "open_hour": 8, "close_hour": 22},
            {
                "id": "s1",
                "x_km": 1.0,
                "y_km": 2.0,
                "dc": "D0",
                "issuing": "mixed",
                "fresh_first_share": 0.4,
            },
        ],
        "skus": [
            {
                "id": "milk",
                "category": "dairy",
                "shelf_life_days": 7,
                "unit_cost": 1.0,
                "price": 2.0,
                "supplier": "sup0",
            },
            {
                "id": "rice",
                "category": "ambient",
                "unit_cost": 2.0,
                "price": 3.0,
                "case_pack": 12,
                "supplier": "sup1",
            },
        ],
        "couriers": {"size": 2},
        "store_sku": {
            "default": {
                "shelf_capacity_units": 20,
                "facings_units": 2,
                "initial_on_hand": 5,
                "initial_age_days": 1,
            },
        },
        "dc_initial": {"units": 10},
    }


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _tokens(path: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _TOKEN.findall(path)]


def set_path(cfg: dict[str, Any], path: str, value: Any) -> None:
    """Set (or with ``_DELETE`` remove) ``cfg`` at a dotted path like ``stores[0].dc``."""
    *parents, last = _tokens(path)
    node: Any = cfg
    for token in parents:
        node = node[token]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value


def assert_refused(cfg: dict[str, Any], field: str, *allowed: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        build_network(cfg)
    err = info.value
    assert err.field == field, str(err)
    for text in allowed:
        assert text in err.allowed, str(err)
    assert field in str(err)
    return err


# --------------------------------------------------------------------------------------
# What a valid config builds.


def test_tiny_config_builds_with_dataclass_defaults() -> None:
    net = build_network(tiny_config())
    assert net.name == "tiny"
    assert net.skus.ids == ("milk", "rice")
    assert net.skus.category.tolist() == [Category.DAIRY, Category.AMBIENT]
    assert net.skus.shelf_life_days.tolist() == [7, 0]  # null / absent: non-perishable
    assert net.skus.supplier.tolist() == [0, 1]
    store_default = StoreSpec(store_id="", x_km=0, y_km=0, dc=0)
    assert net.stores[1].open_hour == store_default.open_hour
    assert net.stores[1].restock_hours == store_default.restock_hours
    assert net.stores[1].issuing is IssuingRule.MIXED
    dc_default = DcSpec(dc_id="")
    assert net.dcs[0].delivery_weekdays == dc_default.delivery_weekdays
    assert net.dcs[0].transit_hours == {0: 2.0, 1: 3.0}
    supplier = net.suppliers[0]
    assert supplier.lead_time is LeadTimeDistribution.FIXED
    # A fixed lead time is its own minimum and maximum.
    assert (supplier.lead_time_min_days, supplier.lead_time_max_days) == (1, 1)
    assert net.suppliers[1].fill_rate == SupplierSpec(supplier_id="").fill_rate
    assert net.couriers is not None and net.couriers.size == 2
    assert net.store_sku.initial_on_hand.tolist() == [[5, 5], [5, 5]]
    # Non-perishables have one age bucket.
    assert net.store_sku.initial_age_days.tolist() == [[1, 0], [1, 0]]
    assert net.dc_initial_on_hand.tolist() == [[10, 10]]


def test_accepts_dictconfig_and_name_keyword() -> None:
    net = build_network(OmegaConf.create(tiny_config()), name="renamed")
    assert net.name == "renamed"
    assert net.n_stores == 2


def test_names_are_case_insensitive() -> None:
    cfg = tiny_config()
    set_path(cfg, "skus[0].category", "DAIRY")
    set_path(cfg, "stores[0].issuing", "LIFO")
    set_path(cfg, "suppliers[1].lead_time", "Shifted_Poisson")
    set_path(cfg, "suppliers[1].lead_time_mean_days", 2)
    net = build_network(cfg)
    assert net.skus.category[0] == Category.DAIRY
    assert net.stores[0].issuing is IssuingRule.LIFO
    assert net.suppliers[1].lead_time is LeadTimeDistribution.SHIFTED_POISSON


def test_no_couriers_when_absent_or_null() -> None:
    cfg = tiny_config()
    cfg["couriers"] = None
    assert build_network(cfg).couriers is None
    del cfg["couriers"]
    assert build_network(cfg).couriers is None


def test_store_sku_layers_apply_in_order() -> None:
    cfg = tiny_config()
    cfg["store_sku"] = {
        "default": {"daily_units_hint": 4, "initial_days_of_cover": 2},
        "by_category": {"Ambient": {"daily_units_hint": 1, "shelf_capacity_units": 50}},
        "overrides": [
            {"store": "s1", "sku": "milk", "initial_on_hand": 9, "recent_sales_units": 6},
            {"store": ["s0", "s1"], "category": "dairy", "facings_units": 3},
        ],
        "blocked": {"s0": ["rice"]},
    }
    cfg["dc_initial"] = {"days_of_cover": 3, "overrides": [{"dc": "D0", "sku": "rice", "units": 7}]}
    ss = build_network(cfg).store_sku
    # cover × hint, except the explicit units; blocked pairs get no stock from cover.
    assert ss.initial_on_hand.tolist() == [[8, 0], [9, 2]]
    assert ss.recent_sales_units.tolist() == [[4, 0], [6, 1]]
    assert ss.shelf_capacity_units.tolist() == [[20, 50], [20, 50]]
    assert ss.facings_units.tolist() == [[3, 2], [3, 2]]
    assert ss.blocked.tolist() == [[False, True], [False, False]]
    net = build_network(cfg)
    # DC cover: 3 days × the hints of its stores' unblocked pairs (milk 4 + 4, rice 1).
    assert net.dc_initial_on_hand.tolist() == [[24, 7]]


def test_later_days_of_cover_replace_earlier_units() -> None:
    cfg = tiny_config()
    cfg["store_sku"]["overrides"] = [
        {"store": "s0", "daily_units_hint": 3, "initial_days_of_cover": 2}
    ]
    assert build_network(cfg).store_sku.initial_on_hand.tolist() == [[6, 6], [5, 5]]


def _generated_config(counts: dict[str, int], seed: int = 5) -> dict[str, Any]:
    cfg = tiny_config()
    template = {
        "unit_cost": [1.0, 2.0],
        "margin": [0.2, 0.4],
        "case_pack": [6, 12],
        "damage_rate": [0.0, 0.01],
        "supplier": "sup0",
    }
    cfg["skus"] = {
        "generate": {
            "seed": seed,
            "count_by_category": counts,
            "templates": {
                "dairy": {**template, "id_prefix": "DAIRY", "shelf_life_days": 14},
                "ambient": {**template, "id_prefix": "AMB", "shelf_life_days": None},
            },
        }
    }
    cfg["store_sku"] = {
        "seed": 1,
        "default": {
            "shelf_capacity_units": [10, 30],
            "facings_units": [1, 5],
            "daily_units_hint": [0.5, 3],
        },
    }
    return cfg


def test_generated_catalogue_ids_and_ranges() -> None:
    net = build_network(_generated_config({"dairy": 3, "ambient": 12}))
    assert net.skus.ids[:4] == ("DAIRY-0001", "DAIRY-0002", "DAIRY-0003", "AMB-0001")
    assert net.skus.ids[-1] == "AMB-0012"
    assert net.skus.shelf_life_days.tolist() == [14] * 3 + [0] * 12
    assert ((net.skus.unit_cost >= 1.0) & (net.skus.unit_cost <= 2.0)).all()
    margin = net.skus.price / net.skus.unit_cost - 1
    assert ((margin > 0.19) & (margin < 0.41)).all()
    assert set(net.skus.case_pack.tolist()) <= {6, 12}
    ss = net.store_sku
    assert ((ss.shelf_capacity_units >= 10) & (ss.shelf_capacity_units <= 30)).all()
    assert (ss.facings_units <= 5).all()


def test_generation_is_seeded_and_categories_are_independent() -> None:
    a = build_network(_generated_config({"dairy": 3, "ambient": 12}))
    b = build_network(_generated_config({"dairy": 3, "ambient": 12}))
    c = build_network(_generated_config({"dairy": 8, "ambient": 12}))
    d = build_network(_generated_config({"dairy": 3, "ambient": 12}, seed=6))
    assert np.array_equal(a.skus.price, b.skus.price)
    assert np.array_equal(a.store_sku.shelf_capacity_units, b.store_sku.shelf_capacity_units)
    # More dairy SKUs do not move the ambient ones.
    assert np.array_equal(a.skus.price[3:], c.skus.price[8:])
    assert not np.array_equal(a.skus.price, d.skus.price)


def test_generated_stores_split_cities_and_assign_dcs() -> None:
    cfg = tiny_config()
    cfg["dcs"].append({"id": "D1", "transit_hours_default": 4})
    cfg["dcs"][0].pop("transit_hours")
    cfg["stores"] = {
        "generate": {
            "seed": 3,
            "count": 7,
            "id_prefix": "R",
            "id_digits": 3,
            "defaults": {"open_hour": 7, "close_hour": 21},
            "cities": [
                {"name": "north", "centre_km": [0, 50], "radius_km": 4, "dc": "D0"},
                {"name": "south", "count": 2, "centre_km": [0, -50], "radius_km": 4, "dc": "D1"},
                {"name": "east", "centre_km": [50, 0], "radius_km": 4, "dc": "D1"},
            ],
        }
    }
    net = build_network(cfg)
    assert [s.store_id for s in net.stores] == [f"R{n:03d}" for n in range(1, 8)]
    assert [s.city for s in net.stores] == ["north"] * 3 + ["south"] * 2 + ["east"] * 2
    assert net.store_dc().tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert all(s.open_hour == 7 and s.close_hour == 21 for s in net.stores)
    positions = net.store_positions_km()
    assert (np.hypot(positions[:3, 0], positions[:3, 1] - 50) <= 4).all()
    assert sorted(net.dcs[1].transit_hours) == [3, 4, 5, 6]


def test_default_restock_hours_stay_within_opening_hours() -> None:
    cfg = tiny_config()
    set_path(cfg, "stores[0].open_hour", 13)
    assert build_network(cfg).stores[0].restock_hours == (17.0,)


# --------------------------------------------------------------------------------------
# One refusal per validation rule: (path to corrupt, bad value, field named, allowed text).

REFUSALS: list[tuple[str, Any, str, str]] = [
    # Suppliers: lead times, fill rate, MOQ.
    ("suppliers[1].lead_time_min_days", -1, "suppliers[1].lead_time_min_days", ">= 0"),
    ("suppliers[0].lead_time_mean_days", -2, "suppliers[0].lead_time_mean_days", ">= 0"),
    (
        "suppliers[1].lead_time_min_days",
        5,
        "suppliers[1].lead_time_min_days",
        "<= lead_time_max_days (3)",
    ),
    ("suppliers[0].fill_rate", 0.0, "suppliers[0].fill_rate", "(0, 1]"),
    ("suppliers[0].fill_rate", 1.2, "suppliers[0].fill_rate", "(0, 1]"),
    ("suppliers[0].moq_units", -1, "suppliers[0].moq_units", ">= 0"),
    ("suppliers[0].case_pack_units", 0, "suppliers[0].case_pack_units", ">= 1"),
    (
        "suppliers[0].lead_time",
        "gamma",
        "suppliers[0].lead_time",
        "fixed, shifted_poisson, uniform",
    ),
    ("suppliers[1].id", "sup0", "suppliers[1].id", "unique"),
    # SKUs.
    ("skus[0].shelf_life_days", 0, "skus[0].shelf_life_days", "null for a non-perishable"),
    ("skus[0].shelf_life_days", -3, "skus[0].shelf_life_days", ">= 1"),
    ("skus[0].unit_cost", -1.0, "skus[0].unit_cost", ">= 0"),
    ("skus[0].price", -0.5, "skus[0].price", ">= 0"),
    ("skus[0].holding_cost_per_unit_day", -0.1, "skus[0].holding_cost_per_unit_day", ">= 0"),
    ("skus[0].disposal_cost_per_unit", -0.1, "skus[0].disposal_cost_per_unit", ">= 0"),
    ("skus[1].case_pack", 0, "skus[1].case_pack", ">= 1"),
    ("skus[0].damage_rate", 1.0, "skus[0].damage_rate", "[0, 1)"),
    ("skus[0].damage_rate", -0.01, "skus[0].damage_rate", "[0, 1)"),
    ("skus[0].supplier", "nobody", "skus[0].supplier", "sup0, sup1"),
    ("skus[0].category", "dairyy", "skus[0].category", "leafy_vegetables, fruit, dairy"),
    ("skus[1].id", "milk", "skus[1].id", "unique"),
    ("skus[0].shelf_lfe_days", 3, "skus[0].shelf_lfe_days", "shelf_life_days"),
    ("skus[0].unit_cost", "cheap", "skus[0].unit_cost", ">= 0"),
    ("skus[0].unit_cost", math.nan, "skus[0].unit_cost", ">= 0"),
    ("skus[0].break_pack", "yes", "skus[0].break_pack", "true or false"),
    # Stores.
    ("stores[0].dc", _DELETE, "stores[0].dc", "D0"),
    ("stores[0].dc", "D9", "stores[0].dc", "D0"),
    ("stores[1].id", "s0", "stores[1].id", "unique"),
    ("stores[0].open_hour", -1, "stores[0].open_hour", "[0, 24]"),
    ("stores[0].close_hour", 25, "stores[0].close_hour", "[0, 24]"),
    ("stores[0].open_hour", 22, "stores[0].open_hour", "close_hour (22)"),
    ("stores[0].restock_hours", [12, 7], "stores[0].restock_hours[1]", "[8, 22)"),
    ("stores[0].restock_hours", [22], "stores[0].restock_hours[0]", "opening hours"),
    ("stores[1].fresh_first_share", 1.5, "stores[1].fresh_first_share", "[0, 1]"),
    ("stores[0].issuing", "random", "stores[0].issuing", "fifo, lifo, mixed"),
    ("stores[0].x_km", _DELETE, "stores[0].x_km", "required"),
    # DCs.
    ("dcs[0].transit_hours_default", _DELETE, "dcs[0].transit_hours", "missing: s0"),
    ("dcs[0].transit_hours.s1", -1, "dcs[0].transit_hours.s1", ">= 0"),
    ("dcs[0].transit_hours.s9", 1, "dcs[0].transit_hours.s9", "s0, s1"),
    ("dcs[0].transit_hours_default", -2, "dcs[0].transit_hours_default", ">= 0"),
    ("dcs[0].delivery_weekdays", [1, 7], "dcs[0].delivery_weekdays[1]", "[0, 6]"),
    ("dcs[0].delivery_weekdays", [], "dcs[0].delivery_weekdays", "non-empty"),
    ("dcs[0].delivery_weekdays", [2, 2], "dcs[0].delivery_weekdays", "distinct"),
    ("dcs[0].departure_hour", 10, "dcs[0].departure_hour", "order_cutoff_hour (14)"),
    ("dcs[0].order_cutoff_hour", 24, "dcs[0].order_cutoff_hour", "[0, 24)"),
    ("dcs[0].pick_capacity_units_per_day", 0, "dcs[0].pick_capacity_units_per_day", ">= 1"),
    ("dcs[0].truck_cost_per_trip", -5, "dcs[0].truck_cost_per_trip", ">= 0"),
    ("dcs[0].replenishment_cover_days", -1, "dcs[0].replenishment_cover_days", ">= 0"),
    ("dcs[0].unlimited_stock", "maybe", "dcs[0].unlimited_stock", "true or false"),
    # Couriers.
    ("couriers.size", 0, "couriers.size", ">= 1"),
    ("couriers.speed_kmh", 0, "couriers.speed_kmh", "> 0"),
    ("couriers.capacity_units", 0, "couriers.capacity_units", ">= 1"),
    ("couriers.no_show_probability", 1.0, "couriers.no_show_probability", "[0, 1)"),
    ("couriers.detour_factor", 0.9, "couriers.detour_factor", ">= 1"),
    ("couriers.cost_per_trip", -1, "couriers.cost_per_trip", ">= 0"),
    ("couriers.cost_per_km", -1, "couriers.cost_per_km", ">= 0"),
    ("couriers.acceptance_delay_hours", -0.1, "couriers.acceptance_delay_hours", ">= 0"),
    ("couriers.speed", 20, "couriers.speed", "speed_kmh"),
    # Store-SKU parameters and stock.
    (
        "store_sku.default.facings_units",
        30,
        "store_sku.default.facings_units",
        "at most shelf_capacity_units (20",
    ),
    ("store_sku.default.initial_age_days", 7, "store_sku.default.initial_age_days", "0..6"),
    ("store_sku.default.initial_on_hand", -1, "store_sku.default.initial_on_hand", ">= 0"),
    (
        "store_sku.default.shelf_capacity_units",
        [30, 10],
        "store_sku.default.shelf_capacity_units",
        "low <= high",
    ),
    ("store_sku.default.initial_days_of_cover", 2, "store_sku.default.initial_on_hand", "not both"),
    ("store_sku.blocked", {"s0": ["bread"]}, "store_sku.blocked.s0[0]", "milk, rice"),
    (
        "store_sku.overrides",
        [{"store": "s7", "facings_units": 1}],
        "store_sku.overrides[0].store",
        "s0, s1",
    ),
    ("store_sku.by_category", {"toys": {}}, "store_sku.by_category.toys", "dairy"),
    ("dc_initial.units", -3, "dc_initial.units", ">= 0"),
    (
        "dc_initial.overrides",
        [{"dc": "D0", "sku": "milk", "units": 1, "age": 2}],
        "dc_initial.overrides[0].age",
        "units",
    ),
    # The root.
    ("store", [], "store", "stores"),
    ("suppliers", [], "suppliers", "non-empty list"),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "allowed"),
    REFUSALS,
    ids=[f"{path}={value!r}" for path, value, _, _ in REFUSALS],
)
def test_refused(path: str, value: Any, field: str, allowed: str) -> None:
    cfg = tiny_config()
    set_path(cfg, path, value)
    err = assert_refused(cfg, field, allowed)
    assert isinstance(err, ValueError)


def test_larger_facings_than_a_later_capacity_blames_the_capacity() -> None:
    cfg = tiny_config()
    cfg["store_sku"]["overrides"] = [{"store": "s1", "sku": "rice", "shelf_capacity_units": 1}]
    err = assert_refused(cfg, "store_sku.overrides[0].shelf_capacity_units", "at least facings")
    assert "'s1'" in err.allowed and "'rice'" in err.allowed


def test_generated_refusals() -> None:
    cfg = _generated_config({"dairy": 3, "toys": 2})
    assert_refused(cfg, "skus.generate.count_by_category.toys", "dairy")

    cfg = _generated_config({"dairy": 3, "fruit": 2})
    assert_refused(cfg, "skus.generate.templates.fruit", "a template for every category")

    cfg = _generated_config({"dairy": 3, "ambient": 2})
    cfg["skus"]["generate"]["templates"]["ambient"]["id_prefix"] = "DAIRY"
    assert_refused(cfg, "skus.generate.templates", "distinct id_prefix")

    cfg = _generated_config({"dairy": 3})
    cfg["skus"]["generate"]["templates"]["dairy"]["shelf_life_days"] = 0
    assert_refused(cfg, "skus.generate.templates.dairy.shelf_life_days", ">= 1")

    cfg = _generated_config({"dairy": 3})
    cfg["skus"]["generate"]["templates"]["dairy"]["margin"] = -2
    assert_refused(cfg, "skus.generate.templates.dairy.margin", ">= -1")

    cfg = _generated_config({"dairy": 3})
    cfg["skus"]["generate"]["templates"]["dairy"]["case_pack"] = [6, 0]
    assert_refused(cfg, "skus.generate.templates.dairy.case_pack[1]", ">= 1")

    cfg = _generated_config({"dairy": 3})
    cfg["skus"]["generate"]["templates"]["dairy"]["supplier"] = "ghost"
    assert_refused(cfg, "skus.generate.templates.dairy.supplier", "sup0, sup1")

    cfg = _generated_config({"dairy": 3})
    cfg["skus"]["generate"]["templates"]["dairy"]["damage_rate"] = [0.0, 1.0]
    assert_refused(cfg, "skus.generate.templates.dairy.damage_rate[1]", "[0, 1)")

    cfg = _generated_config({"dairy": 3})
    cfg["skus"]["generate"]["templates"]["dairy"]["shelf_lfe_days"] = 3
    assert_refused(cfg, "skus.generate.templates.dairy.shelf_lfe_days", "shelf_life_days")


def test_generated_store_refusals() -> None:
    def stores(**generate: Any) -> dict[str, Any]:
        cfg = tiny_config()
        cfg["dcs"][0].pop("transit_hours")
        cfg["stores"] = {
            "generate": {"count": 4, "cities": [{"name": "c", "dc": "D0"}], **generate}
        }
        return cfg

    assert build_network(stores()).n_stores == 4
    assert_refused(stores(cities=[{"name": "c", "dc": "DX"}]), "stores.generate.cities[0].dc", "D0")
    assert_refused(stores(cities=[{"name": "c"}]), "stores.generate.cities[0].dc", "D0")
    assert_refused(
        stores(cities=[{"name": "c", "dc": "D0", "count": 3}]),
        "stores.generate.count",
        "== the sum of the cities' counts (3)",
    )
    assert_refused(
        stores(defaults={"open_hour": 30}), "stores.generate.defaults.open_hour", "[0, 24]"
    )
    assert_refused(
        stores(cities=[{"name": "c", "dc": "D0", "radius_km": -1}]),
        "stores.generate.cities[0].radius_km",
        ">= 0",
    )
    assert_refused(stores(seeds=1), "stores.generate.seeds", "seed")
