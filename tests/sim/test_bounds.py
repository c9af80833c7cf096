"""Numbers at the edges of the simulator's calls: refused by name, or capped and counted;
the books balance after every one."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import Simulation
from sim.errors import ActionError
from sim.spec import CourierPoolSpec
from sim.transfer import Transfer
from sim.validation import MAX_UNITS
from tests.sim.factory import network
from tests.sim.test_engine_rules import zero_demand


def courier_sim(on_hand: list[list[int]]) -> Simulation:
    pool = CourierPoolSpec(size=2, capacity_units=4, no_show_probability=0.0)
    net = network(couriers=pool, initial_on_hand=np.array(on_hand))
    return Simulation(net, zero_demand(), seed=1, check_conservation=True)


@pytest.mark.parametrize("t", [float("nan"), float("inf"), -float("inf"), "5", None])
def test_run_until_refuses_times_that_are_not_finite_numbers(t):
    sim = courier_sim([[1, 0], [0, 0]])
    with pytest.raises(ActionError, match=r"run_until: time .*allowed: a finite number of hours"):
        sim.run_until(t)
    assert sim.now_hours == 0.0
    sim.run_until(3.0)  # the simulation goes on
    assert sim.now_hours == 3.0


@pytest.mark.parametrize(
    "order",
    [
        np.array([[1e300, 0.0], [0.0, 0.0]]),
        np.array([[2**63, 0], [0, 0]], dtype=np.uint64),
        np.array([[int(MAX_UNITS) + 1, 0], [0, 0]]),
    ],
    ids=["1e300", "2^63 as uint64", "1e15+1"],
)
def test_orders_beyond_1e15_units_are_refused_before_any_arithmetic(order):
    sim = courier_sim([[1, 0], [0, 0]])
    with pytest.raises(
        ActionError, match=r"store orders: .* units; allowed: whole numbers 0\.\.1e\+15"
    ):
        sim.submit_store_orders(order)
    sim.submit_store_orders(np.array([[int(MAX_UNITS), 0], [0, 0]]))  # the bound itself is allowed
    sim.run_until(30.0)
    sim.assert_conserved()


def test_a_transfer_beyond_the_origins_stock_is_capped_before_the_split_and_counted():
    """5 units held, 1e10 asked: two trips of capacity 4 (4 + 1), not 2.5e9 trips; the rest is
    counted as capped; a second transfer from the same origin in the same call gets nothing
    left and dispatches no (charged) trip."""
    sim = courier_sim([[5, 0], [0, 0]])
    trips = sim.submit_transfers(
        [Transfer(0, 1, np.array([10**10, 0])), Transfer(0, 1, np.array([3, 0]))]
    )
    assert trips == 2
    sim.run_until(10.0)
    c = sim.counters_view().network
    assert c.transfer_capped_units == 10**10 - 5 + 3
    assert c.courier_trips == 2 and c.courier_units == 5 and c.courier_short_pick_units == 0
    assert sim.snapshot().store_on_hand.tolist() == [[0, 0], [5, 0]]
    sim.assert_conserved()


ODD = st.one_of(
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 1e15, 1e15 + 1, 2**53 + 1, 5e-324, -0.0]),
)


@settings(max_examples=60, deadline=None)
@given(orders=st.lists(ODD, min_size=4, max_size=4), moves=st.lists(ODD, min_size=2, max_size=2))
def test_odd_numbers_at_the_simulators_entry_points_are_refused_or_kept_whole(orders, moves):
    """Huge, tiny, NaN, infinite, negative, fractional and wide integers as store orders and
    transfer quantities: each call either raises ActionError (and changes nothing) or is
    carried out, and the books balance to the unit after the day."""
    sim = courier_sim([[7, 3], [2, 0]])
    for submit in (
        lambda: sim.submit_store_orders(np.array(orders, dtype=object).reshape(2, 2).astype(float)),
        lambda: sim.submit_transfers([Transfer(0, 1, np.array(moves, dtype=object).astype(float))]),
    ):
        try:
            submit()
        except ActionError:
            pass
        sim.assert_conserved()
    sim.run_until(30.0)
    sim.assert_conserved()
