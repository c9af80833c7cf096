"""build_network on random configs: valid ones build, one corrupted field is refused by name.

(Split from ``test_config.py``; the hand-written cases live there.)
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import build_network
from sim.enums import Category
from sim.errors import ConfigError
from tests.sim.test_config import _DELETE, set_path


@st.composite
def valid_configs(draw: st.DrawFn) -> dict[str, Any]:
    n_suppliers = draw(st.integers(1, 3))
    n_dcs = draw(st.integers(1, 2))
    n_stores = draw(st.integers(1, 4))
    n_skus = draw(st.integers(1, 5))
    fraction = st.floats(0.0, 1.0, allow_nan=False)
    suppliers = []
    for i in range(n_suppliers):
        kind = draw(st.sampled_from(["fixed", "shifted_poisson", "uniform"]))
        low = draw(st.integers(0, 3))
        high = low + draw(st.integers(0, 3))
        supplier = {
            "id": f"sup{i}",
            "lead_time": kind,
            "lead_time_min_days": low,
            "lead_time_max_days": high,
            "lead_time_mean_days": draw(st.integers(low, high)),
            "fill_rate": draw(st.floats(0.01, 1.0)),
            "moq_units": draw(st.integers(0, 50)),
        }
        suppliers.append(supplier)
    dcs = []
    for i in range(n_dcs):
        cutoff = draw(st.floats(0.0, 20.0))
        dcs.append(
            {
                "id": f"D{i}",
                "order_cutoff_hour": cutoff,
                "departure_hour": cutoff + draw(st.floats(0.0, 3.0)),
                "delivery_weekdays": sorted(draw(st.sets(st.integers(0, 6), min_size=1))),
                "transit_hours_default": draw(st.floats(0.0, 48.0)),
                "pick_capacity_units_per_day": draw(st.integers(1, 10**6)),
                "replenishment_cover_days": draw(st.floats(0.0, 7.0)),
            }
        )
    stores = []
    for i in range(n_stores):
        open_hour = draw(st.integers(6, 10))
        close_hour = draw(st.integers(14, 24))
        stores.append(
            {
                "id": f"s{i}",
                "x_km": draw(st.floats(-10, 10)),
                "y_km": draw(st.floats(-10, 10)),
                "dc": f"D{draw(st.integers(0, n_dcs - 1))}",
                "open_hour": open_hour,
                "close_hour": close_hour,
                "restock_hours": [open_hour + 1],
                "issuing": draw(st.sampled_from(["fifo", "lifo", "mixed"])),
                "fresh_first_share": draw(fraction),
            }
        )
    skus = []
    for i in range(n_skus):
        skus.append(
            {
                "id": f"k{i}",
                "category": draw(st.sampled_from([c.name.lower() for c in Category])),
                "shelf_life_days": draw(st.one_of(st.none(), st.integers(1, 30))),
                "unit_cost": draw(st.floats(0.0, 50.0)),
                "price": draw(st.floats(0.0, 80.0)),
                "case_pack": draw(st.integers(1, 24)),
                "damage_rate": draw(st.floats(0.0, 0.5)),
                "supplier": f"sup{draw(st.integers(0, n_suppliers - 1))}",
            }
        )
    capacity = draw(st.integers(0, 100))
    return {
        "suppliers": suppliers,
        "dcs": dcs,
        "stores": stores,
        "skus": skus,
        "couriers": {
            "size": draw(st.integers(1, 10)),
            "speed_kmh": draw(st.floats(1.0, 60.0)),
            "detour_factor": draw(st.floats(1.0, 2.0)),
            "capacity_units": draw(st.integers(1, 500)),
            "no_show_probability": draw(st.floats(0.0, 0.99)),
        },
        "store_sku": {
            "default": {
                "shelf_capacity_units": capacity,
                "facings_units": draw(st.integers(0, capacity)),
                "initial_on_hand": draw(st.integers(0, 50)),
            }
        },
    }


def _index(cfg: dict[str, Any], key: str, data: st.DataObject) -> int:
    return data.draw(st.integers(0, len(cfg[key]) - 1))


# Each corruption changes one field of a valid config to a bad value and returns
# the field the ConfigError must name.
def _bad_supplier(cfg: dict[str, Any], data: st.DataObject) -> str:
    i = _index(cfg, "suppliers", data)
    key, bad = data.draw(
        st.sampled_from(
            [
                ("fill_rate", 0.0),
                ("fill_rate", 1.5),
                ("fill_rate", "full"),
                ("moq_units", -1),
                ("moq_units", 2.5),
                ("lead_time", "gamma"),
                ("lead_time_min_days", -1),
                ("arrival_hour", 24),
                ("case_pack_units", 0),
                ("lead_tme", 1),
            ]
        )
    )
    cfg["suppliers"][i][key] = bad
    return f"suppliers[{i}].{key}"


def _bad_dc(cfg: dict[str, Any], data: st.DataObject) -> str:
    i = _index(cfg, "dcs", data)
    key, bad = data.draw(
        st.sampled_from(
            [
                ("pick_capacity_units_per_day", 0),
                ("delivery_weekdays", []),
                ("delivery_weekdays", [7]),
                ("delivery_weekdays", [-1]),
                ("transit_hours_default", -1.0),
                ("departure_hour", 24.0),
                ("backorder", "no"),
                ("replenishment_cover_days", -0.5),
                ("truck_cost_per_trip", -1),
            ]
        )
    )
    cfg["dcs"][i][key] = bad
    return f"dcs[{i}].{key}"


def _bad_store(cfg: dict[str, Any], data: st.DataObject) -> str:
    i = _index(cfg, "stores", data)
    store = cfg["stores"][i]
    key, bad = data.draw(
        st.sampled_from(
            [
                ("dc", "nowhere"),
                ("dc", _DELETE),
                ("open_hour", -1),
                ("open_hour", 25),
                ("close_hour", -0.5),
                ("close_hour", 24.5),
                ("fresh_first_share", 1.01),
                ("fresh_first_share", -0.1),
                ("issuing", "random"),
                ("x_km", "far"),
                ("restock_hours", [store["open_hour"] - 1]),
                ("restock_hours", [store["close_hour"]]),
                ("citty", "x"),
            ]
        )
    )
    if key == "open_hour" and bad == 25:
        store["close_hour"] = 24
    set_path(cfg, f"stores[{i}].{key}", bad)
    return f"stores[{i}].{key}"


def _bad_sku(cfg: dict[str, Any], data: st.DataObject) -> str:
    i = _index(cfg, "skus", data)
    key, bad = data.draw(
        st.sampled_from(
            [
                ("shelf_life_days", 0),
                ("shelf_life_days", -2),
                ("shelf_life_days", 1.5),
                ("unit_cost", -0.01),
                ("price", -1),
                ("price", math.inf),
                ("case_pack", 0),
                ("damage_rate", 1.0),
                ("damage_rate", -0.2),
                ("supplier", "ghost"),
                ("category", "gadgets"),
                ("holding_cost_per_unit_day", -1),
                ("shelf_lfe_days", 3),
            ]
        )
    )
    cfg["skus"][i][key] = bad
    return f"skus[{i}].{key}"


def _bad_courier(cfg: dict[str, Any], data: st.DataObject) -> str:
    key, bad = data.draw(
        st.sampled_from(
            [
                ("size", 0),
                ("speed_kmh", 0.0),
                ("speed_kmh", -3),
                ("capacity_units", 0),
                ("no_show_probability", 1.0),
                ("detour_factor", 0.99),
                ("cost_per_km", -0.1),
                ("acceptance_delay_hours", -1),
            ]
        )
    )
    cfg["couriers"][key] = bad
    return f"couriers.{key}"


def _duplicate_id(cfg: dict[str, Any], data: st.DataObject) -> str:
    candidates = [k for k in ("suppliers", "dcs", "stores", "skus") if len(cfg[k]) > 1]
    if not candidates:
        cfg["stores"].append(copy.deepcopy(cfg["stores"][0]))
        candidates = ["stores"]
    key = data.draw(st.sampled_from(candidates))
    j = data.draw(st.integers(1, len(cfg[key]) - 1))
    cfg[key][j]["id"] = cfg[key][0]["id"]
    return f"{key}[{j}].id"


def _bad_store_sku(cfg: dict[str, Any], data: st.DataObject) -> str:
    layer = cfg["store_sku"]["default"]
    key, bad = data.draw(
        st.sampled_from(
            [
                ("facings_units", layer["shelf_capacity_units"] + 1),
                ("initial_on_hand", -1),
                ("shelf_capacity_units", -1),
                ("daily_units_hint", [3, 1]),
            ]
        )
    )
    layer[key] = bad
    return f"store_sku.default.{key}"


CORRUPTIONS = [
    _bad_supplier,
    _bad_dc,
    _bad_store,
    _bad_sku,
    _bad_courier,
    _duplicate_id,
    _bad_store_sku,
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=valid_configs())
def test_random_valid_configs_build(cfg: dict[str, Any]) -> None:
    net = build_network(cfg)
    assert net.n_stores == len(cfg["stores"])
    assert net.n_skus == len(cfg["skus"])
    assert net.store_sku.initial_on_hand.shape == (net.n_stores, net.n_skus)
    assert (net.store_sku.facings_units <= net.store_sku.shelf_capacity_units).all()
    for dc_index, dc in enumerate(net.dcs):
        served = {i for i, s in enumerate(net.stores) if s.dc == dc_index}
        assert served <= set(dc.transit_hours)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=valid_configs(), corruption=st.sampled_from(CORRUPTIONS), data=st.data())
def test_one_corrupted_field_is_refused_by_name(
    cfg: dict[str, Any], corruption: Any, data: st.DataObject
) -> None:
    field = corruption(cfg, data)
    with pytest.raises(ConfigError) as info:
        build_network(cfg)
    named = info.value.field
    # List-valued fields may name the bad element: delivery_weekdays[0].
    assert named == field or named.startswith((field + "[", field + ".")), (named, field)
    assert info.value.allowed
