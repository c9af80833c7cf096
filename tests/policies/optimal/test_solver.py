"""The exact solver: dynamics by hand, brute force over all policies, base stock, returns."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.optimal import (
    OptimalPolicy,
    PerishableProblem,
    base_stock_levels,
    base_stock_table,
    best_base_stock,
    demand_values,
    discounted_return,
    evaluate_policy,
    period_outcome,
    policy_chain,
    solve_average_cost,
    solve_discounted,
    transitions,
)
from sim.demand.stationary import StationaryDemandSpec
from sim.enums import DemandDistribution, IssuingRule
from sim.errors import ConfigError

FIFO, LIFO = IssuingRule.FIFO, IssuingRule.LIFO
TINY_DEMAND = StationaryDemandSpec(DemandDistribution.GAMMA, mean=1.5, cv=0.6, max_demand=3)
SMALL_DEMAND = StationaryDemandSpec(DemandDistribution.GAMMA, mean=2.0, cv=0.5, max_demand=5)
ENV_DEMAND = StationaryDemandSpec(DemandDistribution.GAMMA, mean=4.0, cv=0.5, max_demand=16)


def problem(
    life: int = 2,
    lead: int = 1,
    issuing: IssuingRule = FIFO,
    demand: StationaryDemandSpec = TINY_DEMAND,
    q: int = 2,
    costs: tuple[float, float, float, float] = (3.0, 5.0, 7.0, 1.0),
    max_stock: int | None = None,
) -> PerishableProblem:
    c, p, w, h = costs
    return PerishableProblem(life, lead, issuing, demand, q, c, p, w, h, max_stock=max_stock)


def reference_chain(pb: PerishableProblem) -> tuple[np.ndarray, np.ndarray]:
    """[actions, states, states] transition matrices and [states, actions] expected costs,
    built only from ``period_outcome`` (the unit-by-unit reference)."""
    n, q1 = pb.n_states, pb.max_order + 1
    pmf = pb.demand.daily_pmf()
    P = np.zeros((q1, n, n))
    C = np.zeros((n, q1))
    for s in range(n):
        state = pb.state_of(s)
        for a in range(q1):
            for d, prob in enumerate(pmf):
                out = period_outcome(pb, state, a, d)
                P[a, s, pb.state_index(out.next_state)] += prob
                C[s, a] += prob * out.cost
    return P, C


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("field", "kwargs", "allowed"),
    [
        ("life_days", {"life": -1}, "integer >= 1, or 0"),
        ("lead_time", {"lead": -1}, "integer >= 0"),
        ("life_days/lead_time", {"life": 1, "lead": 0}, "not both"),
        ("issuing", {"issuing": IssuingRule.MIXED}, "MIXED is not supported"),
        ("max_order", {"q": 0}, "integer >= 1"),
        ("order_cost", {"costs": (-1.0, 5.0, 7.0, 1.0)}, "finite number >= 0"),
        ("holding_cost", {"costs": (3.0, 5.0, 7.0, math.nan)}, "finite number >= 0"),
        ("max_stock", {"max_stock": 5}, "None for a perishable item"),
        ("max_stock", {"life": 0, "max_stock": 0}, "integer >= 1"),
    ],
)
def test_bad_fields_are_refused_with_the_field_and_what_is_allowed(field, kwargs, allowed):
    with pytest.raises(ConfigError) as err:
        problem(**kwargs)
    assert err.value.field == field
    assert allowed in str(err.value)
    assert isinstance(err.value, ValueError)


def test_issuing_must_be_the_enum_not_a_string():
    with pytest.raises(ValueError, match="issuing"):
        PerishableProblem(2, 1, "fifo", TINY_DEMAND, 2, 3, 5, 7, 1)  # type: ignore[arg-type]


def test_non_perishable_default_cap_and_layout():
    pb = problem(life=0, lead=2, q=3, demand=SMALL_DEMAND)
    assert pb.max_stock == 3 * (2 + 2) + 5
    assert pb.dims == (pb.max_stock + 1, 4, 4)
    assert problem(life=4, lead=2, q=3).dims == (4,) * 5


def test_state_index_round_trips_and_rejects_out_of_range():
    pb = problem(life=3, lead=2, q=4)
    for s in (0, 1, 77, pb.n_states - 1):
        assert pb.state_index(pb.state_of(s)) == s
    # the last pipeline slot (the order just placed) is the fastest axis
    assert pb.state_index((0, 0, 0, 1)) == 1
    with pytest.raises(ValueError, match=r"arriving at t\+1.*0\.\.4"):
        pb.state_index((0, 0, 0, 5))
    with pytest.raises(ValueError, match="shape"):
        pb.state_index((0, 0, 0))


# ----------------------------------------------------------- dynamics by hand
def test_fifo_serves_oldest_first_then_ages_and_holds():
    pb = problem(life=3, lead=1, q=5)
    # on hand: 2 with 1 day left, 3 with 2 days left; 4 arrive now (life 3); order 5
    out = period_outcome(pb, (2, 3, 4), order=5, demand=4)
    # FIFO: 2 (life 1) + 2 (life 2) sold; nothing expires; 1 + 4 carried
    assert out.next_state == (1, 4, 5)
    assert (out.sold, out.lost, out.wasted, out.carried) == (4, 0, 0, 5)
    assert out.cost == 3 * 5 + 1 * 5


def test_lifo_serves_freshest_first_and_the_oldest_expire():
    pb = problem(life=3, lead=1, q=5, issuing=LIFO)
    out = period_outcome(pb, (2, 3, 4), order=5, demand=4)
    # LIFO: the 4 fresh units sold; the 2 with 1 day left expire; 3 carried
    assert out.next_state == (3, 0, 5)
    assert (out.sold, out.lost, out.wasted, out.carried) == (4, 0, 2, 3)
    assert out.cost == 3 * 5 + 7 * 2 + 1 * 3


def test_unmet_demand_is_lost():
    pb = problem(life=3, lead=1, q=5)
    out = period_outcome(pb, (2, 3, 4), order=0, demand=12)
    assert out.next_state == (0, 0, 0)
    assert (out.sold, out.lost, out.wasted, out.carried) == (9, 3, 0, 0)
    assert out.cost == 5 * 3


def test_zero_lead_time_order_arrives_before_demand():
    fifo = period_outcome(problem(life=2, lead=0, q=5), (3,), order=4, demand=2)
    # FIFO sells 2 of the 3 old units, the third expires, the 4 new ones carry on
    assert fifo.next_state == (4,)
    assert (fifo.wasted, fifo.carried, fifo.cost) == (1, 4, 3 * 4 + 7 * 1 + 4)
    lifo = period_outcome(problem(life=2, lead=0, q=5, issuing=LIFO), (3,), order=4, demand=2)
    assert lifo.next_state == (2,)
    assert (lifo.wasted, lifo.carried, lifo.cost) == (3, 2, 3 * 4 + 7 * 3 + 2)


def test_one_day_life_sells_or_wastes_the_arrival():
    out = period_outcome(problem(life=1, lead=1, q=5), (5,), order=2, demand=3)
    assert out.next_state == (2,)
    assert (out.sold, out.wasted, out.carried, out.cost) == (3, 2, 0, 3 * 2 + 7 * 2)


def test_non_perishable_order_is_reduced_to_the_position_cap():
    pb = problem(life=0, lead=1, q=5, max_stock=10)
    out = period_outcome(pb, (4, 3), order=5, demand=2)  # position 7: room for 3
    assert out.ordered == 3
    assert out.next_state == (5, 3)
    assert (out.wasted, out.carried, out.cost) == (0, 5, 3 * 3 + 5)


CONFIGS = [
    {"life": 2, "lead": 1, "issuing": FIFO},
    {"life": 3, "lead": 1, "issuing": LIFO},
    {"life": 3, "lead": 0, "issuing": FIFO},
    {"life": 1, "lead": 2, "issuing": FIFO},
    {"life": 2, "lead": 2, "issuing": LIFO},
    {"life": 0, "lead": 1, "max_stock": 6},
    {"life": 0, "lead": 0, "max_stock": 5},
]


@pytest.mark.parametrize("config", CONFIGS)
def test_vectorised_model_equals_the_unit_by_unit_reference(config):
    pb = problem(q=2, **config)
    pmf = pb.demand.daily_pmf()
    dvals = demand_values(pb)
    states = np.repeat(np.arange(pb.n_states), pb.max_order + 1)
    orders = np.tile(np.arange(pb.max_order + 1), pb.n_states)
    nexts, probs, cost = transitions(pb, states, orders)
    np.testing.assert_allclose(probs, pmf[dvals])
    for i, (s, a) in enumerate(zip(states, orders, strict=True)):
        expected = 0.0
        for j, d in enumerate(dvals):
            out = period_outcome(pb, pb.state_of(s), int(a), int(d))
            assert nexts[i, j] == pb.state_index(out.next_state), (pb.state_of(s), a, d)
            expected += probs[j] * out.cost
        assert cost[i] == pytest.approx(expected, abs=1e-12)


# --------------------------------------------------------------- brute force
def all_tables(pb: PerishableProblem):
    for orders in itertools.product(range(pb.max_order + 1), repeat=pb.n_states):
        yield np.array(orders, dtype=np.int64)


@pytest.mark.parametrize("issuing", [FIFO, LIFO])
def test_solver_attains_the_minimum_over_all_deterministic_policies(issuing):
    pb = problem(life=2, lead=1, q=2, issuing=issuing)  # 9 states, 3^9 = 19,683 policies
    best = min(evaluate_policy(pb, table) for table in all_tables(pb))
    solution = solve_average_cost(pb)
    assert solution.converged
    assert solution.avg_cost == pytest.approx(best, abs=1e-8)
    assert evaluate_policy(pb, solution.table) == pytest.approx(best, abs=1e-8)
    lower, upper = solution.avg_cost_bounds
    assert lower - 1e-12 <= best <= upper + 1e-12


@pytest.mark.parametrize(
    "config",
    [
        {"life": 0, "lead": 1, "q": 1, "max_stock": 3},  # 8 states, 256 policies
        {"life": 2, "lead": 0, "q": 3, "issuing": LIFO},  # 4 states, 256 policies
        {"life": 1, "lead": 1, "q": 3},  # pipeline only
        pytest.param({"life": 3, "lead": 0, "q": 2, "issuing": LIFO}, marks=pytest.mark.slow),
        pytest.param({"life": 1, "lead": 2, "q": 2}, marks=pytest.mark.slow),
        pytest.param({"life": 0, "lead": 1, "q": 2, "max_stock": 2}, marks=pytest.mark.slow),
    ],
)
def test_brute_force_other_shapes(config):
    pb = problem(**config)
    best = min(evaluate_policy(pb, table) for table in all_tables(pb))
    assert solve_average_cost(pb).avg_cost == pytest.approx(best, abs=1e-8)


def test_evaluate_policy_matches_a_long_power_iteration_of_the_reference_chain():
    pb = problem(life=3, lead=1, q=2, issuing=LIFO)
    P, C = reference_chain(pb)
    rng = np.random.default_rng(7)
    for _ in range(5):
        table = rng.integers(0, 3, pb.n_states)
        Pp = P[table, np.arange(pb.n_states)]
        cost = C[np.arange(pb.n_states), table]
        dist = np.zeros(pb.n_states)
        dist[0] = 1.0
        lazy = 0.5 * (Pp + np.eye(pb.n_states))  # Cesàro limit = the lazy chain's limit
        for _ in range(20):
            lazy = lazy @ lazy
        assert evaluate_policy(pb, table) == pytest.approx(dist @ lazy @ cost, abs=1e-9)


def test_multichain_policy_is_weighted_by_absorption():
    # Never order unless stock is on hand (impossible from empty): the empty state is
    # absorbing, cost = p · E[demand] exactly.
    pb = problem(life=2, lead=1, q=2)
    table = np.zeros(pb.n_states, dtype=np.int64)
    table[1:] = 2
    mean_demand = TINY_DEMAND.daily_pmf() @ np.arange(4)
    assert evaluate_policy(pb, table) == pytest.approx(5.0 * mean_demand, abs=1e-12)


@given(
    life=st.sampled_from([1, 2, 3]),
    lead=st.integers(0, 2),
    issuing=st.sampled_from([FIFO, LIFO]),
    q=st.integers(1, 3),
    costs=st.tuples(*(st.floats(0, 10) for _ in range(4))),
    seed=st.integers(0, 2**31),
)
def test_no_random_policy_beats_the_solver(life, lead, issuing, q, costs, seed):
    if life == 1 and lead == 0:
        lead = 1
    pb = problem(life=life, lead=lead, issuing=issuing, q=q, costs=costs)
    solution = solve_average_cost(pb)
    assert evaluate_policy(pb, solution.table) <= solution.avg_cost_bounds[1] + 1e-9
    rng = np.random.default_rng(seed)
    for _ in range(10):
        table = rng.integers(0, q + 1, pb.n_states)
        assert evaluate_policy(pb, table) >= solution.avg_cost_bounds[0] - 1e-9


def test_aperiodicity_transform_gives_the_same_gain():
    pb = problem(life=3, lead=1, q=4, demand=SMALL_DEMAND)
    plain = solve_average_cost(pb)
    lazy = solve_average_cost(pb, aperiodicity=0.5)
    assert lazy.aperiodicity == 0.5
    assert lazy.avg_cost == pytest.approx(plain.avg_cost, abs=1e-8)


def test_deterministic_demand_converges():
    # cv 0.01: demand is 2 every day; the chains can be periodic
    pb = problem(
        life=3, lead=1, q=3, demand=StationaryDemandSpec(DemandDistribution.GAMMA, 2.0, 0.01, 4)
    )
    solution = solve_average_cost(pb)
    assert solution.converged
    # order 2 a day, sell 2 a day, nothing held: 3 · 2 per period
    assert solution.avg_cost == pytest.approx(6.0, abs=1e-8)


# -------------------------------------------------------------- discounted
def test_discounted_solution_satisfies_the_bellman_equation_of_the_reference():
    gamma = 0.9
    pb = problem(life=2, lead=1, q=2, issuing=LIFO)
    P, C = reference_chain(pb)
    solution = solve_discounted(pb, gamma, tol=1e-10)
    V = solution.value
    Q = C + gamma * np.einsum("asn,n->sa", P, V)
    np.testing.assert_allclose(Q.min(axis=1), V, atol=1e-8)
    # the table's own discounted cost, solved exactly
    table = solution.table.astype(np.int64)
    Pp = P[table, np.arange(pb.n_states)]
    own = np.linalg.solve(np.eye(pb.n_states) - gamma * Pp, C[np.arange(pb.n_states), table])
    np.testing.assert_allclose(own, V, atol=1e-8)
    assert solution.avg_cost == pytest.approx(evaluate_policy(pb, table))


# --------------------------------------------------------------- base stock
@pytest.mark.parametrize(
    "config",
    [
        {"life": 2, "lead": 1, "q": 2},
        {"life": 3, "lead": 1, "q": 5, "issuing": LIFO, "demand": SMALL_DEMAND},
        {"life": 4, "lead": 2, "q": 4, "demand": SMALL_DEMAND},  # iterative path (> 400 states)
        {"life": 0, "lead": 1, "q": 3, "demand": SMALL_DEMAND},
    ],
)
def test_best_base_stock_is_the_exhaustive_minimum_and_no_better_than_optimal(config):
    pb = problem(**config)
    costs = {s: evaluate_policy(pb, base_stock_table(pb, s)) for s in base_stock_levels(pb)}
    level, cost = best_base_stock(pb)
    best = min(costs.values())
    assert cost == pytest.approx(best, abs=1e-9)
    assert level == min(s for s, c in costs.items() if c <= best + 1e-9)
    assert solve_average_cost(pb).avg_cost <= cost + 1e-9


def test_base_stock_orders_up_to_the_level_on_the_position():
    pb = problem(life=3, lead=1, q=5)
    table = base_stock_table(pb, 8)
    assert table[pb.state_index((1, 2, 3))] == 2  # position 6 → 2
    assert table[pb.state_index((0, 0, 0))] == 5  # capped at Q
    assert table[pb.state_index((5, 5, 5))] == 0


# --------------------------------------------------------- discounted return
def simulate_costs(pb: PerishableProblem, table: np.ndarray, reps: int, periods: int, seed: int):
    """[periods, reps] costs from an independent vectorised simulation (perishable)."""
    rng = np.random.default_rng(seed)
    m, lead, c, p, w, h = (
        pb.life_days,
        pb.lead_time,
        pb.order_cost,
        pb.lost_sales_cost,
        pb.waste_cost,
        pb.holding_cost,
    )
    stock = np.zeros((reps, m - 1), dtype=np.int64)
    pipe = np.zeros((reps, lead), dtype=np.int64)
    costs = np.empty((periods, reps))
    for t in range(periods):
        obs = np.concatenate([stock, pipe], axis=1)
        a = table[np.ravel_multi_index(tuple(obs.T), pb.dims)].astype(np.int64)
        if lead:
            arrival, pipe = pipe[:, 0], np.concatenate([pipe[:, 1:], a[:, None]], axis=1)
        else:
            arrival = a
        buckets = np.concatenate([stock, arrival[:, None]], axis=1)
        left = pb.demand.sample(rng, (reps,))
        for r in range(m) if pb.issuing is FIFO else range(m - 1, -1, -1):
            take = np.minimum(buckets[:, r], left)
            buckets[:, r] -= take
            left -= take
        stock = buckets[:, 1:]
        costs[t] = c * a + p * left + w * buckets[:, 0] + h * stock.sum(axis=1)
    return costs


def test_discounted_return_equals_monte_carlo_within_its_confidence_interval():
    pb = problem(life=3, lead=1, q=4, demand=SMALL_DEMAND, issuing=LIFO)
    table = solve_average_cost(pb).table
    exact = discounted_return(pb, table, gamma=0.99, burn_in=100, horizon=365)
    costs = simulate_costs(pb, table, reps=4000, periods=465, seed=11)
    returns = -(0.99 ** np.arange(365)) @ costs[100:]
    half = 3.29 * returns.std(ddof=1) / math.sqrt(returns.size)  # 99.9 %
    assert abs(returns.mean() - exact) < half


def test_discounted_return_first_period_by_hand():
    pb = problem(life=2, lead=0, q=2)
    table = np.full(pb.n_states, 1)
    pmf = TINY_DEMAND.daily_pmf()
    expected = sum(prob * period_outcome(pb, (0,), 1, d).cost for d, prob in enumerate(pmf))
    assert discounted_return(pb, table, burn_in=0, horizon=1) == pytest.approx(-expected)


def test_stationary_distribution_sums_to_one_and_averages_the_cost():
    pb = problem(life=4, lead=2, q=4, demand=SMALL_DEMAND)  # iterative path
    solution = solve_average_cost(pb)
    chain = policy_chain(pb, solution.table)
    assert chain.stationary.sum() == pytest.approx(1.0)
    assert chain.stationary @ chain.cost == pytest.approx(solution.avg_cost, abs=1e-8)
    assert chain.states[0] == 0


# -------------------------------------------------------------------- policy
def test_optimal_policy_acts_on_float32_observations_and_batches():
    pb = problem(life=3, lead=1, q=2)
    solution = solve_average_cost(pb)
    policy = OptimalPolicy.from_solution(solution)
    obs = np.array([[0, 1, 2], [2, 2, 2], [0, 0, 0]], dtype=np.float32)
    actions, state = policy.predict(obs)
    assert state is None
    assert actions.dtype == np.int64 and actions.shape == (3,)
    assert actions.tolist() == [policy.act(o) for o in obs]
    assert actions[2] == solution.table[0]
    single, _ = policy.predict(obs[0])
    assert single.shape == () and int(single) == actions[0]
    text = policy.explain(obs[0])
    assert text.startswith(f"order {actions[0]}: ") and "life 1: 0" in text


def test_optimal_policy_refuses_observations_outside_the_table():
    policy = OptimalPolicy(problem(life=3, lead=1, q=2), np.zeros(27, dtype=np.int64))
    with pytest.raises(ValueError, match="shape"):
        policy.act(np.zeros(4, dtype=np.float32))
    with pytest.raises(ValueError, match=r"0\.\.2"):
        policy.act(np.array([0, 3, 0], dtype=np.float32))
    with pytest.raises(ValueError, match="integer"):
        policy.act(np.array([0, 0.5, 0], dtype=np.float32))
    with pytest.raises(ValueError, match="table"):
        OptimalPolicy(problem(life=3, lead=1, q=2), np.full(27, 3))


def test_table_saves_and_loads_without_pickle(tmp_path):
    pb = problem(life=0, lead=1, q=2, max_stock=5)
    policy = solve_average_cost(pb).policy()
    npy, meta = policy.save(tmp_path / "policy")
    assert npy.suffix == ".npy" and meta.suffix == ".json"
    loaded = OptimalPolicy.load(tmp_path / "policy.npy")
    assert loaded.problem == pb
    np.testing.assert_array_equal(loaded.table, policy.table)
    np.save(npy, np.zeros_like(np.load(npy)), allow_pickle=False)
    with pytest.raises(ValueError, match="SHA-256"):
        OptimalPolicy.load(npy)


def test_problem_round_trips_through_json_dict():
    for pb in (problem(life=0, lead=2), problem(life=4, lead=0, issuing=LIFO)):
        assert PerishableProblem.from_dict(pb.to_dict()) == pb


# ------------------------------------------------------------ the large cases
@pytest.mark.slow
@pytest.mark.parametrize(
    "pb",
    [
        problem(life=5, lead=2, q=10, demand=ENV_DEMAND),
        problem(life=0, lead=4, q=10, demand=StationaryDemandSpec(DemandDistribution.POISSON, 5.0)),
    ],
    ids=["m5L2", "noneL4"],
)
def test_largest_cases_solve_in_minutes(pb):
    assert pb.n_states > 1_500_000
    solution = solve_average_cost(pb)
    assert solution.converged and solution.seconds < 300
    lower, upper = solution.avg_cost_bounds
    assert upper - lower < 1e-9
    chain = policy_chain(pb, solution.table)
    assert lower - 1e-9 <= chain.avg_cost <= upper + 1e-9
    level = best_base_stock(pb, levels=range(8, 30))[0] if pb.perishable else 21
    assert evaluate_policy(pb, base_stock_table(pb, level)) >= solution.avg_cost - 1e-9
