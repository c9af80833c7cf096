"""The chain study through its real command, on a tiny budget: one JSON line in evaluate's
shape, the best tuned rule as reference (chosen on training profit), the learned policy; in
a real embedded MLflow store, one study run with every stage as its child (the tuning with a
child per rule and per trial) and the learned policy registered as an MLflow model."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.experiments.mlflow_store import mlflow_logger
from tests.exported_policies import REPO


def test_the_chain_study_prints_the_what_if_with_the_learned_policy(tmp_path):
    argv = [
        sys.executable, "-m", "experiments.train", "experiment=city_fresh_chain",
        *mlflow_logger(tmp_path, "chain_test"),
        "run_name=chain_test", f"output_dir={tmp_path}",
        "chain.tune_seeds=1", "chain.tune_eval_seeds=1",
        "chain.days=2", "chain.warmup_days=1", "chain.generations=1", "chain.popsize=2",
        "chain.train_seeds=[1000]", "chain.replications=2", "chain.ppo_timesteps=1000",
        "chain.transfer_generations=1", "chain.transfer_popsize=2", "progress_bar=false",
    ]  # fmt: skip
    out = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=True, timeout=600)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"policies", "reference", "paired_differences", "seeds", "learned"} <= set(result)
    assert result["learned"] in result["policies"]
    train = result["rules_train_profit_per_day"]
    assert result["reference"] == max(train, key=train.get)
    assert set(result["paired_differences"]) == set(result["policies"]) - {result["reference"]}
    assert result["seeds"] == [9000, 9001]
    assert (tmp_path / "tuning" / "city_fresh" / "perishable_base_stock.json").exists()
    assert (tmp_path / "cmaes" / "policy.json").exists()
    assert (tmp_path / "ppo" / "checkpoints" / "latest.zip").exists()
    for search in ("transfer_rules", "pair_scorer"):
        assert (tmp_path / search / "transfers.json").exists()
    assert result["learned_transfers"] in ("transfer_rules", "pair_scorer")
    assert {"ppo_orders", "cmaes_orders", "learned"} <= set(result["policies"])
    train = result["learned_train_profit_per_day"]
    assert train[result["learned_transfers"]] == max(train["transfer_rules"], train["pair_scorer"])
    report = open(result["report"]).read()
    assert "## Search curves" in report and "pair_scorer" in report
    assert (tmp_path / "report" / "search_curves.png").exists()
    assert json.loads((tmp_path / "learned.json").read_text())["env_kwargs"]["transfer_policy"]
    assert result["train_seconds"] >= 0 and result["study_seconds"] >= result["train_seconds"]

    _check_the_mlflow_tree(tmp_path, result)


def _check_the_mlflow_tree(tmp_path, result):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.get_experiment_by_name("chain_test")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"  # the ML view
    runs = client.search_runs([experiment.experiment_id], max_results=5000)
    by_id = {r.info.run_id: r for r in runs}
    roots = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert [r.info.run_name for r in roots] == ["chain_test"]
    study = roots[0]
    assert study.info.run_id == result["mlflow_study_run_id"]

    def children(run):
        return [r for r in runs if r.data.tags.get("mlflow.parentRunId") == run.info.run_id]

    stages = {r.info.run_name: r for r in children(study)}
    assert {
        "tune_city_fresh",
        "chain_test_ppo",
        "chain_test_cmaes",
        "chain_test_transfer_rules",
        "chain_test_pair_scorer",
        "chain_test",
    } <= set(stages), sorted(stages)
    rules = {r.info.run_name: r for r in children(stages["tune_city_fresh"])}
    assert {"perishable_base_stock", "transfer_rules"} <= set(rules)
    trials = children(rules["perishable_base_stock"])
    saved = json.loads(
        (tmp_path / "tuning" / "city_fresh" / "perishable_base_stock.json").read_text()
    )
    assert len(trials) == len(saved["table"]) > 1
    best = max(t.data.metrics["profit_per_day"] for t in trials)
    assert best == rules["perishable_base_stock"].data.metrics["train/profit_per_day"]
    whatif = by_id[result["mlflow_run_id"]]
    assert whatif.data.tags["mlflow.parentRunId"] == study.info.run_id
    policies = {r.info.run_name: r for r in children(whatif)}
    assert set(policies) == set(result["policies"])
    ppo_run = stages["chain_test_ppo"].info.run_id  # the comparison links to its training
    assert policies["learned"].data.tags["training_run_id"] == ppo_run
    # the final evaluation is logged at the training step it ran, not at 0
    final = client.get_metric_history(ppo_run, "eval/profit_per_day")
    assert max(m.step for m in final) >= 1000
    registered = result["registered_model"]
    assert (registered["name"], registered["version"]) == ("shelflife-city_fresh", 1)
    version = client.get_model_version("shelflife-city_fresh", "1")
    assert version.status == "READY"
