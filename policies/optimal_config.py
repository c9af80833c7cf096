"""Build the exact optimal policy from config values (Hydra ``_target_``)."""

from __future__ import annotations

from typing import Any

from policies.optimal import OptimalPolicy, PerishableProblem, solve_average_cost
from sim.demand.stationary import StationaryDemandSpec
from sim.enums import DemandDistribution, IssuingRule
from sim.errors import ConfigError


def solved_optimal_policy(
    life_days: int | None = 2,
    lead_time: int = 1,
    issuing: str = "fifo",
    demand: dict[str, Any] | None = None,
    max_order: int = 10,
    order_cost: float = 3.0,
    lost_sales_cost: float = 5.0,
    waste_cost: float = 7.0,
    holding_cost: float = 1.0,
    max_stock: int | None = None,
) -> OptimalPolicy:
    """Solve the single-SKU problem (long-run average cost) and return its optimal policy."""
    demand = dict(demand or {"distribution": "gamma", "mean": 4.0, "cv": 0.5, "max_demand": 16})
    dist = str(demand.pop("distribution", "poisson")).lower()
    kinds = {"poisson": DemandDistribution.POISSON, "gamma": DemandDistribution.GAMMA}
    if dist not in kinds:
        raise ConfigError("optimal.demand.distribution", dist, "poisson or gamma")
    rules = {"fifo": IssuingRule.FIFO, "lifo": IssuingRule.LIFO}
    if str(issuing).lower() not in rules:
        raise ConfigError("optimal.issuing", issuing, "fifo or lifo")
    problem = PerishableProblem(
        life_days,
        lead_time,
        rules[str(issuing).lower()],
        StationaryDemandSpec(kinds[dist], **demand),
        max_order,
        order_cost,
        lost_sales_cost,
        waste_cost,
        holding_cost,
        max_stock,
    )
    return solve_average_cost(problem).policy()
