"""build_demand: the scenario files build, and every bad field is named."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from sim.demand import (
    LifecycleStage,
    ParametricDemand,
    build_demand,
    parametric_spec,
)
from sim.enums import Category
from sim.errors import ConfigError
from sim.rng import RandomStreams
from sim.spec import NetworkSpec
from tests.sim.test_demand_fixtures import make_network, prefixed_catalog

Z_999 = 3.2905
CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "demand"
C = Category


def city_fresh_network() -> NetworkSpec:
    ids, cats = prefixed_catalog(
        {
            C.LEAFY_VEGETABLES: ("LEAF", 30),
            C.FRUIT: ("FRUIT", 35),
            C.DAIRY: ("DAIRY", 40),
            C.PREPARED_MEALS: ("MEAL", 25),
            C.BAKERY: ("BAKE", 20),
            C.AMBIENT: ("AMB", 50),
        }
    )
    sensitivity = [0.03 if c in (C.FRUIT, C.LEAFY_VEGETABLES, C.DAIRY) else 0.0 for c in cats]
    return make_network(
        cats,
        [(7.0, 21.0)] * 6 + [(8.0, 22.0)] * 6,
        sku_ids=ids,
        store_ids=[f"S{i:02d}" for i in range(1, 13)],
        temperature_sensitivity=sensitivity,
    )


def regional_network() -> NetworkSpec:
    ids, cats = prefixed_catalog(
        {
            C.LEAFY_VEGETABLES: ("LEAF", 800),
            C.FRUIT: ("FRUIT", 1200),
            C.DAIRY: ("DAIRY", 1500),
            C.PREPARED_MEALS: ("MEAL", 700),
            C.BAKERY: ("BAKE", 800),
            C.AMBIENT: ("AMB", 5000),
        }
    )
    return make_network(
        cats, [(8.0, 22.0)] * 100, sku_ids=ids, store_ids=[f"R{i:03d}" for i in range(1, 101)]
    )


def load(name: str) -> Any:
    return OmegaConf.load(CONFIGS / f"{name}.yaml")  # a DictConfig, as Hydra hands it over


# -- the scenario files -------------------------------------------------------------


def test_single_sku_is_poisson_five_a_day_in_one_tick() -> None:
    net = make_network((C.DAIRY,), ((8.0, 22.0),), sku_ids=["item"], store_ids=["store"])
    d = build_demand(load("single_sku"), net)
    assert isinstance(d, ParametricDemand)
    assert d.tick_start_hours.tolist() == [8.0] and d.tick_length_hours == 14.0
    streams = RandomStreams(0)
    for day in (0, 3, 100):
        assert d.expected_daily_units(day, streams, np.ones((1, 1))) == pytest.approx(5.0)


def test_yogurt_trio_rates_and_morning_share() -> None:
    net = make_network(
        (C.DAIRY,), ((8.0, 22.0),) * 3, sku_ids=["yogurt_premium"], store_ids=["A", "B", "C"]
    )
    d = build_demand(load("yogurt_trio"), net)
    mean = d.expected_daily_units(0, RandomStreams(0), np.ones((3, 1)))
    np.testing.assert_allclose(mean[:, 0], [3.0, 16.0, 6.0])
    share = d.tick_grid.share[1, :, int(C.DAIRY)]
    morning = share[d.tick_start_hours < 12].sum()
    assert morning == pytest.approx(0.5)  # B: ~8 of its 16 units by noon


def test_city_fresh_builds_with_every_factor() -> None:
    net = city_fresh_network()
    d = build_demand(load("city_fresh"), net)
    assert isinstance(d, ParametricDemand)
    spec = d.spec
    dairy3 = net.sku_index("DAIRY-0003")
    fruit10 = net.sku_index("FRUIT-0010")
    promoted = {int(j) for p in spec.promotions for j in p.sku_index}
    assert {dairy3, fruit10} <= promoted
    assert spec.lifecycle is not None
    stages = spec.lifecycle.stage
    assert (stages == LifecycleStage.DECLINING).sum() >= 3
    assert stages[net.sku_index("DAIRY-0040")] == LifecycleStage.NEW
    assert spec.weather.sd_c > 0 and spec.holidays and spec.events
    s05 = net.store_index("S05")
    assert any(s05 in e.store_index for e in spec.events)
    streams = RandomStreams(1)
    factors = d.rate_factors(8, streams, np.ones((12, 200)))  # promotion week, day 8
    assert factors["promotion"][0, dairy3] == pytest.approx(1.8)
    assert factors["price"][0, dairy3] == pytest.approx(0.8**-1.4)
    units = d.draw_day(8, streams, np.ones((12, 200)))
    assert units.shape == (12, 15, 200)  # 7h-22h hourly over the two store groups
    assert units[:6, -1, :].sum() == 0  # S01-S06 close at 21h


def test_regional_chain_rates_are_mostly_slow() -> None:
    net = regional_network()
    spec = parametric_spec(load("regional_chain"), net)
    assert spec.start_date.isoformat() == "2026-03-02"
    rate = spec.base_rate_units_per_day
    assert rate.shape == (100, 10_000)
    assert 1.0 <= rate.mean() <= 3.0
    ambient = net.skus.category == int(C.AMBIENT)
    assert (rate[:, ambient] < 0.3).mean() > 0.2  # a long tail of slow ambient movers
    assert spec.lifecycle is not None
    declining = spec.lifecycle.stage[ambient] == LifecycleStage.DECLINING
    n = int(ambient.sum())
    assert abs(declining.mean() - 0.3) < Z_999 * math.sqrt(0.3 * 0.7 / n)
    assert not (spec.lifecycle.stage[net.skus.category == int(C.FRUIT)]).any()


# -- the base-rate generator ---------------------------------------------------------


def _generated(seed: int, **extra: Any) -> np.ndarray:
    net = make_network((C.DAIRY,) * 200 + (C.FRUIT,) * 200, ((8, 22),) * 10)
    cfg = {
        "kind": "parametric",
        "start_date": "2026-01-05",
        "base_rate_generator": {
            "seed": seed,
            "by_category": {
                "dairy": {"median": 3.0, "sigma": 0.8},
                "fruit": {"median": 1.0, "sigma": 0.5},
            },
            **extra,
        },
    }
    return parametric_spec(cfg, net).base_rate_units_per_day


def test_generator_is_lognormal_per_category_and_seeded() -> None:
    rate = _generated(11)
    np.testing.assert_array_equal(rate, _generated(11))
    assert not np.array_equal(rate, _generated(12))
    for cols, median, sigma in ((slice(0, 200), 3.0, 0.8), (slice(200, 400), 1.0, 0.5)):
        logs = np.log(rate[:, cols]).ravel()
        assert abs(logs.mean() - math.log(median)) < Z_999 * sigma / math.sqrt(logs.size)
        assert abs(logs.std() - sigma) < Z_999 * sigma / math.sqrt(2 * logs.size)


def test_generator_store_scale_and_common_share() -> None:
    rate = _generated(3, store_scale={"median": 2.0, "sigma": 0.3}, sku_common_share=1.0)
    # With a fully common SKU effect, stores differ by a constant factor only.
    ratio = rate[1] / rate[0]
    np.testing.assert_allclose(ratio, ratio[0])


# -- errors name the field and what is allowed ----------------------------------------


def _base_cfg() -> dict[str, Any]:
    return {
        "kind": "parametric",
        "start_date": "2026-01-05",
        "base_rate_default": 2.0,
        "promotions": [
            {"skus": ["sku0"], "start_day": 0, "days": 2, "lift": 1.5},
            {"skus": ["sku1"], "stores": ["st0"], "start_day": 3, "days": 2, "lift": 1.5},
            {"skus": ["sku0", "sku1"], "start_date": "2026-01-20", "days": 2, "lift": 1.2},
        ],
        "events": [{"stores": ["st1"], "start_day": 1, "days": 1, "multiplier": 1.3}],
    }


def _net() -> NetworkSpec:
    return make_network((C.DAIRY, C.FRUIT), ((8, 22), (9, 20)))


def _set(cfg: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    cfg = copy.deepcopy(cfg)
    node = cfg
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    node[path[-1]] = value
    return cfg


@pytest.mark.parametrize(
    ("path", "value", "field", "allowed"),
    [
        (("promotions", 2, "skus"), ["sku0", "nope"], "promotions[2].skus[1]", "sku0, sku1"),
        (("promotions", 1, "stores"), ["st9"], "promotions[1].stores[0]", "st0, st1"),
        (("events", 0, "stores"), ["st1", "x"], "events[0].stores[1]", "a store id"),
        (("base_rate",), {"st0": {"sku1": -1.0}}, "base_rate.st0.sku1", ">= 0"),
        (("base_rate",), {"nowhere": {"sku1": 1.0}}, "base_rate.nowhere", "st0, st1"),
        (("base_rate_default",), -2.0, "base_rate_default", ">= 0"),
        (
            ("categories", "dairy", "day_of_week"),
            [1, 1, 1, 1, 1, 1],
            "categories.dairy.day_of_week",
            "7 non-negative",
        ),
        (
            ("categories", "dairy", "day_of_week"),
            [1, 1, 1, -1, 1, 1, 1],
            "categories.dairy.day_of_week[3]",
            ">= 0",
        ),
        (
            ("categories", "fruit", "hour_of_day"),
            [1.0] * 23,
            "categories.fruit.hour_of_day",
            "24 non-negative",
        ),
        (
            ("categories", "fruit", "hour_of_day"),
            [1.0] * 8 + [0.0] * 16,
            "categories.fruit.hour_of_day",
            "within every store's opening hours",
        ),
        (("categories", "dairy", "elasticity"), -0.5, "categories.dairy.elasticity", ">= 0"),
        (
            ("categories", "dairy", "distribution"),
            "gamma",
            "categories.dairy.distribution",
            "poisson, negative_binomial",
        ),
        (("categories", "dairy", "dispersion"), 0.0, "categories.dairy.dispersion", "> 0"),
        (
            ("categories", "meat"),
            {},
            "categories.meat",
            "leafy_vegetables, fruit, dairy, prepared_meals, bakery, ambient",
        ),
        (
            ("categories", "dairy", "seasonality"),
            {"amplitude": 1.5},
            "categories.dairy.seasonality.amplitude",
            "0 <= amplitude <= 1",
        ),
        (("categories", "dairy", "colour"), "red", "categories.dairy.colour", "day_of_week"),
        (("start_date",), "2026-13-01", "start_date", "ISO date"),
        (("holidays",), [{"date": "someday", "multiplier": 2}], "holidays[0].date", "ISO date"),
        (
            ("holidays",),
            [{"date": "2026-01-06", "multiplier": 2, "categories": ["toys"]}],
            "holidays[0].categories[0]",
            "bakery",
        ),
        (("kind",), "markov", "kind", "parametric, replay, bootstrap"),
        (("promotions", 0, "discount"), 1.0, "promotions[0].discount", "[0, 1)"),
        (("promotions", 0, "days"), 0, "promotions[0].days", ">= 1"),
        (("promotions", 0, "start_date"), "2026-01-07", "promotions[0].start_day", "exactly one"),
        (
            ("lifecycle",),
            {"skus": {"sku0": {"stage": "zombie"}}},
            "lifecycle.skus.sku0.stage",
            "mature, new, declining",
        ),
        (
            ("lifecycle",),
            {"skus": {"sku0": {"stage": "new", "ramp_days": 0}}},
            "lifecycle.ramp_days",
            "> 0",
        ),
        (("weather",), {"phi": 1.2}, "weather.phi", "phi < 1"),
        (("tick_length_hours",), 9.0, "tick_length_hours", "ends by 24h"),
        (("tick_length_hours",), 0, "tick_length_hours", "> 0"),
        (
            ("base_rate_generator",),
            {"seed": 1, "by_category": {"dairy": {"median": 1}}},
            "base_rate_default",
            "not both",
        ),
    ],
)
def test_config_errors_name_field_and_allowed(
    path: tuple[Any, ...], value: Any, field: str, allowed: str
) -> None:
    cfg = _set(_base_cfg(), path, value)
    with pytest.raises(ConfigError) as err:
        build_demand(cfg, _net())
    assert err.value.field == field
    assert allowed in err.value.allowed, err.value.allowed
    assert field in str(err.value)


def test_generator_errors() -> None:
    cfg = _base_cfg()
    del cfg["base_rate_default"]
    cfg["base_rate_generator"] = {"seed": 1, "by_category": {"dairy": {"median": 1.0}}}
    with pytest.raises(ConfigError) as err:
        build_demand(cfg, _net())
    assert err.value.field == "base_rate_generator.by_category"
    assert "missing: fruit" in err.value.allowed
    cfg["base_rate_generator"]["by_category"]["fruit"] = {"median": 0.0}
    with pytest.raises(ConfigError, match=r"by_category\.fruit\.median"):
        build_demand(cfg, _net())


def test_missing_and_table_fields(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="start_date"):
        build_demand({"kind": "parametric", "base_rate_default": 1.0}, _net())
    with pytest.raises(ConfigError) as err:
        build_demand({"kind": "replay", "sales_table": "absent.csv"}, _net(), base_dir=tmp_path)
    assert err.value.field == "sales_table"
    with pytest.raises(ConfigError) as err:
        build_demand({"kind": "replay", "sales_table": "a.csv", "start_date": "2026-01-01"}, _net())
    assert err.value.field == "start_date"
    with pytest.raises(ConfigError) as err:
        build_demand(
            {
                "kind": "replay",
                "sales_table": "a.csv",
                "categories": {"dairy": {"elasticity": 1.0}},
            },
            _net(),
            base_dir=tmp_path,
        )
    assert err.value.field == "categories.dairy.elasticity"
    assert err.value.allowed == "one of the keys hour_of_day"


def test_plain_dict_and_dictconfig_give_the_same_model() -> None:
    cfg = _base_cfg()
    a = build_demand(cfg, _net())
    b = build_demand(OmegaConf.create(cfg), _net())
    streams = RandomStreams(2)
    np.testing.assert_array_equal(
        a.draw_day(4, streams, np.ones((2, 2))), b.draw_day(4, streams, np.ones((2, 2)))
    )


@settings(max_examples=30, deadline=None)
@given(
    rate=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=3),
        st.booleans(),
        st.none(),
    )
)
def test_any_bad_rate_is_refused_and_any_good_one_kept(rate: Any) -> None:
    cfg = _set(_base_cfg(), ("base_rate",), {"st1": {"sku0": rate}})
    good = isinstance(rate, float) and math.isfinite(rate) and rate >= 0
    if good:
        d = build_demand(cfg, _net())
        assert isinstance(d, ParametricDemand)
        assert d.spec.base_rate_units_per_day[1, 0] == rate
    else:
        with pytest.raises(ConfigError) as err:
            build_demand(cfg, _net())
        assert err.value.field == "base_rate.st1.sku0"
