"""Tune every heuristic on training seeds, evaluate on separate seeds, report.

``tune_baselines(scenario, ...)`` is the pipeline (``make demo`` runs it);
``scripts/tune_baselines.py`` is its command line:

    python scripts/tune_baselines.py --scenario city_fresh [--seeds 3] [--days 14]
        [--refine-rounds 1] [--out reports/tuning]

Each replenishment rule is tuned by a coarse grid and then ``--refine-rounds``
finer grids around the best point (half the spacing each round). A tuned value
at the end of the values tried is flagged: ``grid_edge`` when the rule accepts
the next value (the grid should be wider) or ``rule_limit`` when it refuses it
(e.g. ``z = 0``: the base-stock rules accept no negative ``z``).

The composite policies (``transfer_rules``, ``tiered_alerts``) sit on the best
tuned replenishment rule (highest training profit per day, with its tuned
parameters); their own parameters are then tuned on top of it.

Writes ``<out>/<scenario>/<policy>.json`` (grid, scores, best parameters, edge
flags, seeds, and for composites the baseline used) and
``<out>/<scenario>/summary.md`` (tuned parameters, edge flags, evaluation KPIs
with 95 % intervals over the evaluation seeds, forecast accuracy per category),
and returns (the script prints it as one JSON line)
``{"scenario", "policies": {name: {"params", "edges", "profit_per_day", ...}}}``.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from experiments.tracking import (
    ChildRun,
    NullTracker,
    ci_metrics,
    flatten,
    make_child,
    make_tracker,
)
from policies.composite import TieredAlertsPolicy, TransferRulesPolicy
from policies.configs import config_target
from policies.forecast import HoltWinters, MovingAverage, SeasonalNaive, accuracy_by_category
from policies.heuristics import (
    RSS,
    SQ,
    SS,
    BaseStock,
    CappedBaseStock,
    FacingsDays,
    Newsvendor,
    PerishableBaseStock,
    ReorderPoint,
    ShopReorderRule,
)
from policies.runner import run_rule
from policies.transfers import TransferRules
from policies.tuning import (
    EVAL_SEEDS,
    TRAIN_SEEDS,
    EdgeKind,
    SmoothedDemand,
    TuningResult,
    evaluate_rule,
    tune_grid,
)
from sim.engine import Simulation
from sim.scenario import build_demand_source, load_scenario

# name -> (factory, coarse grid over 1-2 parameters, fixed parameters).
# Ranges were checked on city_fresh (training seeds) so that the optimum is
# inside each grid; the tuner flags it when it is not (see EdgeKind).
GRIDS: dict[str, tuple[Callable[..., Any], dict[str, list[Any]], dict[str, Any]]] = {
    # z and cover_factor trade off along a ridge; cover_factor < 1 is how the
    # rule expresses what a negative z would (BaseStock refuses z < 0).
    "base_stock": (
        BaseStock,
        {"z": [0.0, 0.25, 0.5, 0.75, 1.0], "cover_factor": [0.7, 0.8, 0.9, 1.0, 1.1, 1.2]},
        {},
    ),
    # the cap only matters below about two days of demand; above it the profit is flat
    "capped_base_stock": (
        CappedBaseStock,
        {"z": [0.0, 0.25, 0.5, 0.75], "max_order_units": [12, 24, 36, 48, 96]},
        {},
    ),
    # (s, S) pairs with s > S are refused by the rule and skipped
    "s_S": (
        SS,
        {"s_days": [1.0, 1.5, 2.0, 2.5, 3.0], "S_days": [1.5, 2.0, 2.5, 3.0, 3.5]},
        {},
    ),
    "R_s_S": (
        RSS,
        {"s_days": [1.0, 1.5, 2.0, 2.5, 3.0], "S_days": [1.5, 2.0, 2.5, 3.0, 3.5]},
        {"review_every_days": 2},
    ),
    "s_Q": (SQ, {"s_days": [1.5, 2.0, 2.5, 3.0, 3.5], "q_packs": [1, 2, 3]}, {}),
    "reorder_point": (
        ReorderPoint,
        {"service_level": [0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98]},
        {},
    ),
    # the level is sales × (cycle + fluctuation): only the sum matters, so a 2-D grid
    # is a ridge of ties. The cycle is a fact of the network (an order placed at 09:00
    # is on the shelf the next morning); the fluctuation coefficient is the knob.
    "shop_reorder_rule": (
        ShopReorderRule,
        {"fluctuation_days": [0.0, 0.5, 1.0, 1.5, 2.0]},
        {"longest_cycle_days": 1.0},
    ),
    "facings_days": (FacingsDays, {"safety_days": [0.0, 0.25, 0.5, 1.0]}, {}),
    "newsvendor": (Newsvendor, {"goodwill_per_unit": [0.0, 1.0, 2.0, 4.0, 6.0, 8.0]}, {}),
    "perishable_base_stock": (
        PerishableBaseStock,
        {"z": [0.0, 0.25, 0.5, 0.75], "cover_factor": [0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3]},
        {},
    ),
}

# Composite policies: (config key of the tuned parameters, coarse grid, fixed parameters).
# transfer_rules tunes TransferRules (under "transfers"); tiered_alerts its prices
# (top-level fields). Both sit on the best tuned replenishment rule.
COMPOSITES: dict[str, tuple[str | None, dict[str, list[Any]], dict[str, Any]]] = {
    # on city_fresh the radius and the need horizon move the profit; the send share and
    # the safety days barely do (checked one at a time), so they keep their defaults
    "transfer_rules": (
        "transfers",
        {"need_horizon_days": [0.5, 1.0, 1.5, 2.0, 3.0], "radius_km": [2.0, 3.0, 5.0, 8.0, 12.0]},
        {},
    ),
    # clearance_price > markdown_price is refused by the policy and skipped
    "tiered_alerts": (
        None,
        {"markdown_price": [0.8, 0.9, 1.0], "clearance_price": [0.5, 0.75, 1.0]},
        {},
    ),
}
KPIS = (
    "profit",
    "fill_rate",
    "stockout_rate",
    "waste_rate",
    "inventory_turnover",
    "transfers_units",
)


def interval(values: list[float]) -> tuple[float, float, float]:
    """Mean and a 95 % t-interval (normal approximation for n >= 30)."""
    from scipy import stats

    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    if len(arr) < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, len(arr) - 1) * arr.std(ddof=1) / np.sqrt(len(arr)))
    return mean, mean - half, mean + half


def forecast_accuracy(
    scenario, days: int = 35, seed: int = TRAIN_SEEDS[0]
) -> dict[str, dict[str, dict[str, float]]]:
    """One-step-ahead accuracy of each forecaster on a simulated demand history."""
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=seed)
    history = []
    rule = BaseStock(z=1.0)
    forecast = SmoothedDemand()
    for _ in range(days):
        run_rule(sim, rule, 1, forecast=forecast)
        history.append(sim.snapshot().demand_yesterday.reshape(-1).astype(float))
    h = np.stack(history[1:])  # day 0's 'yesterday' is the seeded history
    category = np.broadcast_to(
        scenario.network.skus.category, (scenario.network.n_stores, scenario.network.n_skus)
    ).reshape(-1)
    out = {}
    for name, model in (
        ("moving_average", MovingAverage(7)),
        ("seasonal_naive", SeasonalNaive()),
        ("holt_winters", HoltWinters()),
    ):
        start = 14
        preds = np.stack([model.forecast(h[:t]).mean for t in range(start, len(h))])
        out[name] = accuracy_by_category(h[start:], preds, category)
    return out


def saved_result(
    path: Path,
    seeds: Sequence[int],
    days: int,
    warmup_days: int,
    overrides: Sequence[str] = (),
) -> TuningResult | None:
    """A result saved by an earlier run, if it was tuned on the same seeds, days and variant
    (scenario overrides)."""
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    same = (
        data.get("train_seeds") == list(seeds)
        and data.get("days") == days
        and data.get("warmup_days") == warmup_days
        and data.get("scenario_overrides", []) == list(overrides)
    )
    if not same:
        return None
    data["train_seeds"] = tuple(data["train_seeds"])
    return TuningResult(**data)


def choose_baseline(candidates: Mapping[str, TuningResult]) -> dict[str, Any]:
    """The replenishment rule with the highest training profit per day, with its tuned params.

    Chosen on training seeds only, like every tuned value. Returns ``{"policy",
    "params", "train_profit_per_day", "candidates"}`` (the record the composites keep).
    """
    if not candidates:
        raise ValueError("choose_baseline: no tuned replenishment rule to choose from")
    name, best = max(candidates.items(), key=lambda kv: kv[1].best_profit_per_day)
    return {
        "policy": name,
        "params": dict(best.best_params),
        "train_profit_per_day": best.best_profit_per_day,
        "candidates": {n: r.best_profit_per_day for n, r in candidates.items()},
    }


def composite_factory(name: str, baseline: Any) -> Callable[..., Any]:
    if name == "transfer_rules":
        return lambda **p: TransferRulesPolicy(baseline, TransferRules(**p))
    return lambda **p: TieredAlertsPolicy(baseline, **p)


def composite_params(name: str, baseline: Mapping[str, Any]) -> Callable[[dict], dict]:
    """Best point -> the shape of ``configs/policy/<name>.yaml`` (evaluate merges it in)."""
    key = COMPOSITES[name][0]
    replenishment = {"_target_": config_target(baseline["policy"]), **baseline["params"]}

    def to_params(point: dict[str, Any]) -> dict[str, Any]:
        tuned = dict(point) if key is None else {key: dict(point)}
        return {"replenishment": replenishment, **tuned}

    return to_params


class TuningError(ValueError):
    """The request cannot be tuned as asked (an unknown policy, a composite without a baseline)."""


def command_line(
    scenario: str,
    *,
    seeds: int,
    eval_seeds: int,
    days: int,
    warmup_days: int,
    refine_rounds: int,
    policies: Sequence[str],
    out: str | Path,
    overrides: Sequence[str] = (),
) -> str:
    """The ``scripts/tune_baselines.py`` command that runs the same tuning."""
    argv = ["--scenario", scenario, "--seeds", str(seeds), "--eval-seeds", str(eval_seeds)]
    argv += ["--days", str(days), "--warmup-days", str(warmup_days)]
    argv += ["--refine-rounds", str(refine_rounds), "--policies", *policies, "--out", str(out)]
    for override in overrides:
        argv += ["--override", override]
    return "python scripts/tune_baselines.py " + shlex.join(argv)


def tune_baselines(
    scenario: str = "city_fresh",
    *,
    seeds: int = 3,
    eval_seeds: int = 10,
    days: int = 14,
    warmup_days: int = 7,
    refine_rounds: int = 1,
    policies: Sequence[str] = (*GRIDS, *COMPOSITES),
    out: str | Path = "reports/tuning",
    command: str | None = None,
    overrides: Sequence[str] = (),
    logger: DictConfig | None = None,
    executor: str = "local",
    ray_address: str | None = None,
) -> dict[str, Any]:
    """Tune ``policies`` on ``scenario``, evaluate them, write the results; returns the summary.

    Args:
        scenario: the scenario's name (``configs/network`` + ``configs/demand``).
        seeds: how many of ``TRAIN_SEEDS`` to tune on.
        eval_seeds: how many of ``EVAL_SEEDS`` to evaluate the tuned policies on.
        days, warmup_days: reported and warm-up days of every run.
        refine_rounds: finer grids around the best point (half the spacing each round).
        policies: names in ``GRIDS`` (replenishment rules) and ``COMPOSITES``.
        out: results go to ``<out>/<scenario>/<policy>.json`` and ``summary.md``.
        command: how the run was asked for, quoted in ``summary.md`` (default: the
            equivalent ``scripts/tune_baselines.py`` command).
        overrides: Hydra overrides of the scenario (a variant), e.g.
            ``["demand.base_rate_generator.store_scale.median=1.3"]``.
        logger: a ``configs/logger`` config: one MLflow run ``tune_<scenario>`` (a child of
            the run active in this process, if any) with a child run per policy (its best
            parameters, training profit and held-out KPIs) and under it one per trial
            (``track_tuning``). None: not tracked.
        executor: ``local`` evaluates the grid points here, one after another; ``ray`` runs
            each stage's points as Ray tasks, on ``ray_address`` (None: a local cluster on
            127.0.0.1; ``auto``: a running one). The results are the same either way.

    Returns:
        ``{"scenario", "policies": {name: {...}}, "forecast_accuracy", "wall_s"}``, plus
        ``mlflow_run_id`` when ``logger`` tracks.

    Raises:
        TuningError: an unknown policy, or composites without a tuned replenishment rule.
    """
    if executor not in ("local", "ray"):
        raise TuningError(f"executor: got {executor!r}; allowed: 'local' or 'ray'")
    unknown = [p for p in policies if p not in GRIDS and p not in COMPOSITES]
    if unknown:
        raise TuningError(f"unknown policies {unknown}; allowed: {[*sorted(GRIDS), *COMPOSITES]}")
    if command is None:
        command = command_line(
            scenario,
            seeds=seeds,
            eval_seeds=eval_seeds,
            days=days,
            warmup_days=warmup_days,
            refine_rounds=refine_rounds,
            policies=policies,
            out=out,
            overrides=overrides,
        )
    t0 = time.perf_counter()
    loaded = load_scenario(scenario, list(overrides))  # a variant: Hydra overrides of the scenario
    out_dir = Path(out) / scenario
    train = TRAIN_SEEDS[:seeds]
    evals = EVAL_SEEDS[:eval_seeds]
    common = {
        "scenario": loaded,
        "seeds": train,
        "days": days,
        "warmup_days": warmup_days,
        "refine_rounds": refine_rounds,
        "map_points": ray_points(ray_address) if executor == "ray" else None,
    }
    results: dict[str, dict] = {}
    tuned: dict[str, Any] = {}
    replenishment: dict[str, TuningResult] = {}
    for name in (p for p in policies if p in GRIDS):
        factory, grid, fixed = GRIDS[name]
        res = tune_grid(name, factory, grid, fixed=fixed, **common)
        res.save(out_dir / f"{name}.json")
        tuned[name] = factory(**res.best_params)
        replenishment[name] = res
        results[name] = _result_line(res)

    composites = [p for p in policies if p in COMPOSITES]
    if composites:
        # rules not re-tuned now may come from an earlier run with the same seeds and days
        for name in GRIDS:
            if name not in replenishment:
                saved = saved_result(
                    out_dir / f"{name}.json", train, days, warmup_days, list(overrides)
                )
                if saved is not None:
                    replenishment[name] = saved
        if not replenishment:
            raise TuningError(
                "composite policies sit on the best tuned replenishment rule: tune at least one"
                f" of {sorted(GRIDS)} (in --policies, or earlier into {out_dir})"
            )
        baseline = choose_baseline(replenishment)
        base_rule = GRIDS[baseline["policy"]][0](**baseline["params"])
        for name in composites:
            _, grid, fixed = COMPOSITES[name]
            factory = composite_factory(name, base_rule)
            res = tune_grid(
                name,
                factory,
                grid,
                fixed=fixed,
                to_params=composite_params(name, baseline),
                baseline=baseline,
                **common,
            )
            res.save(out_dir / f"{name}.json")
            tuned[name] = factory(**res.best_point)
            results[name] = _result_line(res)

    for name, rule in tuned.items():
        ev = evaluate_rule(loaded, rule, evals, days=days, warmup_days=warmup_days)
        results[name]["eval"] = {
            k: dict(
                zip(
                    ("mean", "ci_low", "ci_high"),
                    interval([s[k] for s in ev.per_seed]),
                    strict=True,
                )
            )
            for k in KPIS
        }
        results[name]["eval_profit_per_day"] = ev.profit_per_day
    accuracy = forecast_accuracy(loaded)
    write_summary(
        out_dir / "summary.md",
        scenario,
        days=days,
        warmup_days=warmup_days,
        refine_rounds=refine_rounds,
        results=results,
        accuracy=accuracy,
        train=train,
        evals=evals,
        command=command,
    )
    line = {
        "scenario": scenario,
        "policies": results,
        "forecast_accuracy": accuracy,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    if logger is not None:
        with make_tracker(logger, f"tune_{scenario}") as tracker:
            line["mlflow_run_id"] = tracker.run_id
            track_tuning(tracker, line, out_dir, train=train, evals=evals)
    return line


def ray_points(address: str | None) -> Any:
    """A ``grid_search`` point mapper that evaluates a stage's points as Ray tasks."""
    from experiments.ray_executor import ray_map

    def map_points(evaluate_point: Any, points: list[dict[str, Any]]) -> list[Any]:
        return ray_map(evaluate_point, points, address=address, desc="tune", unit="trial")

    return map_points


