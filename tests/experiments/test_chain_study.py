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
        "chain.train_seeds=[1000]", "chain.replications=2",
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
    assert result["train_seconds"] >= 0 and result["study_seconds"] >= result["train_seconds"]
