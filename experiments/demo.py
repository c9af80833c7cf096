"""`make demo`: the policy lab's main job on `city_fresh`, in under 10 minutes on 2 cores.

The chain study (``experiments.chain_study``) on a small budget
(``experiment=city_fresh_chain`` is the full one):

1. tune the baselines on training seeds (grid, profit per day);
2. learn the orders: PPO on the residual action on the best tuned replenishment rule
   (with the tuned transfer rules in its env), and CMA-ES over a linear residual as the
   gradient-free control;
3. learn the transfers on top of the PPO orders by CMA-ES on chain profit (the rules'
   parameters, then the per-pair scorer);
4. compare all on the same random demand over evaluation seeds (the what-if), log to the
   local MLflow store, write the report;
5. export the winner for serving and print the comparison and where everything is.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from hydra import compose, initialize_config_dir
from rich.console import Console
from rich.table import Table

from experiments.chain_study import CMAES_ORDERS, LEARNED, PPO_ORDERS, run_chain_study
from experiments.train import train

REPO = Path(__file__).resolve().parents[1]
SCENARIO = "city_fresh"
BASELINES = ["base_stock", "perishable_base_stock", "facings_days", "transfer_rules"]
OUT = REPO / "outputs" / "demo"
REPLICATIONS = 10
BUDGET = [  # the chain study's stages, small
    "chain.tune_seeds=2",
    "chain.tune_eval_seeds=1",
    "chain.ppo_timesteps=1000000",
    "chain.train_seeds=[1000,1001]",
    "chain.generations=6",
    "chain.popsize=8",
    "chain.transfer_generations=6",
    "chain.transfer_popsize=8",
    f"chain.replications={REPLICATIONS}",
]


# the stages and what each took in a measured run on an idle 2-core machine (README)
PLAN = (
    ("1. tune the rules", f"{len(BASELINES)} rules on 2 training seeds (grid search)", "~35 s"),
    ("2. learn the orders", "PPO, 1M steps on the residual action", "~55 s"),
    ("3. the control", "CMA-ES on a linear residual, 6 generations × 8", "~20 s"),
    ("4. learn the transfers", "CMA-ES: the rules' parameters, then the pair scorer", "~40 s"),
    ("5. the what-if", f"7 policies × {REPLICATIONS} held-out seeds, report, MLflow", "~35 s"),
    ("6. export", "the winner for serving; the learned policy as an MLflow model", "~10 s"),
)


def plan_table() -> Table:
    table = Table(
        title="plan (about 3½ minutes once installed; 4½ with the install on a fresh clone)",
        title_justify="left",
    )
    for col in ("stage", "what", "expected"):
        table.add_column(col)
    for row in PLAN:
        table.add_row(*row)
    return table


def compose_cfg(name: str, overrides: list[str]):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name=name, overrides=overrides)


def export_winner(outcome: dict, out: Path) -> tuple[str, Path]:
    """The exportable policy with the best mean profit per day, exported for serving.

    The learned policy and the PPO orders are exported as ONNX with their transfer
    planner (the learned one, or the tuned rules); a rule with the parameters the demo
    tuned. The CMA-ES linear residual is a control, not exported.
    """
    import shutil

    from policies.export.exporter import export_heuristic, export_run_dir

    ranked = sorted(
        (n for n in outcome["policies"] if n != CMAES_ORDERS),
        key=lambda n: -outcome["policies"][n]["profit_per_day"]["mean"],
    )
    winner = ranked[0]
    shutil.rmtree(out, ignore_errors=True)  # the demo's own previous export
    if winner == LEARNED:
        planner = OUT / outcome["learned_transfers"] / "transfers.json"
        export_run_dir(OUT / "ppo", out, transfers=planner)
    elif winner == PPO_ORDERS:
        export_run_dir(OUT / "ppo", out)  # the tuned transfer rules of its env
    else:
        export_heuristic(winner, SCENARIO, out, tuned_dir=str(OUT / "tuning"))
    return winner, out


def main() -> dict:
    console = Console(width=110)  # the table's columns stay readable in a log file too
    t0 = time.perf_counter()
    console.rule("[bold]ShelfLife demo: tune the rules, learn orders and transfers, what-if")
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(
            config_name="train",
            overrides=[
                "experiment=city_fresh_chain",
                "run_name=demo_city_fresh",
                f"output_dir={OUT}",
                f"chain.rules=[{','.join(BASELINES)}]",
                *BUDGET,
                "progress_bar=true",
            ],
        )
        console.print(plan_table())
        outcome = run_chain_study(cfg, train)

    table = Table(
        title=f"{SCENARIO}: {REPLICATIONS} evaluation seeds × 14 days (mean [95 % interval])"
    )
    for col in ("policy", "profit/day", "vs best rule [95 %]", "fill rate", "waste rate"):
        table.add_column(col, justify="right")
    ref = outcome["reference"]
    for name, k in sorted(
        outcome["policies"].items(), key=lambda kv: -kv[1]["profit_per_day"]["mean"]
    ):
        p, f, w = k["profit_per_day"], k["fill_rate"], k["waste_rate"]
        d = outcome["paired_differences"].get(name, {}).get("profit_per_day")
        table.add_row(
            name,
            f"{p['mean']:,.0f} [{p['ci_low']:,.0f}, {p['ci_high']:,.0f}]",
            f"{d['mean']:+,.0f} [{d['ci_low']:+,.0f}, {d['ci_high']:+,.0f}]" if d else "reference",
            f"{f['mean']:.3f}",
            f"{w['mean']:.3f}",
        )
    console.print(table)
    policies = outcome["policies"]
    best = max(policies, key=lambda n: policies[n]["profit_per_day"]["mean"])
    ref_profit = policies[ref]["profit_per_day"]["mean"]
    learned = outcome["paired_differences"][LEARNED]["profit_per_day"]
    console.print(
        f"learned (PPO orders + {outcome['learned_transfers']} transfers) against the best "
        f"tuned rule ({ref}): {learned['mean']:+,.0f} profit/day "
        f"({100 * learned['mean'] / abs(ref_profit):+.1f} %), paired 95 % interval "
        f"[{learned['ci_low']:+,.0f}, {learned['ci_high']:+,.0f}] on {REPLICATIONS} seeds"
        " (the full study: experiment=city_fresh_chain, 100 seeds)"
    )
    console.print(f"best:          {best}")
    winner, winner_dir = export_winner(outcome, OUT / "winner")
    console.print(f"report:        {outcome['report']} (and report.html beside it)")
    console.print(f"trained model: {OUT / 'ppo' / 'checkpoints' / 'latest.zip'}")
    console.print(
        f"served winner: {winner} (best mean profit/day of the exportable policies) -> "
        f"{winner_dir} (manifest with SHA-256 of every file)"
    )
    console.print(f"serve it:      .venv/bin/python scripts/serve.py --policy {winner_dir}")
    console.print(f"tuned params:  {OUT / 'tuning' / SCENARIO}")
    registered = outcome.get("registered_model")
    if registered:
        console.print(
            f"MLflow model:  models:/{registered['name']}/{registered['version']} (the learned"
            " policy; mlflow models serve -m ... --env-manager local)"
        )
    console.print(
        "MLflow UI:     .venv/bin/mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db"
        "  -> http://127.0.0.1:5000"
    )
    console.print(f"TensorBoard:   .venv/bin/tensorboard --logdir {OUT}")
    console.print(f"done in {time.perf_counter() - t0:.0f} s")
    summary = {
        "scenario": SCENARIO,
        "policies": policies,
        "reference": ref,
        "paired_differences": outcome["paired_differences"],
        "win_share": outcome["win_share"],
        "report": outcome["report"],
        "best": best,
        "learned": LEARNED,
        "learned_transfers": outcome["learned_transfers"],
        "learned_minus_best_rule_profit_per_day": learned,
        "winner": winner,
        "exported_winner": str(winner_dir),
        "train_seconds": outcome["train_seconds"],
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
    return summary


if __name__ == "__main__":
    main()