def track_tuning(
    tracker: NullTracker,
    line: Mapping[str, Any],
    out_dir: Path,
    *,
    train: Sequence[int],
    evals: Sequence[int],
) -> None:
    """The tuning as MLflow runs: this run, a child per policy, a grandchild per trial."""
    tracker.set_tags(
        {"kind": "tuning", "scenario": str(line["scenario"]), "train_seeds": str(list(train))}
    )
    tracker.log_artifact(out_dir / "summary.md")
    for name, res in line["policies"].items():
        saved = json.loads((out_dir / f"{name}.json").read_text())
        held_out: dict[str, float] = {}
        for kpi, ci in res.get("eval", {}).items():
            held_out |= ci_metrics(f"eval/{kpi}", ci)
        with make_child(tracker, name) as child:
            child.set_tags({"kind": "tuning policy", "policy": name, "eval_seeds": str(evals)})
            child.log_params(flatten(saved["best_params"]))
            child.log_metrics({"train/profit_per_day": res["train_profit_per_day"], **held_out})
            child.log_artifact(out_dir / f"{name}.json")
            child.log_child_runs(
                [
                    ChildRun(
                        name=f"{name} trial {i}",
                        params={k: v for k, v in row.items() if k not in TRIAL_METRICS},
                        metrics={k: row.get(k) for k in TRIAL_METRICS},
                        tags={"kind": "tuning trial", "policy": name},
                    )
                    for i, row in enumerate(saved["table"])
                ]
            )


