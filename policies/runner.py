"""Drive a simulator with a replenishment heuristic (daily decisions)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import numpy as np

from policies.sim_view import view_from_sim
from policies.view import OrderDecision
from sim.engine import Simulation
from sim.store_sku import StoreSkuView

DECISION_HOUR = 9.0  # the daily ordering decision, as the retail envs' default


class ReplenishmentRule(Protocol):
    """Decides store orders from a view; a rule may also have ``observe(sim, forecast)``,
    called first each day, to act on the simulator (transfers, markdowns)."""

    def decide(self, view: StoreSkuView) -> OrderDecision: ...


def oracle_forecast(sim: Simulation) -> np.ndarray:
    """The demand model's true mean of today (an upper bound for forecasting)."""
    return sim.expected_daily_units()


def run_rule(
    sim: Simulation,
    rule: ReplenishmentRule,
    days: int,
    *,
    forecast: Callable[[Simulation], np.ndarray] = oracle_forecast,
    decision_hour: float = DECISION_HOUR,
) -> None:
    """Order with ``rule`` once a day at ``decision_hour`` for ``days`` days.

    Starts with the first day whose decision time is not past; stops at the
    midnight after the last decision day.
    """
    first_day = math.ceil((sim.now_hours - decision_hour) / 24.0)
    shape = (sim.spec.n_stores, sim.spec.n_skus)
    observe = getattr(rule, "observe", None)  # composite policies: alerts, markdowns, transfers
    for k in range(days):
        sim.run_until(24.0 * (first_day + k) + decision_hour)
        today = forecast(sim)
        if observe is not None:
            observe(sim, today)
        decision = rule.decide(view_from_sim(sim, today))
        sim.submit_store_orders(decision.units.reshape(shape))
    sim.run_until(24.0 * (first_day + days))
