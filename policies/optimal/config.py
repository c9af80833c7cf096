"""Build the exact optimal policy from config values (Hydra ``_target_``)."""

from __future__ import annotations

from typing import Any

from policies.optimal.model import PerishableProblem
from policies.optimal.policy import OptimalPolicy
from policies.optimal.solver import solve_average_cost
from sim.demand.stationary import StationaryDemandSpec
from sim.enums import IssuingRule
from sim.errors import ConfigError


def solved_optimal_policy(**env_kwargs: Any) -> OptimalPolicy:
    """Solve the single-SKU problem (long-run average cost) and return its optimal policy.

    Arguments are the env's (``PerishableInventoryEnv``), parsed by ``problem_from_env_kwargs``.
    """
    return solve_average_cost(problem_from_env_kwargs(**env_kwargs)).policy()


def problem_from_env_kwargs(
    life_days: int = 2,
    lead_time: int = 1,
    issuing: str = "fifo",
    demand: dict[str, Any] | None = None,
    max_order: int = 10,
    order_cost: float = 3.0,
    lost_sales_cost: float = 5.0,
    waste_cost: float = 7.0,
    holding_cost: float = 1.0,
    max_stock: int | None = None,
) -> PerishableProblem:
    """The solver's problem for the env built with the same keyword arguments."""
    try:
        rule = IssuingRule.parse(issuing, (IssuingRule.FIFO, IssuingRule.LIFO))
    except ValueError:
        raise ConfigError("optimal.issuing", issuing, "fifo or lifo") from None
    problem = PerishableProblem(
        life_days,
        lead_time,
        rule,
        StationaryDemandSpec.from_config(demand),
        max_order,
        order_cost,
        lost_sales_cost,
        waste_cost,
        holding_cost,
        max_stock,
    )
    return problem
