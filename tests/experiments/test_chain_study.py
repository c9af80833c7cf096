"""The chain study through its real command, on a tiny budget: one JSON line in evaluate's
shape, the best tuned rule as reference (chosen on training profit), the learned policy."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.exported_policies import REPO


def test_the_chain_study_prints_the_what_if_with_the_learned_policy(tmp_path):
    argv = [
        sys.executable, "-m", "experiments.train", "experiment=city_fresh_chain", "logger=none",
        f"output_dir={tmp_path}", "chain.tune_seeds=1", "chain.tune_eval_seeds=1",
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
