"""Drive a simulator with a replenishment heuristic (daily decisions)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import numpy as np

from policies.sim_view import view_from_sim
from policies.view import OrderDecision
from sim.engine import Simulation
from sim.errors import ConfigError
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
    refresh_hours: float | None = None,
) -> None:
    """Order with ``rule`` once a day at ``decision_hour`` for ``days`` days.

    Starts with the first day whose decision time is not past; stops at the
    midnight after the last decision day. With ``refresh_hours`` the rule decides
    again every ``refresh_hours`` after ``decision_hour`` while stores are open (before
    the latest closing hour): recommendations, alerts and transfers from the state of
    that moment, and a mid-day order catches the DC's next wave.
    """
    epochs = decision_epochs(sim, decision_hour, refresh_hours)
    first_day = math.ceil((sim.now_hours - decision_hour) / 24.0)
    shape = (sim.spec.n_stores, sim.spec.n_skus)
    observe = getattr(rule, "observe", None)  # composite policies: alerts, markdowns, transfers
    for k in range(days):
        for hour in epochs:
            sim.run_until(24.0 * (first_day + k) + hour)
            today = forecast(sim)
            if observe is not None:
                observe(sim, today)
            decision = rule.decide(view_from_sim(sim, today))
            sim.submit_store_orders(decision.units.reshape(shape))
    sim.run_until(24.0 * (first_day + days))


def decision_epochs(
    sim: Simulation, decision_hour: float, refresh_hours: float | None
) -> list[float]:
    """The hours of a day the rule decides at: ``decision_hour``, then every
    ``refresh_hours`` before the latest closing hour (None: once a day)."""
    if refresh_hours is None:
        return [decision_hour]
    if isinstance(refresh_hours, bool) or not (
        isinstance(refresh_hours, int | float) and 0.25 <= refresh_hours <= 24.0
    ):
        raise ConfigError("refresh_hours", refresh_hours, "null or hours in [0.25, 24]")
    close = max(store.close_hour for store in sim.spec.stores)
    epochs = [decision_hour]
    while epochs[-1] + refresh_hours < close:
        epochs.append(epochs[-1] + refresh_hours)
    return epochs
