"""Grid tuning on training seeds, never on evaluation seeds."""

import json

import pytest

from policies.heuristics import BaseStock
from policies.tuning import EVAL_SEEDS, TRAIN_SEEDS, evaluate_rule, tune_grid
from sim.scenario import load_scenario


def test_seed_sets_are_disjoint_and_tuning_refuses_evaluation_seeds():
    assert not set(TRAIN_SEEDS) & set(EVAL_SEEDS)
    with pytest.raises(ValueError, match="EVAL_SEEDS"):
        tune_grid(
            "base_stock", BaseStock, {"z": [0.0]}, scenario="yogurt_trio", seeds=(EVAL_SEEDS[0],)
        )


def test_grid_picks_the_best_point_and_saves_it(tmp_path):
    result = tune_grid(
        "base_stock",
        BaseStock,
        {"z": [0.0, 2.0], "cover_factor": [0.5, 1.5]},
        scenario="yogurt_trio",
        seeds=TRAIN_SEEDS[:2],
        days=5,
        warmup_days=2,
    )
    assert len(result.table) == 4
    assert result.best_profit_per_day == max(row["profit_per_day"] for row in result.table)
    saved = json.loads(result.save(tmp_path / "tuned.json").read_text())
    assert saved["best_params"] == result.best_params and saved["train_seeds"] == list(
        TRAIN_SEEDS[:2]
    )


def test_evaluation_uses_common_random_numbers():
    sc = load_scenario("yogurt_trio")
    a = evaluate_rule(sc, BaseStock(z=0.0), EVAL_SEEDS[:2], days=4, warmup_days=1)
    b = evaluate_rule(sc, BaseStock(z=2.0), EVAL_SEEDS[:2], days=4, warmup_days=1)
    assert [k["demand_units"] for k in a.per_seed] == [k["demand_units"] for k in b.per_seed]
