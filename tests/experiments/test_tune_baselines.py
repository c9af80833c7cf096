"""The tuning pipeline: composites sit on the best tuned rule; published values fit their grids."""

import json
from pathlib import Path

import pytest

from experiments.tune_baselines import COMPOSITES, TuningError, tune_baselines

REPO = Path(__file__).resolve().parents[2]


def test_transfer_rules_sit_on_the_best_tuned_replenishment_rule(tmp_path):
    common = {"seeds": 1, "eval_seeds": 2, "days": 3, "warmup_days": 1, "out": tmp_path}
    rules = ["base_stock", "perishable_base_stock"]
    first = tune_baselines("yogurt_trio", policies=rules, **common)
    # a later run tuning only the composite reuses the rules saved with the same seeds and days
    second = tune_baselines("yogurt_trio", policies=["transfer_rules"], **common)
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


def test_composites_without_a_tuned_rule_are_refused(tmp_path):
    with pytest.raises(TuningError, match="composite policies sit on the best tuned"):
        tune_baselines("yogurt_trio", policies=["transfer_rules"], days=3, out=tmp_path)


def test_unknown_policies_are_refused_before_any_work(tmp_path):
    with pytest.raises(TuningError, match="unknown policies"):
        tune_baselines("yogurt_trio", policies=["base_stok"], out=tmp_path)
    assert not any(tmp_path.iterdir())
