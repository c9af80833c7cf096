"""``scripts/tune_baselines.py`` runs end to end with a tiny budget and prints what it tuned."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.tune_baselines import main

REPO = Path(__file__).resolve().parents[2]


def test_tune_baselines_writes_tuned_parameters_and_a_summary(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "scripts/tune_baselines.py",
            "--scenario",
            "yogurt_trio",
            "--seeds",
            "1",
            "--eval-seeds",
            "2",
            "--days",
            "3",
            "--warmup-days",
            "1",
            "--policies",
            "base_stock",
            "transfer_rules",
            "--out",
            str(tmp_path),
            "--tracking-uri",
            f"sqlite:///{tmp_path}/mlflow.db",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(line["policies"]) == {"base_stock", "transfer_rules"}
    for result in line["policies"].values():
        assert {"mean", "ci_low", "ci_high"} <= set(result["eval"]["profit"])
    assert (tmp_path / "yogurt_trio" / "base_stock.json").exists()
    summary = (tmp_path / "yogurt_trio" / "summary.md").read_text()
    assert "Forecast accuracy" in summary and "base_stock" in summary
    assert "Tuned values at the end of their grid" in summary
    for result in line["policies"].values():
        assert isinstance(result["edges"], list)
    _check_the_runs(tmp_path, line)


def _check_the_runs(tmp_path, line):
    """One run for the tuning, a child per rule, a grandchild per trial of its grid."""
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name("shelflife").experiment_id])
    (top,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert top.info.run_id == line["mlflow_run_id"] and top.data.tags["kind"] == "tuning"
    rules = {
        r.info.run_name: r for r in runs if r.data.tags.get("mlflow.parentRunId") == top.info.run_id
    }
    assert set(rules) == {"base_stock", "transfer_rules"}
    saved = json.loads((tmp_path / "yogurt_trio" / "base_stock.json").read_text())
    trials = [
        r for r in runs if r.data.tags.get("mlflow.parentRunId") == rules["base_stock"].info.run_id
    ]
    assert len(trials) == len(saved["table"])
    assert rules["base_stock"].data.metrics["train/profit_per_day"] == saved["best_profit_per_day"]
    assert (tmp_path / "artifacts").is_dir()  # beside its database, not in the repository


def test_unknown_policies_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--scenario", "yogurt_trio", "--policies", "base_stok"])
    assert exc.value.code == 2
    assert "unknown policies ['base_stok']" in capsys.readouterr().err
