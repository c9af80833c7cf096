"""PerishableInventory-v0: periods worked out by hand, and properties over its parameters."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envs.perishable.env import COST_TERMS, PerishableInventoryEnv
from sim.errors import ConfigError
from tests.envs.conftest import DEMAND_EXACTLY_3, PERISHABLE

# Costs that are exact in binary floating point, so every sum below is exact:
# c = 2 per unit ordered, p = 10 per unit lost, w = 4 per unit wasted, h = 0.5 per
# unit carried overnight.
COSTS = {"order_cost": 2.0, "lost_sales_cost": 10.0, "waste_cost": 4.0, "holding_cost": 0.5}


def make(**kwargs: Any) -> gym.Env:
    """The env with deterministic demand (3 units every period) and the costs above."""
    return gym.make(PERISHABLE, demand=DEMAND_EXACTLY_3, **COSTS, **kwargs)


def expected_info(
    order: int, lost: int, wasted: int, sold: int, on_hand: int, reduced: int = 0
) -> dict[str, Any]:
    """The full info dict of a period with demand 3, from its unit counts."""
    costs = {
        "order_cost": 2.0 * order,
        "lost_sales_cost": 10.0 * lost,
        "waste_cost": 4.0 * wasted,
        "holding_cost": 0.5 * on_hand,
    }
    return {
        "order_units": order,
        "order_reduced_units": reduced,
        "demand_units": 3,
        "sold_units": sold,
        "lost_units": lost,
        "wasted_units": wasted,
        "on_hand_units": on_hand,
        "fill_rate": sold / 3,
        "stockout": int(lost > 0),
        **costs,
        "cost": sum(costs.values()),
    }


def play(env: gym.Env, actions: list[int]) -> list[tuple[list[float], float, dict[str, Any]]]:
    obs, _ = env.reset(seed=0)
    assert obs.tolist() == [0.0] * env.observation_space.shape[0]  # starting state: empty
    out = []
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        assert obs.dtype == np.float32 and not terminated and not truncated
        out.append((obs.tolist(), reward, info))
    return out


def assert_periods(got: list, expected: list) -> None:
    for t, ((obs, reward, info), (e_obs, e_reward, e_info)) in enumerate(
        zip(got, expected, strict=True)
    ):
        assert obs == e_obs, f"period {t}: observation"
        assert reward == e_reward, f"period {t}: reward"
        assert info == e_info, f"period {t}: info"
        assert type(reward) is float


def test_deterministic_demand_is_exactly_three() -> None:
    """The hand cases rely on Gamma(mean 3, cv 1e-6) being 3 in every period."""
    env = make(life_days=0, lead_time=0, max_order=10)
    env.reset(seed=123)
    for _ in range(50):
        assert env.step(10)[4]["demand_units"] == 3


def test_fifo_life_2_lead_1_by_hand() -> None:
    """life m = 2, lead time L = 1, FIFO. Observation [stock with 1 period of life
    left, units arriving right after the next decision]:

    period 0: obs [0, 0]; order 8 (2·8 = 16). Nothing on hand: demand 3 is lost
        (10·3 = 30). Nothing carried. reward −46; next obs [0, 8].
    period 1: order 2 (4). The 8 arrive (life 2) before demand: sell 3, carry 5,
        which now have 1 period left (0.5·5 = 2.5). reward −6.5; next obs [5, 2].
    period 2: order 0. The 2 arrive (life 2). FIFO sells the old units first: 3 of
        the 5; the 2 old ones left reach the end of their life: wasted (4·2 = 8);
        the 2 fresh ones are carried (0.5·2 = 1). reward −9; next obs [2, 0].
    period 3: order 0. Nothing arrives; sell the 2, lose 1 (10). reward −10; obs [0, 0].
    """
    got = play(make(life_days=2, lead_time=1, issuing="fifo", max_order=10), [8, 2, 0, 0])
    assert_periods(
        got,
        [
            ([0.0, 8.0], -46.0, expected_info(order=8, lost=3, wasted=0, sold=0, on_hand=0)),
            ([5.0, 2.0], -6.5, expected_info(order=2, lost=0, wasted=0, sold=3, on_hand=5)),
            ([2.0, 0.0], -9.0, expected_info(order=0, lost=0, wasted=2, sold=3, on_hand=2)),
            ([0.0, 0.0], -10.0, expected_info(order=0, lost=1, wasted=0, sold=2, on_hand=0)),
        ],
    )


def test_lifo_life_2_lead_1_by_hand_differs_from_fifo_in_period_2() -> None:
    """The same orders as the FIFO case, LIFO issuing. Periods 0-1 are identical.

    period 2: 2 fresh units arrive next to 5 old ones. LIFO sells the freshest
        first: the 2 fresh, then 1 old; the 4 old ones left expire (4·4 = 16);
        nothing is carried. reward −16; next obs [0, 0].
    period 3: nothing on hand: all 3 lost (30). reward −30.
    Over the four periods FIFO costs 71.5, LIFO 98.5.
    """
    got = play(make(life_days=2, lead_time=1, issuing="lifo", max_order=10), [8, 2, 0, 0])
    assert_periods(
        got,
        [
            ([0.0, 8.0], -46.0, expected_info(order=8, lost=3, wasted=0, sold=0, on_hand=0)),
            ([5.0, 2.0], -6.5, expected_info(order=2, lost=0, wasted=0, sold=3, on_hand=5)),
            ([0.0, 0.0], -16.0, expected_info(order=0, lost=0, wasted=4, sold=3, on_hand=0)),
            ([0.0, 0.0], -30.0, expected_info(order=0, lost=3, wasted=0, sold=0, on_hand=0)),
        ],
    )
    assert sum(r for _, r, _ in got) == -98.5


def test_lead_time_0_life_3_by_hand() -> None:
    """life m = 3, lead time 0 (the order arrives in its own period, before demand).
    Observation [stock with 1 period left, stock with 2 periods left], no pipeline:

    period 0: order 10 (20) arrives; sell 3; carry 7, 2 periods left (3.5).
        reward −23.5; next obs [0, 7].
    period 1: order 0; sell 3; carry 4, 1 period left (2). reward −2; obs [4, 0].
    period 2: order 1 (2) arrives fresh. FIFO: sell 3 of the 4 old ones; the 1 old
        one left expires (4); the fresh one is carried (0.5). reward −6.5; obs [0, 1].
    period 3: order 0; sell the 1, lose 2 (20). reward −20; obs [0, 0].
    """
    env = make(life_days=3, lead_time=0, issuing="fifo", max_order=10)
    assert env.observation_space.shape == (2,)
    got = play(env, [10, 0, 1, 0])
    assert_periods(
        got,
        [
            ([0.0, 7.0], -23.5, expected_info(order=10, lost=0, wasted=0, sold=3, on_hand=7)),
            ([4.0, 0.0], -2.0, expected_info(order=0, lost=0, wasted=0, sold=3, on_hand=4)),
            ([0.0, 1.0], -6.5, expected_info(order=1, lost=0, wasted=1, sold=3, on_hand=1)),
            ([0.0, 0.0], -20.0, expected_info(order=0, lost=2, wasted=0, sold=1, on_hand=0)),
        ],
    )


def test_non_perishable_max_stock_reduces_orders_by_hand() -> None:
    """Non-perishable, lead time 1, max_order 10, max_stock 12: an order is cut so
    that on hand + pipeline + order <= 12. Observation [on hand, arriving next]:

    period 0: position 0, order 10 fits (20); demand lost (30). reward −50; obs [0, 10].
    period 1: position 0 + 10, room 2: order 10 -> 2 (4), 8 reduced. The 10 arrive,
        sell 3, carry 7 (3.5). reward −7.5; obs [7, 2].
    period 2: position 7 + 2, room 3: order 10 -> 3 (6), 7 reduced. 2 arrive:
        9, sell 3, carry 6 (3). reward −9; obs [6, 3].
    period 3: order 0, nothing reduced; 3 arrive: 9, sell 3, carry 6 (3). Never any
        waste. reward −3; obs [6, 0].
    """
    env = make(life_days=0, lead_time=1, max_order=10, max_stock=12)
    assert env.observation_space.high.tolist() == [12.0, 10.0]
    got = play(env, [10, 10, 10, 0])
    assert_periods(
        got,
        [
            ([0.0, 10.0], -50.0, expected_info(order=10, lost=3, wasted=0, sold=0, on_hand=0)),
            ([7.0, 2.0], -7.5, expected_info(2, lost=0, wasted=0, sold=3, on_hand=7, reduced=8)),
            ([6.0, 3.0], -9.0, expected_info(3, lost=0, wasted=0, sold=3, on_hand=6, reduced=7)),
            ([6.0, 0.0], -3.0, expected_info(order=0, lost=0, wasted=0, sold=3, on_hand=6)),
        ],
    )


def test_defaults_match_the_docs() -> None:
    """Defaults: life 2, lead time 1, Q = 10 (Discrete(11)), observation Box of
    (m − 1) + L = 2 entries bounded by Q, costs c, p, w, h = 3, 5, 7, 1."""
    env = gym.make(PERISHABLE)
    assert env.action_space == gym.spaces.Discrete(11)
    assert env.observation_space.shape == (2,)
    assert env.observation_space.dtype == np.float32
    assert env.observation_space.low.tolist() == [0.0, 0.0]
    assert env.observation_space.high.tolist() == [10.0, 10.0]
    u = env.unwrapped
    assert (u.life_days, u.lead_time, u.max_order) == (2, 1, 10)
    assert u.costs == {
        "order_cost": 3.0,
        "lost_sales_cost": 5.0,
        "waste_cost": 7.0,
        "holding_cost": 1.0,
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"life_days": 1, "lead_time": 0},
        {"life_days": None},
        {"life_days": 31},
        {"lead_time": 8},
        {"lead_time": -1},
        {"max_order": 0},
        {"max_order": True},
        {"issuing": "mixed"},
        {"order_cost": -1.0},
        {"holding_cost": float("nan")},
        {"demand": {"distribution": "uniform", "mean": 3.0}},
        {"demand": {"mean": 3.0, "sigma": 1.0}},
        {"render_mode": "human"},
    ],
)
def test_bad_arguments_are_config_errors(kwargs: dict[str, Any]) -> None:
    """Every refused argument raises ``ConfigError`` saying what is allowed (built
    directly: ``gym.make`` would warn about the unknown render mode first)."""
    with pytest.raises(ConfigError, match="allowed"):
        PerishableInventoryEnv(**kwargs)


# ------------------------------------------------------------------ properties

demand_specs = st.one_of(
    st.builds(
        lambda mean: {"distribution": "poisson", "mean": mean},
        st.floats(0.2, 8.0),
    ),
    st.builds(
        lambda mean, cv, top: {"distribution": "gamma", "mean": mean, "cv": cv, "max_demand": top},
        st.floats(0.5, 8.0),
        st.floats(0.05, 2.0),
        st.integers(1, 20),
    ),
)
costs = st.floats(0.0, 20.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=30)
@given(
    life=st.one_of(st.just(0), st.integers(1, 5)),
    lead=st.integers(0, 4),
    issuing=st.sampled_from(["fifo", "lifo"]),
    demand=demand_specs,
    max_order=st.integers(1, 12),
    cost_values=st.tuples(costs, costs, costs, costs),
    max_stock=st.one_of(st.none(), st.integers(1, 40)),
    seed=st.integers(0, 2**31 - 1),
)
def test_random_runs_keep_the_books(
    life: int,
    lead: int,
    issuing: str,
    demand: dict[str, Any],
    max_order: int,
    cost_values: tuple[float, float, float, float],
    max_stock: int | None,
    seed: int,
) -> None:
    """For any parameters (life 1..5 or None, lead time 0..4, FIFO/LIFO, Poisson or
    Gamma demand, Q 1..12, any costs) and 300 random orders:

    - the observation is in its space at every step;
    - the reward is finite; each cost term is >= 0, equals its price times its
      units, and −reward is their sum;
    - sold + lost = demand (Gamma demand <= max_demand);
    - units are conserved: stock after = stock before + arrivals − sold − wasted,
      arrivals being the pipeline's head (L >= 1) or the order itself (L = 0);
    - the pipeline shifts by one period and ends with the order just placed;
    - stock only ages: what has r periods left came from r + 1, or arrived now;
    - only units with 1 period left (or arrivals, when m = 1) can expire;
      non-perishables never do, and their inventory position stays <= max_stock.
    """
    kwargs: dict[str, Any] = dict(
        life_days=life, lead_time=lead, issuing=issuing, demand=demand, max_order=max_order,
        max_stock=max_stock,
        **dict(zip(COST_TERMS, cost_values, strict=True)),
    )  # fmt: skip
    if life == 1 and lead == 0:
        with pytest.raises(ConfigError, match="life_days/lead_time"):
            gym.make(PERISHABLE, **kwargs)
        return
    env = gym.make(PERISHABLE, **kwargs)
    unit_price = dict(zip(COST_TERMS, cost_values, strict=True))
    n_stock = (life - 1) if life else 1
    assert env.observation_space.shape == (n_stock + lead,)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    for t in range(300):
        action = int(env.action_space.sample())
        new, reward, terminated, truncated, info = env.step(action)
        where = f"period {t}"
        assert env.observation_space.contains(new), where
        assert not terminated and not truncated, where
        assert math.isfinite(reward), where
        terms = [info[k] for k in COST_TERMS]
        assert all(v >= 0 for v in terms), where
        assert -reward == sum(terms) == info["cost"], where
        order = info["order_units"]
        assert order + info["order_reduced_units"] == action, where
        assert info["order_cost"] == unit_price["order_cost"] * order, where
        assert info["lost_sales_cost"] == unit_price["lost_sales_cost"] * info["lost_units"]
        assert info["waste_cost"] == unit_price["waste_cost"] * info["wasted_units"], where
        assert info["holding_cost"] == unit_price["holding_cost"] * info["on_hand_units"]
        assert info["sold_units"] + info["lost_units"] == info["demand_units"], where
        if demand["distribution"] == "gamma":
            assert info["demand_units"] <= demand["max_demand"], where

        stock, pipe = obs[:n_stock], obs[n_stock:]
        new_stock, new_pipe = new[:n_stock], new[n_stock:]
        arrivals = float(pipe[0]) if lead else float(order)
        sold, wasted = info["sold_units"], info["wasted_units"]
        assert new_stock.sum() == stock.sum() + arrivals - sold - wasted, where
        assert new_stock.sum() == info["on_hand_units"], where
        if lead:
            assert new_pipe[:-1].tolist() == pipe[1:].tolist() and new_pipe[-1] == order, where
        if life:
            # index r - 1 holds units with r periods left
            assert (new_stock[:-1] <= stock[1:]).all(), where
            if n_stock:
                assert new_stock[-1] <= arrivals, where
            assert wasted <= (float(stock[0]) if n_stock else 0.0) + (arrivals if life == 1 else 0)
            assert info["order_reduced_units"] == 0, where
        else:
            assert info["order_reduced_units"] >= 0 and wasted == 0, where
            assert new.sum() <= env.unwrapped.max_stock, where
        obs = new
