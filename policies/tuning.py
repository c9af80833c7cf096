"""Tune a heuristic's parameters on training seeds; evaluate on separate seeds.

Seeds are split by purpose so nothing is tuned on evaluation seeds:
``TRAIN_SEEDS`` for tuning, ``EVAL_SEEDS`` for comparisons (disjoint ranges).
A grid search covers one or two parameters; more go through Optuna (Hydra's
sweeper, in ``experiments/``). The objective is mean profit per day over the
reporting period (after a warm-up), the same quantity the RL reward adds up.

Heuristics forecast with the smoothed demand the RL agents also see
(``SmoothedDemand``), not the simulator's true rate, so comparisons are fair.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from envs.retail.core import FORECAST_SMOOTHING
from policies.runner import ReplenishmentRule, run_rule
from sim.engine import Simulation
from sim.scenario import Scenario, build_demand_source, load_scenario

TRAIN_SEEDS = tuple(range(1000, 1010))
EVAL_SEEDS = tuple(range(9000, 9030))


class SmoothedDemand:
    """Exponentially smoothed daily demand, as the retail envs' ``forecast`` feature.

    Starts from the scenario's expected demand of day 0 and, once a day, mixes in
    yesterday's demand with weight ``FORECAST_SMOOTHING``.
    """

    def __init__(self) -> None:
        self._forecast: np.ndarray | None = None
        self._day = -1

    def __call__(self, sim: Simulation) -> np.ndarray:
        if self._forecast is None:
            self._forecast = (
                sim.expected_daily_units().copy()
                if sim.day == 0
                else sim.state.demand_yesterday.astype(float)
            )
            self._day = sim.day
        elif sim.day != self._day:
            a = FORECAST_SMOOTHING
            self._forecast = a * sim.state.demand_yesterday + (1 - a) * self._forecast
            self._day = sim.day
        return self._forecast


@dataclass(frozen=True)
class Evaluation:
    """KPIs of one rule over seeds: per-seed chain KPIs and their means."""

    per_seed: list[dict[str, float]]

    def mean(self, kpi: str) -> float:
        return float(np.mean([k[kpi] for k in self.per_seed]))

    @property
    def profit_per_day(self) -> float:
        return float(np.mean([k["profit"] / max(k["period_days"], 1e-9) for k in self.per_seed]))


def evaluate_rule(
    scenario: Scenario,
    rule: ReplenishmentRule,
    seeds: Iterable[int],
    *,
    days: int = 21,
    warmup_days: int = 7,
) -> Evaluation:
    """Run the rule on each seed (common random numbers across rules) and collect chain KPIs."""
    demand = build_demand_source(scenario)
    out = []
    for seed in seeds:
        sim = Simulation(scenario.network, demand, seed=int(seed))
        forecast = SmoothedDemand()
        run_rule(sim, rule, warmup_days, forecast=forecast)
        sim.reset_kpis()
        run_rule(sim, rule, days, forecast=forecast)
        out.append(sim.kpis().chain)
    return Evaluation(out)


@dataclass(frozen=True)
class TuningResult:
    """The grid, the score of every point, and the best parameters."""

    policy: str
    scenario: str
    best_params: dict[str, Any]
    best_profit_per_day: float
    table: list[dict[str, Any]]
    train_seeds: tuple[int, ...]

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.__dict__, indent=2, default=float) + "\n")
        return path


def tune_grid(
    name: str,
    make_rule: Callable[..., ReplenishmentRule],
    grid: Mapping[str, Sequence[Any]],
    *,
    scenario: str | Scenario = "city_fresh",
    seeds: Sequence[int] = TRAIN_SEEDS[:3],
    days: int = 14,
    warmup_days: int = 7,
    fixed: Mapping[str, Any] | None = None,
) -> TuningResult:
    """Exhaustive search over a 1-2 parameter grid on training seeds (mean profit per day)."""
    if set(seeds) & set(EVAL_SEEDS):
        raise ValueError("tune_grid: seeds overlap EVAL_SEEDS; allowed: training seeds only")
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    keys = list(grid)
    table = []
    for values in itertools.product(*(grid[k] for k in keys)):
        params = dict(zip(keys, values, strict=True))
        rule = make_rule(**(dict(fixed or {}) | params))
        ev = evaluate_rule(sc, rule, seeds, days=days, warmup_days=warmup_days)
        table.append(
            {
                **params,
                "profit_per_day": ev.profit_per_day,
                "fill_rate": ev.mean("fill_rate"),
                "waste_rate": ev.mean("waste_rate"),
            }
        )
    best = max(table, key=lambda row: row["profit_per_day"])
    return TuningResult(
        policy=name,
        scenario=sc.name,
        best_params={k: best[k] for k in keys} | dict(fixed or {}),
        best_profit_per_day=best["profit_per_day"],
        table=table,
        train_seeds=tuple(seeds),
    )


def mean_cost_in_env(
    make_env: Callable[[], Any],
    agent_factory: Callable[[Any], Any],
    seeds: Sequence[int],
    periods: int,
    *,
    burn_in: int = 100,
) -> np.ndarray:
    """Mean cost per period (minus reward) of an agent in an env, one value per seed.

    The same seeds give every agent the same demand (common random numbers), so
    differences between agents are measured on paired runs.
    """
    out = []
    for seed in seeds:
        env = make_env()
        agent = agent_factory(env)
        obs, _ = env.reset(seed=int(seed))
        agent.reset(int(seed))
        total = 0.0
        for t in range(burn_in + periods):
            action, _ = agent.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(action)
            if t >= burn_in:
                total -= reward
            if terminated or truncated:
                obs, _ = env.reset()
        out.append(total / periods)
    return np.asarray(out)
