"""The tuning script runs end to end with a tiny budget and reports what it tuned."""

import json
import subprocess
import sys
from pathlib import Path

from scripts.tune_baselines import COMPOSITES, main

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


def test_transfer_rules_sit_on_the_best_tuned_replenishment_rule(tmp_path):
    common = ["--scenario", "yogurt_trio", "--seeds", "1", "--eval-seeds", "2", "--days", "3"]
    common += ["--warmup-days", "1", "--out", str(tmp_path)]
    first = main([*common, "--policies", "base_stock", "perishable_base_stock"])
    # a later run tuning only the composite reuses the rules saved with the same seeds and days
    second = main([*common, "--policies", "transfer_rules"])
    best = max(first["policies"], key=lambda n: first["policies"][n]["train_profit_per_day"])
    assert second["policies"]["transfer_rules"]["baseline"]["policy"] == best
    saved = json.loads((tmp_path / "yogurt_trio" / "transfer_rules.json").read_text())
    assert saved["baseline"]["policy"] == best
    assert saved["baseline"]["params"] == first["policies"][best]["params"]
    # the tuned configuration has the shape of configs/policy/transfer_rules.yaml
    replenishment = saved["best_params"]["replenishment"]
    assert replenishment["_target_"].startswith("policies.heuristics.")
    assert set(saved["best_params"]["transfers"]) == {"need_horizon_days", "radius_km"}
    summary = (tmp_path / "yogurt_trio" / "summary.md").read_text()
    assert f"`transfer_rules` orders with `{best}`" in summary


def test_the_published_baselines_are_inside_their_grids():
    """Fails when a published tuned value sits on a grid edge the rule would let us pass."""
    published = sorted((REPO / "reports" / "baseline").glob("*/*.json"))
    assert published
    for path in published:
        saved = json.loads(path.read_text())
        grid_edges = [e for e in saved["edges"] if e["kind"] == "grid_edge"]
        assert not grid_edges, (path.name, grid_edges)
        if saved["policy"] in COMPOSITES:
            candidates = saved["baseline"]["candidates"]
            assert saved["baseline"]["policy"] == max(candidates, key=candidates.get)
