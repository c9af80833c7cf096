"""Tune a heuristic's parameters on training seeds; evaluate on separate seeds.

Seeds are split by purpose so nothing is tuned on evaluation seeds:
``TRAIN_SEEDS`` for tuning, ``EVAL_SEEDS`` for comparisons (disjoint ranges).
A grid search covers one or two parameters, coarse then finer around the best
point; more go through Optuna (Hydra's sweeper, in ``experiments/``). The
objective is mean profit per day over the reporting period (after a warm-up),
the same quantity the RL reward adds up. A tuned value at the end of the values
tried is flagged (``EdgeKind``): either the grid is too narrow or the rule
itself refuses to go further, and a report should say which.

Heuristics forecast with the smoothed demand the RL agents also see
(``SmoothedDemand``), not the simulator's true rate, so comparisons are fair.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from envs.retail.core import FORECAST_SMOOTHING
from policies.runner import ReplenishmentRule, run_rule
from sim.engine import Simulation
from sim.errors import ConfigError
from sim.progress import progress
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
                else sim.snapshot().demand_yesterday.astype(float)
            )
            self._day = sim.day
        elif sim.day != self._day:
            a = FORECAST_SMOOTHING
            self._forecast = a * sim.snapshot().demand_yesterday + (1 - a) * self._forecast
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
        if hasattr(rule, "reset"):  # composites keep a daily history: never carry it across seeds
            rule.reset(int(seed))
        sim = Simulation(scenario.network, demand, seed=int(seed))
        forecast = SmoothedDemand()
        run_rule(sim, rule, warmup_days, forecast=forecast)
        sim.reset_kpis()
        run_rule(sim, rule, days, forecast=forecast)
        out.append(sim.kpis().chain)
    return Evaluation(out)


class EdgeKind(StrEnum):
    """Why a tuned value sits at the end of the values tried.

    ``GRID_EDGE``: the rule accepts the next value beyond it, so the optimum may lie
    outside the grid: widen the grid. ``RULE_LIMIT``: the rule refuses the next value
    (e.g. ``z < 0`` in ``BaseStock``, ``s > S`` in (s, S)); the grid cannot be widened,
    and the flag says the rule would like to go further than it can.
    """

    GRID_EDGE = "grid_edge"
    RULE_LIMIT = "rule_limit"


@dataclass(frozen=True)
class EdgeFlag:
    """A tuned value at the smallest (``side="low"``) or largest value tried."""

    param: str
    value: Any
    side: str
    kind: EdgeKind
    probe: Any  # the next value beyond the edge (one grid step further)
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "param": self.param,
            "value": self.value,
            "side": self.side,
            "kind": str(self.kind),
            "probe": self.probe,
            "note": self.note,
        }


def _numeric(values: Iterable[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _integer(values: Iterable[Any]) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _step_beyond(lo: Any, hi: Any, integer: bool) -> Any:
    """``hi`` moved one step of ``hi - lo`` further (rounded so printed grids stay tidy)."""
    value = hi + (hi - lo)
    return int(value) if integer else round(float(value), 6)


def refine_values(tried: Sequence[Any], best: Any) -> list[Any]:
    """The best value and the points halfway to its neighbours among the values tried.

    Integer parameters keep integer midpoints (none when the neighbours are adjacent).
    At the end of the range there is no neighbour on that side, so refinement never
    widens a grid: only wider coarse grids do.
    """
    values = sorted(set(tried))
    i = values.index(best)
    integer = _integer(values)
    out = {best}
    for neighbour in (
        values[i - 1] if i > 0 else None,
        values[i + 1] if i + 1 < len(values) else None,
    ):
        if neighbour is None:
            continue
        mid = (best + neighbour) / 2
        mid = round(mid) if integer else round(float(mid), 6)
        if mid not in (best, neighbour):
            out.add(mid)
    return sorted(out)


@dataclass(frozen=True)
class SearchOutcome:
    """Every point evaluated (with its stage), the best one and the values tried per parameter."""

    table: list[dict[str, Any]]
    best: dict[str, Any]
    best_row: dict[str, Any]
    tried: dict[str, list[Any]]
    invalid: list[dict[str, Any]]


PointMapper = Callable[
    [Callable[[dict[str, Any]], Mapping[str, float] | None], list[dict[str, Any]]],
    Sequence[Mapping[str, float] | None],
]


def grid_search(
    evaluate_point: Callable[[dict[str, Any]], Mapping[str, float] | None],
    grid: Mapping[str, Sequence[Any]],
    *,
    score: str = "profit_per_day",
    refine_rounds: int = 0,
    label: str = "grid search",
    map_points: PointMapper | None = None,
) -> SearchOutcome:
    """Exhaustive search over a grid, then ``refine_rounds`` finer grids around the best.

    Stage 0 is the full product of ``grid``. Each refinement stage is the product, over
    the numeric parameters, of the best value and the points halfway to its neighbours
    among all values tried so far (non-numeric parameters stay at their best value), so
    each stage halves the spacing around the incumbent. Points are evaluated once.

    Args:
        evaluate_point: parameters -> metrics including ``score`` (higher is better), or
            None when the rule refuses the point (e.g. ``s > S``); refused points are
            listed in ``invalid`` and never chosen.
        grid: parameter -> values of the coarse grid.
        score: the metric maximised.
        refine_rounds: how many coarse-to-fine stages follow the coarse grid.
        label: names the progress bar of each stage (e.g. the rule being tuned).
        map_points: ``(evaluate_point, points) -> metrics in order``, to evaluate a stage's
            points elsewhere (e.g. as Ray tasks, ``experiments.ray_executor``); the points
            are independent, so the outcome is the same as evaluating them here in order.
    """
    keys = list(grid)
    seen: set[tuple] = set()
    table: list[dict[str, Any]] = []
    invalid: list[dict[str, Any]] = []

    def run_stage(stage_grid: Mapping[str, Sequence[Any]], stage: int) -> None:
        points = []
        for values in itertools.product(*(stage_grid[k] for k in keys)):
            key = tuple(_hashable(v) for v in values)
            if key not in seen:
                seen.add(key)
                points.append(dict(zip(keys, values, strict=True)))
        if map_points is not None:
            evaluated = list(map_points(evaluate_point, points))
        else:
            evaluated = []
            with progress(len(points), f"{label} stage {stage}", unit="trial") as bar:
                for point in points:
                    evaluated.append(evaluate_point(point))
                    bar.update()
        for point, metrics in zip(points, evaluated, strict=True):
            if metrics is None:
                invalid.append({**point, "stage": stage})
            else:
                table.append({**point, **metrics, "stage": stage})

    run_stage(grid, 0)
    if not table:
        raise ValueError(f"grid_search: the rule refused every point of {dict(grid)}")
    numeric = {k for k in keys if _numeric(grid[k])}
    for stage in range(1, refine_rounds + 1):
        best = max(table, key=lambda row: row[score])
        tried = _tried(table, keys)
        fine = {k: refine_values(tried[k], best[k]) if k in numeric else [best[k]] for k in keys}
        run_stage(fine, stage)
    best = max(table, key=lambda row: row[score])  # ties: the first evaluated
    return SearchOutcome(
        table=table,
        best={k: best[k] for k in keys},
        best_row=best,
        tried=_tried(table, keys),
        invalid=invalid,
    )


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _tried(table: list[dict[str, Any]], keys: Sequence[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for k in keys:
        values = list(dict.fromkeys(_hashable(row[k]) for row in table))  # first-seen order
        out[k] = sorted(values) if _numeric(values) else values
    return out


def edge_flags(
    best: Mapping[str, Any],
    tried: Mapping[str, Sequence[Any]],
    refuses: Callable[[dict[str, Any]], str | None],
) -> list[EdgeFlag]:
    """Flag each numeric parameter whose best value is the smallest or largest value tried.

    Args:
        best: the chosen point.
        tried: values evaluated per parameter (valid points only).
        refuses: point -> the rule's reason for refusing it, or None if accepted. The point
            one grid step beyond the edge is probed to tell a grid edge (widen the grid)
            from the rule's own limit (cannot widen).
    """
    flags = []
    for param, values in tried.items():
        values = sorted(set(values)) if _numeric(values) else []
        if len(values) < 2 or best[param] not in (values[0], values[-1]):
            continue  # a single value is a fixed parameter, not a search
        integer = _integer(values)
        if best[param] == values[0]:
            side, probe = "low", _step_beyond(values[1], values[0], integer)
        else:
            side, probe = "high", _step_beyond(values[-2], values[-1], integer)
        reason = refuses({**best, param: probe})
        if reason is None:
            kind = EdgeKind.GRID_EDGE
            note = (
                f"{param}={best[param]} is the {'smallest' if side == 'low' else 'largest'}"
                f" value tried and the rule accepts {param}={probe}: widen the grid"
            )
        else:
            kind = EdgeKind.RULE_LIMIT
            note = f"{param}={best[param]} is the rule's limit ({reason})"
        flags.append(EdgeFlag(param, best[param], side, kind, probe, note))
    return flags


@dataclass(frozen=True)
class TuningResult:
    """The grid, the score of every point, the best parameters and where they sit.

    Attributes:
        best_point: the best grid coordinates (plus fixed parameters).
        best_params: the configuration those coordinates stand for, in the shape of
            ``configs/policy/<policy>.yaml`` (``experiments.evaluate`` merges it in);
            the same as ``best_point`` for a plain heuristic.
        grid: the coarse grid; ``tried``: every value evaluated per parameter.
        edges: parameters whose best value is at the end of the values tried.
        baseline: for composite policies, the replenishment rule they sit on.
        scenario_overrides: the variant tuned on (Hydra overrides; empty: as shipped).
    """

    policy: str
    scenario: str
    best_params: dict[str, Any]
    best_profit_per_day: float
    table: list[dict[str, Any]]
    train_seeds: tuple[int, ...]
    best_point: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    tried: dict[str, list[Any]] = field(default_factory=dict)
    edges: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    days: int | None = None
    warmup_days: int | None = None
    baseline: dict[str, Any] | None = None
    scenario_overrides: list[str] = field(default_factory=list)

    @property
    def grid_edges(self) -> list[dict[str, Any]]:
        """The flags that ask for a wider grid (not the rule's own limits)."""
        return [e for e in self.edges if e["kind"] == EdgeKind.GRID_EDGE]

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
    refine_rounds: int = 0,
    to_params: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    baseline: Mapping[str, Any] | None = None,
    map_points: PointMapper | None = None,
) -> TuningResult:
    """Grid search (optionally coarse-then-fine) on training seeds, by mean profit per day.

    Args:
        name: the policy's name (``configs/policy/<name>.yaml``).
        make_rule: parameters -> rule; a ``ConfigError`` marks a point the rule refuses.
        grid: parameter -> coarse values (1-2 parameters; more go through Optuna).
        seeds: training seeds (never ``EVAL_SEEDS``).
        fixed: parameters passed to every rule, not searched.
        refine_rounds: coarse-to-fine stages after the coarse grid (see ``grid_search``).
        to_params: best point -> configuration (composites); identity by default.
        baseline: recorded as is (the replenishment rule a composite sits on).
        map_points: where a stage's points are evaluated (see ``grid_search``).
    """
    if set(seeds) & set(EVAL_SEEDS):
        raise ValueError("tune_grid: seeds overlap EVAL_SEEDS; allowed: training seeds only")
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    fixed = dict(fixed or {})

    def refuses(point: dict[str, Any]) -> str | None:
        try:
            make_rule(**(fixed | point))
        except ConfigError as err:
            return str(err)
        return None

    def evaluate_point(point: dict[str, Any]) -> dict[str, float] | None:
        try:
            rule = make_rule(**(fixed | point))
        except ConfigError:
            return None
        ev = evaluate_rule(sc, rule, seeds, days=days, warmup_days=warmup_days)
        return {
            "profit_per_day": ev.profit_per_day,
            "fill_rate": ev.mean("fill_rate"),
            "waste_rate": ev.mean("waste_rate"),
        }

    outcome = grid_search(
        evaluate_point, grid, refine_rounds=refine_rounds, label=f"tune {name}",
        map_points=map_points,
    )  # fmt: skip
    best_point = outcome.best | fixed
    return TuningResult(
        policy=name,
        scenario=sc.name,
        scenario_overrides=list(sc.overrides),
        best_params=to_params(best_point) if to_params else dict(best_point),
        best_profit_per_day=outcome.best_row["profit_per_day"],
        table=outcome.table,
        train_seeds=tuple(seeds),
        best_point=best_point,
        grid={k: list(v) for k, v in grid.items()},
        tried=outcome.tried,
        edges=[f.as_dict() for f in edge_flags(outcome.best, outcome.tried, refuses)],
        invalid=outcome.invalid,
        days=days,
        warmup_days=warmup_days,
        baseline=dict(baseline) if baseline is not None else None,
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
