"""The shared validation layer: one meaning of integer, number, enum name and
unknown key, whichever config uses it, and one message shape."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config import build_network
from sim.demand import build_demand
from sim.enums import Category, IssuingRule
from sim.errors import ConfigError
from sim.validation import (
    Block,
    EnumName,
    Integer,
    NonNegativeInt,
    Probability,
    Real,
    Span,
    path_of,
    validate,
)
from tests.sim.test_config import tiny_config
from tests.sim.test_demand_config import _base_cfg, _net


class Sample(Block):
    count: NonNegativeInt = 0
    share: Probability = 0.0
    days: Integer(1, 6) = 1
    range_: Span(0.0, integer=True) = (0.0, 0.0)
    issuing: EnumName(IssuingRule) = IssuingRule.FIFO
    positive: Real(0.0, low_open=True) = 1.0


whole_floats = st.integers(-(10**6), 10**6).map(float)
fractions = st.floats(-1e6, 1e6, allow_nan=False).filter(lambda x: not x.is_integer())
not_numbers = st.one_of(st.booleans(), st.text(max_size=4), st.none(), st.lists(st.integers()))


def _network_moq(value: Any) -> Any:
    cfg = tiny_config()
    cfg["suppliers"][0]["moq_units"] = value
    return build_network(cfg).suppliers[0].moq_units


def _demand_days(value: Any) -> Any:
    cfg = _base_cfg()
    cfg["promotions"][0]["days"] = value
    return build_demand(cfg, _net()).spec.promotions[0].days


def _model_count(value: Any) -> Any:
    return validate(Sample, {"count": value}).count


INTEGER_FIELDS = [
    (_network_moq, "suppliers[0].moq_units"),
    (_demand_days, "promotions[0].days"),
    (_model_count, "count"),
]


@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.integers(1, 10**6), st.integers(1, 10**6).map(float)))
@pytest.mark.parametrize(("parse", "field"), INTEGER_FIELDS)
def test_whole_numbers_are_integers_everywhere(parse: Any, field: str, value: Any) -> None:
    got = parse(value)
    assert got == int(value) and type(got) is int


@settings(max_examples=40, deadline=None)
@given(value=st.one_of(fractions, not_numbers, st.sampled_from([math.nan, math.inf])))
@pytest.mark.parametrize(("parse", "field"), INTEGER_FIELDS)
def test_fractions_bools_and_text_are_refused_everywhere(
    parse: Any, field: str, value: Any
) -> None:
    if value is None:
        return  # null = the key left out: the default applies
    with pytest.raises(ConfigError) as err:
        parse(value)
    assert err.value.field == field
    assert "integer" in err.value.allowed
    assert str(err.value).startswith(f"{field}: got ")


@given(value=whole_floats)
def test_integer_bounds_are_inclusive(value: float) -> None:
    if 1 <= value <= 6:
        assert validate(Sample, {"days": value}).days == int(value)
    else:
        with pytest.raises(ConfigError, match=r"days: got .*; allowed: an integer in \[1, 6\]"):
            validate(Sample, {"days": value})


@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), not_numbers))
def test_probability_is_a_finite_number_in_0_1(value: Any) -> None:
    good = (
        isinstance(value, float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= 1
    )
    if value is None:
        assert validate(Sample, {"share": value}).share == 0.0  # null: the default
    elif good:
        assert validate(Sample, {"share": value}).share == value
    else:
        with pytest.raises(ConfigError, match=r"allowed: a number in \[0, 1\]"):
            validate(Sample, {"share": value})


@given(low=st.integers(0, 50), width=st.integers(0, 50))
def test_span_is_a_value_or_an_ordered_pair(low: int, width: int) -> None:
    assert validate(Sample, {"range_": low}).range_ == (low, low)
    assert validate(Sample, {"range_": [low, low + width]}).range_ == (low, low + width)
    if width:
        with pytest.raises(ConfigError, match="low <= high"):
            validate(Sample, {"range_": [low + width, low]})
    with pytest.raises(ConfigError) as err:
        validate(Sample, {"range_": [low, low + width + 0.5]})
    assert err.value.field == "range_[1]"


@given(name=st.sampled_from([r.value for r in IssuingRule]), upper=st.booleans())
def test_enum_names_are_case_insensitive(name: str, upper: bool) -> None:
    given_name = name.upper() if upper else name.capitalize()
    assert validate(Sample, {"issuing": given_name}).issuing is IssuingRule(name)


def test_enum_refusal_lists_the_names_and_refuses_integers() -> None:
    for bad in ("random", 0, True):
        with pytest.raises(ConfigError, match="allowed: one of fifo, lifo, mixed"):
            validate(Sample, {"issuing": bad})


def test_unknown_key_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as err:
        validate(Sample, {"cuont": 3}, prefix="stores[3]")
    assert err.value.field == "stores[3].cuont"
    assert "did you mean 'count'?" in err.value.allowed


def test_paths_have_dots_and_list_indices() -> None:
    assert path_of(("stores", 3, "dc")) == "stores[3].dc"
    assert path_of(("skus", "<list>", 12, "shelf_life_days")) == "skus[12].shelf_life_days"
    assert path_of(("by_category", "toys", "[key]"), "store_sku") == "store_sku.by_category.toys"


def test_category_names_mean_the_same_in_both_configs() -> None:
    cfg = tiny_config()
    cfg["skus"][0]["category"] = "Dairy"
    assert build_network(cfg).skus.category[0] == Category.DAIRY
    demand = copy.deepcopy(_base_cfg())
    demand["categories"] = {"DAIRY": {"elasticity": 1.0}}
    assert build_demand(demand, _net()).spec.profiles[Category.DAIRY].elasticity == 1.0
    for bad in (2, "dairyy"):
        cfg["skus"][0]["category"] = bad
        with pytest.raises(ConfigError, match="one of leafy_vegetables, fruit, dairy"):
            build_network(cfg)
