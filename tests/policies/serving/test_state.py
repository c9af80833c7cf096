"""State validation: the at-once pass accepts exactly what the column-by-column pass accepts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.serving import StateError
from policies.serving import state as state_module
from policies.serving.state import parse_state
from tests.policies.serving.tiny_catalog import N_AGES, random_state, tiny_catalog

CATALOG = tiny_catalog()
NUMERIC = [
    "on_order",
    "sales_yesterday",
    "demand_yesterday",
    "forecast",
    "on_shelf",
    "arriving_1d",
    "dc_on_hand",
    "promotion_price",
    "price_multiplier",
    "scale",
    "lead_time_days",
]
ODD_VALUES = [
    -1,
    -0.0,
    0,
    0.5,
    1.5,
    2,
    1e300,
    10**400,
    2**70,
    float("nan"),
    float("inf"),
    -float("inf"),
    True,
    None,
    "3",
    "x",
    [1],
]


def by_column(columns: dict) -> object:
    """What the column-by-column pass alone answers: the rows, or the error's message."""
    original = state_module._values_at_once
    state_module._values_at_once = lambda *args: None
    try:
        return outcome(columns)
    finally:
        state_module._values_at_once = original


def outcome(columns: object, catalog: object = CATALOG) -> object:
    """The parsed rows, or the refusal's message."""
    try:
        return parse_state(columns, catalog)  # type: ignore[arg-type]
    except StateError as err:
        return str(err)


def same(a: object, b: object) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    for name in a.__dataclass_fields__:  # type: ignore[union-attr]
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            if not (np.array_equal(x, y) and x.dtype == y.dtype and x.shape == y.shape):
                return False
        elif x != y:
            return False
    return True


@st.composite
def spoiled_states(draw: st.DrawFn) -> dict:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(1, 10))
    state = random_state(rng, CATALOG, n, draw(st.integers(1, N_AGES)))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["value", "age", "width", "array", "length", "type", "cross"]))
        name = draw(st.sampled_from(NUMERIC))
        row = draw(st.integers(0, n - 1))
        if kind == "value":
            if not isinstance(state.get(name), list) or len(state[name]) != n:
                state[name] = [1.0] * n
            state[name][row] = draw(st.sampled_from(ODD_VALUES))
        elif kind == "age" and isinstance(state["on_hand_by_age"], list):
            ages = state["on_hand_by_age"][row]
            ages[draw(st.integers(0, len(ages) - 1))] = draw(st.sampled_from(ODD_VALUES))
        elif kind == "width" and isinstance(state["on_hand_by_age"], list):
            state["on_hand_by_age"][row] = state["on_hand_by_age"][row] + [0, 1][
                : draw(st.integers(0, 2))
            ] * draw(st.integers(1, 5))
        elif kind == "array":  # numpy columns, as the batch CLI sends them
            target = draw(st.sampled_from([*NUMERIC, "on_hand_by_age"]))
            dtype = draw(st.sampled_from([np.float64, np.int64, np.float32, np.int32, bool, str]))
            try:
                state[target] = np.asarray(state.get(target, [1] * n)).astype(dtype)
            except (ValueError, TypeError, OverflowError):
                pass
        elif kind == "length":
            column = state.get(name)
            column = list(column) if isinstance(column, list | np.ndarray) else [1] * n
            state[name] = column[: draw(st.integers(0, n + 1))] + [1] * draw(st.integers(0, 1))
        elif kind == "type":
            state[name] = draw(st.sampled_from(["many", 3, None, (1,) * n, {"a": 1}]))
        else:  # break a rule between columns
            if not isinstance(state.get("on_shelf"), list) or len(state["on_shelf"]) != n:
                state["on_shelf"] = [0] * n
            state["on_shelf"][row] = 10**6
    return state


