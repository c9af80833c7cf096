"""Hand-computed cases for the stock-with-ages operations."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.enums import IssuingRule
from sim.inventory import (
    advance_ages,
    allocate_fair,
    expire_and_age,
    issue,
    round_up_to_packs,
    scale_to_capacity,
)


def test_fifo_takes_oldest_first():
    stock = np.array([[2, 3, 4]])  # ages 0, 1, 2
    taken = issue(stock, np.array([5]), IssuingRule.FIFO)
    assert taken.tolist() == [[0, 1, 4]]
    assert stock.tolist() == [[2, 2, 0]]


def test_lifo_takes_freshest_first():
    stock = np.array([[2, 3, 4]])
    taken = issue(stock, np.array([5]), IssuingRule.LIFO)
    assert taken.tolist() == [[2, 3, 0]]
    assert stock.tolist() == [[0, 0, 4]]


def test_mixed_splits_batch_between_freshest_and_oldest():
    stock = np.array([[2, 3, 4]])
    # 5 units, half freshest-first: 2.5 rounds half up to 3 LIFO (2 at age 0, 1 at age 1),
    # the other 2 FIFO (age 2)
    taken = issue(stock, np.array([5]), IssuingRule.MIXED, fresh_first_share=0.5)
    assert taken.tolist() == [[2, 1, 2]]
    assert stock.tolist() == [[0, 2, 2]]


def test_expiry_wastes_last_age_and_ages_the_rest():
    stock = np.array([[[2, 3, 4], [7, 0, 0]]])  # sku0 life 3, sku1 non-perishable
    wasted = expire_and_age(stock, np.array([3, 0]))
    assert wasted.tolist() == [[4, 0]]
    assert stock.tolist() == [[[0, 2, 3], [7, 0, 0]]]


def test_expiry_respects_each_skus_shelf_life():
    stock = np.array([[[5, 6, 0], [1, 2, 3]]])  # sku0 life 2, sku1 life 3
    wasted = expire_and_age(stock, np.array([2, 3]))
    assert wasted.tolist() == [[6, 3]]
    assert stock.tolist() == [[[0, 5, 0], [0, 1, 2]]]


def test_advance_ages_over_two_midnights():
    qty = np.array([[1, 2, 3, 4], [9, 0, 0, 0]])  # sku0 life 4, sku1 non-perishable
    aged, wasted = advance_ages(qty, 2, np.array([4, 0]))
    assert wasted.tolist() == [7, 0]  # ages 2 and 3 would reach 4 and 5
    assert aged.tolist() == [[0, 0, 1, 2], [9, 0, 0, 0]]


def test_case_pack_rounding_up_unless_break_pack():
    out = round_up_to_packs(
        np.array([1, 12, 13, 5]), np.array([12, 12, 12, 6]), np.array([False, False, False, True])
    )
    assert out.tolist() == [12, 12, 24, 5]


def test_fair_allocation_largest_remainder():
    # 5 available, stores ask 6 and 3: shares 3.33 and 1.67 -> 3 and 1, the leftover unit to 1.67
    out = allocate_fair(np.array([[6], [3]]), np.array([5]))
    assert out.tolist() == [[3], [2]]


def test_fair_allocation_fills_columns_with_enough_stock():
    out = allocate_fair(np.array([[2, 6], [1, 3]]), np.array([10, 5]))
    assert out.tolist() == [[2, 3], [1, 2]]


def test_scale_to_capacity_cuts_every_line_by_the_same_share():
    # 50 units asked, 25 fit: packs [[1, 10], [2, 4]] x 25/50 -> floors [[0, 5], [1, 2]]
    # = 19 units. Only sku0 at store 0 has a remainder, and its 12-unit pack does
    # not fit in the 6 units left, so they stay unused.
    lines = np.array([[12, 10], [24, 4]])
    out = scale_to_capacity(lines, np.array([12, 1]), 25)
    assert out.tolist() == [[0, 5], [12, 2]]


def test_scale_to_capacity_does_not_round_many_small_lines_to_zero():
    lines = np.full((10, 1000), 6)  # 10,000 one-case lines
    out = scale_to_capacity(lines, np.array([6] * 1000), 30_000)
    assert out.sum() == 30_000  # half the lines keep their case, none is split


@given(
    st.lists(st.integers(0, 5), min_size=1, max_size=12),
    st.lists(st.integers(1, 12), min_size=1, max_size=12),
    st.integers(0, 100),
)
def test_scale_to_capacity_never_exceeds_capacity_or_requests(packs, pack_sizes, capacity):
    n = min(len(packs), len(pack_sizes))
    pack = np.array(pack_sizes[:n])
    lines = (np.array(packs[:n]) * pack)[None, :]
    out = scale_to_capacity(lines, pack, capacity)
    assert out.sum() <= max(capacity, 0) or out.sum() == lines.sum() <= capacity
    assert (out <= lines).all() and (out % pack == 0).all()


@given(
    st.lists(st.integers(0, 20), min_size=1, max_size=6),
    st.integers(0, 200),
    st.sampled_from(list(IssuingRule)),
    st.floats(0, 1),
)
def test_issue_conserves_units(ages, want, rule, share):
    stock = np.array([ages], dtype=np.int64)
    before = stock.copy()
    units = np.array([min(want, int(stock.sum()))])
    taken = issue(stock, units, rule, share)
    assert (taken >= 0).all() and (stock >= 0).all()
    assert int(taken.sum()) == int(units[0])
    assert (taken + stock == before).all()


@given(
    st.lists(st.integers(0, 50), min_size=1, max_size=8),
    st.integers(0, 300),
)
def test_fair_allocation_never_exceeds_request_or_stock(requests, available):
    req = np.array(requests)[:, None]
    out = allocate_fair(req, np.array([available]))
    assert (out <= req).all() and (out >= 0).all()
    assert int(out.sum()) == min(int(req.sum()), available)


def _expire_and_age_by_hand(stock: np.ndarray, life: np.ndarray) -> np.ndarray:
    """The rule one SKU at a time: waste age life-1, move every other age up one."""
    wasted = np.zeros(stock.shape[:2], dtype=stock.dtype)
    for j, m in enumerate(life):
        if m > 0:
            wasted[:, j] = stock[:, j, m - 1]
            stock[:, j, 1:m] = stock[:, j, : m - 1].copy()
            stock[:, j, 0] = 0
    return wasted


@given(
    lives=st.lists(st.sampled_from([0, 1, 2, 3, 5]), min_size=1, max_size=8),
    nodes=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_expiry_in_place_matches_the_rule_for_any_mix_of_shelf_lives(lives, nodes, seed):
    """Groups of one shelf life that are contiguous move in place as views, the
    others through a copy; both must give the rule's result."""
    life = np.array(lives)
    ages = max(1, int(life.max()))
    stock = np.random.default_rng(seed).integers(0, 9, (nodes, len(lives), ages))
    stock[:, :, 1:] *= (np.arange(1, ages) < life[:, None])[None]  # no stock past its life
    expected = stock.copy()
    expected_wasted = _expire_and_age_by_hand(expected, life)
    wasted = expire_and_age(stock, life)
    np.testing.assert_array_equal(wasted, expected_wasted)
    np.testing.assert_array_equal(stock, expected)
