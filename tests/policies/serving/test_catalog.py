"""The catalog's memory of recent SKU lists: a hit is exactly the lookup's answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.serving.catalog import RecentIdLists
from policies.serving.state import parse_state
from tests.policies.serving.test_state import outcome, same
from tests.policies.serving.tiny_catalog import random_state, tiny_catalog


def test_a_remembered_list_is_found_again_and_its_rows_are_read_only():
    recent = RecentIdLists(size=4)
    ids = ["A", "B", "C"]
    rows = recent.remember(recent.key(ids), np.array([3, 1, 2]))
    assert recent.get(recent.key(list(ids))) is rows
    with pytest.raises(ValueError, match="read-only"):
        rows[0] = 9
    assert recent.get(recent.key(["A", "Z", "C"])) is None


def test_only_lists_whose_key_is_exact_are_remembered():
    recent = RecentIdLists(size=4)
    assert recent.key(["a", "b"]) != recent.key(["a\x00b"])
    # a NUL inside an id could make two lists join alike: such lists are not remembered
    assert recent.key(["a\x00", "b"]) is None and recent.key(["a", "\x00b"]) is None
    assert recent.key(["a", 5]) is None  # not a string: left to the lookup to refuse
    assert RecentIdLists(size=0).key(["a"]) is None


def test_the_least_recently_used_list_is_forgotten_first():
    recent = RecentIdLists(size=2)
    for first in "ABC":
        recent.remember(recent.key([first, "x"]), np.array([0, 1]))
        if first == "B":
            assert recent.get(recent.key(["A", "x"])) is not None  # A is now the most recent
    assert recent.get(recent.key(["B", "x"])) is None
    assert recent.get(recent.key(["A", "x"])) is not None
    assert recent.get(recent.key(["C", "x"])) is not None


def test_the_memory_holds_at_most_max_chars_of_keys():
    recent = RecentIdLists(size=100, max_chars=10)
    assert recent.key(["abcdef", "ghijk"]) is None  # 12 characters: never remembered
    for first in "ABCD":
        recent.remember(recent.key([first, "xy"]), np.array([0, 1]))  # 4 characters each
    assert recent.get(recent.key(["B", "xy"])) is None  # 3 keys would be 12 characters
    assert recent.get(recent.key(["C", "xy"])) is not None
    assert recent.get(recent.key(["D", "xy"])) is not None


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), swaps=st.lists(st.integers(0, 5), max_size=3))
def test_parsing_with_and_without_the_memory_gives_the_same_rows(seed, swaps):
    remembering, fresh = tiny_catalog(), tiny_catalog()
    fresh.recent_sku_lists.size = 0
    state = random_state(np.random.default_rng(seed), remembering, 6, 2)
    parse_state(state, remembering)  # remembered
    for i in swaps:  # a similar list: another id in the middle, or an unknown id
        state["sku_ids"][i] = ["K00", "K11", "GHOST"][i % 3]
    answers = [outcome(state, catalog) for catalog in (remembering, fresh)]
    assert same(*answers)
