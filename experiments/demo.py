"""`make demo`: the policy lab's main job on `city_fresh`, in about 10 minutes on 2 cores.

1. tune the baselines on training seeds (grid, profit per day);
2. train PPO on the SKU-agent vector env (one shared per-(store, SKU) policy), and
   search a linear residual policy on the best tuned rule with CMA-ES on chain profit
   (a small budget: ``experiment=city_fresh_chain`` is the full study);
3. compare all on the same random demand over evaluation seeds (the what-if);
4. log to the local MLflow store, write the report, keep the trained model;
5. print the comparison and where everything is.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import open_dict
from rich.console import Console
from rich.table import Table

from experiments.cmaes import optimise
from experiments.evaluate import evaluate
from experiments.replicate import linear_residual_model
from experiments.train import train
from experiments.tune_baselines import tune_baselines

REPO = Path(__file__).resolve().parents[1]
SCENARIO = "city_fresh"
BASELINES = ["base_stock", "perishable_base_stock", "facings_days", "transfer_rules"]
OUT = REPO / "outputs" / "demo"
LEARNED = "learned_residual"  # the CMA-ES linear residual policy


def compose_cfg(name: str, overrides: list[str]):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name=name, overrides=overrides)


def export_trained(trained: dict, run_dir: Path, policy_dir: Path) -> Path:
    """Export the trained model for serving and attach the folder to its MLflow run."""
    import shutil

    import mlflow

    from policies.export.exporter import export_run_dir

    shutil.rmtree(policy_dir, ignore_errors=True)  # the demo's own previous export
    export_run_dir(run_dir, policy_dir, source={"mlflow_run_id": trained.get("mlflow_run_id")})
    if trained.get("mlflow_run_id"):
        client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{REPO / 'mlruns' / 'mlflow.db'}")
        client.log_artifacts(trained["mlflow_run_id"], str(policy_dir), "exported_policy")
    return policy_dir


def export_winner(outcome: dict, trained_dir: Path, out: Path) -> tuple[str, Path]:
    """The policy with the best mean profit per day, exported for serving.

    The trained PPO is already exported (``trained_dir``); a heuristic winner is
    exported with the parameters the demo tuned.
    """
    import shutil

    from policies.export.exporter import export_heuristic

    winner = max(
        outcome["policies"], key=lambda n: outcome["policies"][n]["profit_per_day"]["mean"]
    )
    if winner == "ppo":
        return winner, trained_dir
    if winner == LEARNED:  # no serving export for it yet: serve the best exportable policy
        exportable = {n: v for n, v in outcome["policies"].items() if n != LEARNED}
        runner_up, _ = export_winner({"policies": exportable}, trained_dir, out)
        return runner_up, out if runner_up != "ppo" else trained_dir
    shutil.rmtree(out, ignore_errors=True)  # the demo's own previous export
    export_heuristic(winner, SCENARIO, out, tuned_dir=str(OUT / "tuning"))
    return winner, out


def main() -> dict:
    console = Console()
    t0 = time.perf_counter()
    console.rule(
        "[bold]ShelfLife demo: tune baselines, train PPO, compare on common random numbers"
    )

    console.print("1/3 tuning the baselines on training seeds ...")
    tuned = tune_baselines(
        SCENARIO,
        seeds=2,
        eval_seeds=3,
        days=14,
        warmup_days=3,
        policies=BASELINES,
        out=OUT / "tuning",
    )
    # the tuning summary as one JSON line (what scripts/tune_baselines.py prints), in a file
    tune_log = OUT / "tuning.jsonl"
    tune_log.parent.mkdir(parents=True, exist_ok=True)
    tune_log.write_text(json.dumps(tuned, default=float) + "\n")

    console.print("2/3 training PPO on the SKU-agent vector env ...")
    train_cfg = compose_cfg(
        "train",
        [
            "experiment=city_fresh_ppo",
            "run_name=demo_city_fresh_ppo",
            f"output_dir={OUT / 'ppo'}",
            "progress_bar=true",
        ],
    )
    trained = train(train_cfg)
    model = trained["model_path"]
    stats = str(Path(model).with_name("latest_vecnormalize.pkl"))
    policy_dir = export_trained(trained, OUT / "ppo", OUT / "policy")

    console.print("2/3 CMA-ES: a linear residual on the tuned perishable base stock ...")
    search = optimise(
        compose_cfg(
            "cmaes",
            [
                "run_name=demo_city_fresh_cmaes",
                f"output_dir={OUT / 'cmaes'}",
                "generations=8",
                "popsize=8",
                "train_seeds=[1000,1001]",
                "env.warmup_days=3",
                f"+env.base_rule.tuned_dir={OUT / 'tuning'}",
            ],
        )
    )

    console.print("3/3 comparing every policy on the same demand ...")
    eval_cfg = compose_cfg(
        "evaluate",
        [
            f"scenario={SCENARIO}",
            f"policies=[{','.join(BASELINES)}]",
            "reference=base_stock",
            "replications=5",
            "days=14",
            "warmup_days=3",
            "n_jobs=2",
            f"tuned_dir={OUT / 'tuning'}",
            "study=demo_city_fresh",
            f"+rl_models.ppo.model_path={model}",
            f"+rl_models.ppo.stats_path={stats}",
            "+rl_models.ppo.algo_class_path=stable_baselines3.PPO",
            "+rl_models.ppo.env_kwargs.max_order_packs=8",
            f"+learning_curves.ppo={OUT / 'ppo'}",
        ],
    )
    with open_dict(eval_cfg):
        eval_cfg.rl_models[LEARNED] = linear_residual_model(
            search["policy_path"],
            base_rule="perishable_base_stock",
            scenario=SCENARIO,
            tuned_dir=OUT / "tuning",
        )
    outcome = evaluate(eval_cfg)

    table = Table(title=f"{SCENARIO}: 5 evaluation seeds × 14 days (mean [95 % interval])")
    for col in ("policy", "profit/day", "fill rate", "waste rate", "win share"):
        table.add_column(col, justify="right")
    for name, k in sorted(
        outcome["policies"].items(), key=lambda kv: -kv[1]["profit_per_day"]["mean"]
    ):
        p, f, w = k["profit_per_day"], k["fill_rate"], k["waste_rate"]
        table.add_row(
            name,
            f"{p['mean']:,.0f} [{p['ci_low']:,.0f}, {p['ci_high']:,.0f}]",
            f"{f['mean']:.3f}",
            f"{w['mean']:.3f}",
            f"{outcome['win_share'][name]:.0%}",
        )
    console.print(table)
    best = max(outcome["policies"], key=lambda n: outcome["policies"][n]["profit_per_day"]["mean"])
    rules = [n for n in BASELINES if n in outcome["policies"]]
    best_rule = max(rules, key=lambda n: outcome["policies"][n]["profit_per_day"]["mean"])
    lead = (
        outcome["policies"][best]["profit_per_day"]["mean"]
        - outcome["policies"][best_rule]["profit_per_day"]["mean"]
    )
    console.print(
        f"best:          {best}, {lead:+,.0f} profit/day against the best tuned rule ({best_rule})"
        " on these 5 seeds (the full study: experiment=city_fresh_chain, 100 seeds)"
        if best != best_rule
        else f"best:          the tuned rule {best_rule}: no learned policy beat it on these seeds"
    )
    winner, winner_dir = export_winner(outcome, policy_dir, OUT / "winner")
    console.print(f"report:        {outcome['report']} (and report.html beside it)")
    console.print(f"trained model: {model} (+ {Path(stats).name})")
    console.print(f"exported:      {policy_dir} (ONNX + manifest with SHA-256 of every file)")
    console.print(
        f"served winner: {winner} (best mean profit/day of the exportable policies) -> {winner_dir}"
    )
    console.print(f"serve it:      .venv/bin/python scripts/serve.py --policy {winner_dir}")
    console.print(f"tuned params:  {OUT / 'tuning' / SCENARIO}")
    console.print(
        "MLflow UI:     .venv/bin/mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db  -> http://127.0.0.1:5000"
    )
    console.print(f"TensorBoard:   .venv/bin/tensorboard --logdir {OUT / 'ppo' / 'tb'}")
    console.print(f"done in {time.perf_counter() - t0:.0f} s")
    summary = {
        "scenario": SCENARIO,
        "policies": outcome["policies"],
        "win_share": outcome["win_share"],
        "report": outcome["report"],
        "model": model,
        "exported_policy": str(policy_dir),
        "best": best,
        "best_rule": best_rule,
        "best_minus_best_rule_profit_per_day": lead,
        "learned_residual_train_profit_per_day": search["best_profit_per_day_train"],
        "winner": winner,
        "exported_winner": str(winner_dir),
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
    return summary


if __name__ == "__main__":
    main()
