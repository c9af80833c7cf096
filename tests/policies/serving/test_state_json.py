"""The JSON body's shortcut (``read_json``) answers exactly as the full scan of element types."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.serving import StateError
from policies.serving.state import NumbersChecked, parse_state
from policies.serving.state_json import DuplicateKeyError, numbers_are_numbers, read_json
from tests.policies.serving.test_state import CATALOG, NUMERIC, ODD_VALUES, outcome, same
from tests.policies.serving.tiny_catalog import N_AGES, random_state


@st.composite
def json_bodies(draw: st.DrawFn) -> bytes:
    """Valid states, some spoiled with odd values, in varied JSON spellings."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(1, 10))
    state = random_state(rng, CATALOG, n, draw(st.integers(1, N_AGES)))
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from([*NUMERIC, "on_hand_by_age"]))
        row = draw(st.integers(0, n - 1))
        odd = draw(st.sampled_from([*ODD_VALUES, "true", "null", 'a\\"b']))
        if name == "on_hand_by_age":
            state[name][row][0] = odd
        else:
            if not isinstance(state.get(name), list):
                state[name] = [1.0] * n
            state[name][row] = odd
    body = json.dumps(
        state,
        indent=draw(st.sampled_from([None, 1])),
        ensure_ascii=draw(st.booleans()),
        separators=draw(st.sampled_from([None, (",", ":")])),
    )
    if draw(st.booleans()):  # a repeated key: two more quotes than the columns account for
        body = body.replace("{", '{"weekday": 9, ', 1)
    return body.encode()


@settings(max_examples=300, deadline=None)
@given(body=json_bodies())
def test_the_shortcut_never_changes_the_answer(body):
    """Either the answer of the plain parse, or, for a key given twice (which the plain parse
    would settle by "last one wins"), a refusal naming it."""
    pairs = json.loads(body, object_pairs_hook=lambda p: p)
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        with pytest.raises(DuplicateKeyError, match="weekday: got the key twice"):
            read_json(body)
        return
    assert same(outcome(read_json(body)), outcome(json.loads(body)))


def test_a_clean_body_takes_the_shortcut_and_a_doubtful_one_does_not():
    state = random_state(np.random.default_rng(5), CATALOG, 6, 3)
    body = json.dumps(state).encode()
    assert isinstance(read_json(body), NumbersChecked)
    for spoil in ('"3"', "true", "null"):
        spoiled = body.replace(b'"on_order": [', b'"on_order": [' + spoil.encode() + b", ", 1)
        assert not isinstance(read_json(spoiled), NumbersChecked), spoil
    with_null = body.replace(b'"on_order": [', b'"on_order": [null, ', 1)
    with pytest.raises(StateError, match=r"on_order\[0\]: got None"):  # refused all the same
        parse_state(read_json(with_null), CATALOG)
    escaped = body.replace(b'"store_id"', b'"store\\u005fid"')  # a backslash: no proof
    assert not isinstance(read_json(escaped), NumbersChecked)
    assert numbers_are_numbers(b'{"a": 1}', {"a": 1})


def test_text_in_a_number_list_is_named_through_the_json_path():
    state = random_state(np.random.default_rng(6), CATALOG, 4, 2)
    state["sales_yesterday"][2] = "1"
    with pytest.raises(StateError, match=r"^sales_yesterday\[2\]: got '1'"):
        parse_state(read_json(json.dumps(state).encode()), CATALOG)
