"""The solver against the real env ``ShelfLife/PerishableInventory-v0``.

The env runs on the SimPy simulator; the solver on its own model. They must be
the same chain: observation layout, period by period dynamics and costs, and the
long-run average cost.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from policies.optimal import (
    OptimalPolicy,
    PerishableProblem,
    period_outcome,
    policy_chain,
    solve_average_cost,
)
from sim.demand.stationary import StationaryDemandSpec
from sim.enums import DemandDistribution, IssuingRule

env_module = pytest.importorskip(
    "envs.perishable.env",
    reason="envs/perishable/env.py (PerishableInventoryEnv) is not there yet",
)
PerishableInventoryEnv = env_module.PerishableInventoryEnv

GAMMA_4 = StationaryDemandSpec(DemandDistribution.GAMMA, mean=4.0, cv=0.5, max_demand=16)
POISSON_3 = StationaryDemandSpec(DemandDistribution.POISSON, mean=3.0)
# The case of the CLI example (--life 2 --lead-time 1 --issuing fifo --demand gamma
# --mean 4 --cv 0.5 --max-order 10 --order-cost 3 --lost-sales-cost 5 --waste-cost 7
# --holding-cost 1): its optimal average cost, regression value.
LIFE2 = PerishableProblem(2, 1, IssuingRule.FIFO, GAMMA_4, 10, 3.0, 5.0, 7.0, 1.0)
LIFE2_AVG_COST = 14.953876178


def make_env(pb: PerishableProblem):
    return PerishableInventoryEnv(**pb.env_kwargs())


def test_life2_case_optimal_cost():
    solution = solve_average_cost(LIFE2)
    assert solution.avg_cost == pytest.approx(LIFE2_AVG_COST, abs=1e-8)


@pytest.mark.parametrize(
    "pb",
    [
        LIFE2,
        PerishableProblem(3, 0, IssuingRule.LIFO, GAMMA_4, 10, 3.0, 5.0, 7.0, 1.0),
        PerishableProblem(3, 2, IssuingRule.FIFO, GAMMA_4, 6, 3.0, 9.0, 2.0, 0.5),
        PerishableProblem(1, 2, IssuingRule.FIFO, GAMMA_4, 8, 1.0, 5.0, 7.0, 1.0),
        PerishableProblem(0, 2, IssuingRule.FIFO, POISSON_3, 6, 2.0, 8.0, 0.0, 1.0, max_stock=14),
    ],
    ids=["m2L1fifo", "m3L0lifo", "m3L2fifo", "m1L2", "noneL2cap14"],
)
def test_env_steps_are_the_solver_model_period_by_period(pb):
    """Every observation is a state the solver indexes and reaches; every step's next
    state and reward are the reference dynamics' for the demand the env drew."""
    policy = solve_average_cost(pb).policy()
    reachable = set(policy_chain(pb, policy.table).states.tolist())
    env = make_env(pb)
    rng = np.random.default_rng(3)
    obs, _ = env.reset(seed=5)
    for t in range(600):
        state = tuple(int(v) for v in obs)
        index = pb.state_index(state)  # raises if the layouts disagree
        assert obs.dtype == np.float32
        if t < 300:
            assert index in reachable  # on policy: only states the solver's chain reaches
            order = policy.act(obs)
        else:  # then 30 % random orders: odd states, cap reductions
            order = (
                int(rng.integers(0, pb.max_order + 1)) if rng.random() < 0.3 else policy.act(obs)
            )
        obs, reward, terminated, truncated, info = env.step(order)
        expected = period_outcome(pb, state, order, info["demand_units"])
        assert tuple(int(v) for v in obs) == expected.next_state
        assert -reward == pytest.approx(expected.cost, abs=1e-9)
        assert info["wasted_units"] == expected.wasted and info["lost_units"] == expected.lost
        assert not terminated and not truncated


def batch_means_ci(costs: np.ndarray, batches: int, level_z: float) -> tuple[float, float]:
    means = costs[: costs.size // batches * batches].reshape(batches, -1).mean(axis=1)
    return float(means.mean()), level_z * float(means.std(ddof=1)) / math.sqrt(batches)


@pytest.mark.slow
@pytest.mark.parametrize(
    "pb",
    [
        LIFE2,
        PerishableProblem(3, 2, IssuingRule.LIFO, GAMMA_4, 10, 3.0, 5.0, 7.0, 1.0),
    ],
    ids=["m2L1fifo", "m3L2lifo"],
)
def test_long_run_env_cost_matches_the_optimal_average_cost(pb):
    """20,000 periods of the optimal table in the env: the mean cost per period is within
    the 99.9 % batch-means confidence interval of ``avg_cost_per_period``."""
    from scipy import stats

    solution = solve_average_cost(pb)
    policy = OptimalPolicy.from_solution(solution)
    env = make_env(pb)
    obs, _ = env.reset(seed=2026)
    n, burn_in = 20_000, 100
    costs = np.empty(n)
    for t in range(burn_in + n):
        obs, reward, *_ = env.step(policy.act(obs))
        pb.state_index(obs)  # the layouts agree at every step
        if t >= burn_in:
            costs[t - burn_in] = -reward
    batches = 40  # 500 periods each: far longer than the chain's memory
    mean, half = batch_means_ci(costs, batches, stats.t.ppf(0.9995, batches - 1))
    print(f"env mean {mean:.4f} ± {half:.4f} (99.9 %), solver {solution.avg_cost:.6f}")
    assert abs(mean - solution.avg_cost) <= half, (mean, half, solution.avg_cost)


def test_policy_predicts_like_sb3_in_the_env():
    policy = solve_average_cost(LIFE2).policy()
    env = make_env(LIFE2)
    obs, _ = env.reset(seed=1)
    action, state = policy.predict(obs)
    assert state is None and env.action_space.contains(np.int64(action))
    obs2, *_ = env.step(action)
    batch, _ = policy.predict(np.stack([obs, obs2]))
    assert batch.tolist() == [int(action), policy.act(obs2)]
    assert policy.explain()[0].startswith(f"order {policy.act(obs2)}:")