TRIAL_METRICS = ("profit_per_day", "fill_rate", "waste_rate")


def _result_line(res: TuningResult) -> dict[str, Any]:
    line: dict[str, Any] = {
        "params": res.best_point,
        "train_profit_per_day": res.best_profit_per_day,
        "edges": res.edges,
        "points_evaluated": len(res.table),
    }
    if res.baseline is not None:
        line["baseline"] = {k: res.baseline[k] for k in ("policy", "params")}
    return line


def _params_cell(r: Mapping[str, Any]) -> str:
    marks = {e["param"]: e["kind"] for e in r["edges"]}
    cells = []
    for key, value in r["params"].items():
        mark = {EdgeKind.GRID_EDGE: " ⚠ grid edge", EdgeKind.RULE_LIMIT: " (rule limit)"}.get(
            marks.get(key), ""
        )
        cells.append(
            f"{key}={value:g}{mark}" if isinstance(value, float) else f"{key}={value}{mark}"
        )
    text = ", ".join(cells)
    if "baseline" in r:
        base = r["baseline"]
        params = ", ".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in base["params"].items()
        )
        text += f"; on `{base['policy']}` ({params})"
    return text


def write_summary(
    path: Path,
    scenario: str,
    *,
    days: int,
    warmup_days: int,
    refine_rounds: int,
    results: dict,
    accuracy: dict,
    train: Sequence[int],
    evals: Sequence[int],
    command: str,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Tuned baselines on `{scenario}`",
        "",
        f"Tuned on training seeds {list(train)}; evaluated on seeds {evals[0]}..{evals[-1]}"
        f" ({len(evals)} seeds), {warmup_days} warm-up days then {days} reported days.",
        f"Profit per day is the objective. Each grid is refined {refine_rounds} time(s)"
        " around its best point (half the spacing each time).",
        "",
        f"Generated by `{command}`.",
        "",
        "| policy | tuned parameters | profit/day (eval) | profit (95 % CI) | fill rate"
        " | waste rate | points |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in sorted(results.items(), key=lambda kv: -kv[1]["eval_profit_per_day"]):
        e = r["eval"]
        lines.append(
            f"| {name} | {_params_cell(r)} | {r['eval_profit_per_day']:,.0f} | "
            f"{e['profit']['mean']:,.0f} "
            f"[{e['profit']['ci_low']:,.0f}, {e['profit']['ci_high']:,.0f}] | "
            f"{e['fill_rate']['mean']:.3f} | {e['waste_rate']['mean']:.3f} |"
            f" {r['points_evaluated']} |"
        )
    grid_edges = [
        (n, e) for n, r in results.items() for e in r["edges"] if e["kind"] == EdgeKind.GRID_EDGE
    ]
    limits = [
        (n, e) for n, r in results.items() for e in r["edges"] if e["kind"] == EdgeKind.RULE_LIMIT
    ]
    lines += ["", "## Tuned values at the end of their grid", ""]
    if grid_edges:
        lines.append(
            "**Warning: these tuned values sit on the edge of their grid and the rule accepts"
            " values beyond it; widen the grid (`GRIDS` in `experiments/tune_baselines.py`):**"
        )
        lines += [""] + [f"- ⚠ `{n}`: {e['note']}" for n, e in grid_edges]
    else:
        lines.append("No tuned value sits on a grid edge that the rule would let us move past.")
    if limits:
        lines += [
            "",
            "At the rule's own limit (the grid cannot go further; the rule would like to):",
            "",
        ]
        lines += [f"- `{n}`: {e['note']}" for n, e in limits]
    bases = {n: r["baseline"] for n, r in results.items() if "baseline" in r}
    if bases:
        lines += ["", "## Replenishment under the composite policies", ""]
        for name, base in bases.items():
            lines.append(
                f"- `{name}` orders with `{base['policy']}` and its tuned parameters"
                f" `{base['params']}`: the best tuned replenishment rule on the training seeds."
            )
    lines += [
        "",
        "## Forecast accuracy (one day ahead, WAPE / bias) per category",
        "",
        "| forecaster | " + " | ".join(next(iter(accuracy.values()))) + " |",
        "|---|" + "---|" * len(next(iter(accuracy.values()))),
    ]
    for name, per in accuracy.items():
        cells = [f"{v['wape']:.2f} / {v['bias']:+.2f}" for v in per.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    path.write_text("\n".join(lines) + "\n")
