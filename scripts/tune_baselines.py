"""Tune every heuristic on training seeds, evaluate on separate seeds, report.

    python scripts/tune_baselines.py --scenario city_fresh [--seeds 3] [--days 14]
        [--out reports/tuning]

Writes ``<out>/<scenario>/<policy>.json`` (grid, scores, best parameters, seeds)
and ``<out>/<scenario>/summary.md`` (tuned parameters, evaluation KPIs with 95 %
intervals over the evaluation seeds, forecast accuracy per category), and
prints one JSON line: ``{"scenario", "policies": {name: {"params", "profit_per_day", ...}}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policies.composite import TieredAlertsPolicy, TransferRulesPolicy
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
from policies.tuning import EVAL_SEEDS, TRAIN_SEEDS, SmoothedDemand, evaluate_rule, tune_grid
from sim.engine import Simulation
from sim.scenario import build_demand_source, load_scenario

# name -> (factory, grid over 1-2 parameters, fixed parameters)
GRIDS = {
    "base_stock": (BaseStock, {"z": [0.0, 0.5, 1.0], "cover_factor": [0.8, 1.0, 1.25]}, {}),
    "capped_base_stock": (CappedBaseStock, {"z": [0.0, 0.5, 1.0], "max_order_units": [24, 48]}, {}),
    "s_S": (SS, {"s_days": [0.5, 1.0, 1.5], "S_days": [2.0, 3.0]}, {}),
    "R_s_S": (RSS, {"s_days": [1.0, 1.5], "S_days": [2.0, 3.0]}, {"review_every_days": 2}),
    "s_Q": (SQ, {"s_days": [1.0, 1.5, 2.0], "q_packs": [1, 2]}, {}),
    "reorder_point": (ReorderPoint, {"service_level": [0.8, 0.9, 0.95, 0.98]}, {}),
    "shop_reorder_rule": (
        ShopReorderRule,
        {"longest_cycle_days": [1.0, 2.0], "fluctuation_days": [0.0, 0.5, 1.0]},
        {},
    ),
    "facings_days": (FacingsDays, {"safety_days": [0.0, 0.5, 1.0]}, {}),
    "newsvendor": (Newsvendor, {"goodwill_per_unit": [0.0, 0.5, 1.0]}, {}),
    "perishable_base_stock": (
        PerishableBaseStock,
        {"z": [0.0, 0.5, 1.0], "cover_factor": [1.0, 1.25]},
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
        history.append(sim.state.demand_yesterday.reshape(-1).astype(float))
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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="city_fresh")
    parser.add_argument("--seeds", type=int, default=3, help="training seeds for tuning")
    parser.add_argument("--eval-seeds", type=int, default=10)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--warmup-days", type=int, default=7)
    parser.add_argument(
        "--policies", nargs="*", default=[*list(GRIDS), "transfer_rules", "tiered_alerts"]
    )
    parser.add_argument("--out", default="reports/tuning")
    args = parser.parse_args(argv)
    unknown = [
        p for p in args.policies if p not in GRIDS and p not in ("transfer_rules", "tiered_alerts")
    ]
    if unknown:
        parser.error(
            f"unknown policies {unknown};"
            f" allowed: {[*sorted(GRIDS), 'tiered_alerts', 'transfer_rules']}"
        )

    t0 = time.perf_counter()
    scenario = load_scenario(args.scenario)
    out_dir = Path(args.out) / args.scenario
    train = TRAIN_SEEDS[: args.seeds]
    evals = EVAL_SEEDS[: args.eval_seeds]
    results: dict[str, dict] = {}
    tuned = {}
    for name in (p for p in args.policies if p in GRIDS):
        factory, grid, fixed = GRIDS[name]
        res = tune_grid(
            name,
            factory,
            grid,
            scenario=scenario,
            seeds=train,
            days=args.days,
            warmup_days=args.warmup_days,
            fixed=fixed,
        )
        res.save(out_dir / f"{name}.json")
        tuned[name] = factory(**res.best_params)
        results[name] = {"params": res.best_params, "train_profit_per_day": res.best_profit_per_day}
    best_base = tuned.get("base_stock", BaseStock(z=0.5))
    composites = {
        "transfer_rules": lambda price: TransferRulesPolicy(best_base),
        "tiered_alerts": lambda price: TieredAlertsPolicy(
            best_base, markdown_price=price[0], clearance_price=price[1]
        ),
    }
    for name in (p for p in args.policies if p in composites):
        grid = (
            {"price": [(1.0, 1.0), (0.9, 0.7), (0.8, 0.5)]}
            if name == "tiered_alerts"
            else {"price": [(1.0, 1.0)]}
        )
        res = tune_grid(
            name,
            composites[name],
            grid,
            scenario=scenario,
            seeds=train,
            days=args.days,
            warmup_days=args.warmup_days,
        )
        res.save(out_dir / f"{name}.json")
        tuned[name] = composites[name](**res.best_params)
        results[name] = {"params": res.best_params, "train_profit_per_day": res.best_profit_per_day}
    for name, rule in tuned.items():
        ev = evaluate_rule(scenario, rule, evals, days=args.days, warmup_days=args.warmup_days)
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
    accuracy = forecast_accuracy(scenario)
    write_summary(out_dir / "summary.md", args, results, accuracy, train, evals)
    line = {
        "scenario": args.scenario,
        "policies": results,
        "forecast_accuracy": accuracy,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(line, default=float))
    return line


def write_summary(path: Path, args, results: dict, accuracy: dict, train, evals) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Tuned baselines on `{args.scenario}`",
        "",
        f"Tuned on training seeds {list(train)}; evaluated on seeds {evals[0]}..{evals[-1]}"
        f" ({len(evals)} seeds), {args.warmup_days} warm-up days then {args.days} reported days.",
        "Profit per day is the objective.",
        "",
        "| policy | tuned parameters | profit/day (eval) | profit (95 % CI) | fill rate"
        " | waste rate |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in sorted(results.items(), key=lambda kv: -kv[1]["eval_profit_per_day"]):
        e = r["eval"]
        lines.append(
            f"| {name} | `{r['params']}` | {r['eval_profit_per_day']:,.0f} | "
            f"{e['profit']['mean']:,.0f} "
            f"[{e['profit']['ci_low']:,.0f}, {e['profit']['ci_high']:,.0f}] | "
            f"{e['fill_rate']['mean']:.3f} | {e['waste_rate']['mean']:.3f} |"
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


if __name__ == "__main__":
    main()