@settings(max_examples=300, deadline=None)
@given(state=spoiled_states())
def test_the_at_once_pass_answers_exactly_as_the_column_by_column_pass(state):
    assert same(outcome(state), by_column(state))


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), width=st.integers(1, N_AGES))
def test_valid_json_states_pass_at_once(seed, n, width):
    state = json.loads(json.dumps(random_state(np.random.default_rng(seed), CATALOG, n, width)))
    sku = np.array([CATALOG.sku_index[s] for s in state["sku_ids"]])
    store = np.full(n, CATALOG.store_index[state["store_id"]])
    values = state_module._values_at_once(state, CATALOG, store, sku, state["weekday"])
    assert values is not None
    rows = parse_state(state, CATALOG)
    assert rows.on_hand_by_age.shape == (n, N_AGES)
    assert np.array_equal(rows.on_hand, rows.on_hand_by_age.sum(axis=1))
    held = np.flatnonzero(rows.on_hand_by_age.any(axis=0))
    assert rows.ages_held == (held[-1] + 1 if len(held) else 0)
    assert not rows.on_hand_by_age[:, rows.ages_held :].any()


def test_a_number_too_large_for_a_float_is_refused_by_name_not_a_crash():
    state = random_state(np.random.default_rng(1), CATALOG, 3, 2)
    state["on_order"][1] = 10**400
    with pytest.raises(StateError, match=r"on_order: got"):
        parse_state(state, CATALOG)


@pytest.mark.parametrize("one_store", [True, False])
def test_a_repeated_store_sku_is_named_at_its_second_row(one_store):
    state = random_state(np.random.default_rng(2), CATALOG, 5, 2)
    state["sku_ids"][3] = state["sku_ids"][1]
    if not one_store:
        state["store_ids"] = [state.pop("store_id")] * 5
    with pytest.raises(StateError, match=r"sku_ids\[3\].*each store-SKU once"):
        parse_state(state, CATALOG)
    if not one_store:  # the same SKU at two stores is two store-SKUs
        state["store_ids"][3] = "S1" if state["store_ids"][1] == "S0" else "S0"
        assert parse_state(state, CATALOG).n == 5


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("on_order", "3", "on_order[1]"),
        ("on_order", True, "on_order[1]"),
        ("forecast", "2.5", "forecast[1]"),
        ("forecast", None, "forecast[1]"),
        ("on_hand_by_age", "1", "on_hand_by_age[1][0]"),
        ("on_hand_by_age", False, "on_hand_by_age[1][0]"),
    ],
)
def test_text_bools_and_nulls_are_not_read_as_numbers(column, value, field):
    state = random_state(np.random.default_rng(3), CATALOG, 4, 2)
    if column == "on_hand_by_age":
        state[column][1][0] = value
    else:
        state[column][1] = value
    with pytest.raises(StateError) as refused:
        parse_state(state, CATALOG)
    assert str(refused.value) == f"{field}: got {value!r}; allowed: {state_module.NOT_A_NUMBER}"


@pytest.mark.parametrize("dtype", [bool, str])
def test_arrays_of_bools_or_text_are_not_read_as_numbers(dtype):
    state = random_state(np.random.default_rng(4), CATALOG, 4, 2)
    state["on_order"] = np.asarray(state["on_order"]).astype(dtype)
    with pytest.raises(StateError, match=r"^on_order: got 'an array of .*numbers \(int or float\)"):
        parse_state(state, CATALOG)


def test_rows_of_ages_given_as_text_arrays_are_refused_by_row():
    state = random_state(np.random.default_rng(8), CATALOG, 3, 2)
    state["on_hand_by_age"] = [np.asarray(row) for row in state["on_hand_by_age"]]
    parse_state(state, CATALOG)  # numeric arrays as rows are fine
    state["on_hand_by_age"][2] = np.asarray(state["on_hand_by_age"][2]).astype(str)
    with pytest.raises(StateError, match=r"^on_hand_by_age\[2\]: got 'an array of <U"):
        parse_state(state, CATALOG)


def test_a_count_too_large_to_hold_exactly_is_refused_not_rounded():
    state = random_state(np.random.default_rng(9), CATALOG, 3, 2)
    state["on_order"][1] = 2**53 + 1  # as a float it would read 2**53
    with pytest.raises(StateError, match=r"^on_order\[1\]: got 9007199254740992; allowed: at most"):
        parse_state(state, CATALOG)
    state["on_order"][1] = 10**15  # the largest count accepted
    assert parse_state(state, CATALOG).on_order[1] == 10**15
