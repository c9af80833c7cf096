"""Grid tuning on training seeds, never on evaluation seeds."""

import json

import pytest

from policies.heuristics import BaseStock
from policies.tuning import (
    EVAL_SEEDS,
    TRAIN_SEEDS,
    EdgeKind,
    edge_flags,
    evaluate_rule,
    grid_search,
    tune_grid,
)
from sim.errors import ConfigError
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


def _bowl(point):
    """A hand-checkable objective: maximum 0 at x = 0.3, y = 1.7."""
    return {"profit_per_day": -((point["x"] - 0.3) ** 2) - (point["y"] - 1.7) ** 2}


def test_coarse_then_fine_lands_inside_the_grid_next_to_the_true_optimum():
    grid = {"x": [0.0, 0.25, 0.5, 0.75, 1.0], "y": [1.0, 1.5, 2.0, 2.5]}
    out = grid_search(_bowl, grid, refine_rounds=2)
    # coarse best (0.25, 1.5); round 1 adds x ± 0.125, y ± 0.25 -> (0.25, 1.75);
    # round 2 adds x ± 0.0625, y ± 0.125 -> (0.3125, 1.75)
    assert out.best == {"x": 0.3125, "y": 1.75}
    assert {row["stage"] for row in out.table} == {0, 1, 2}
    assert len({(row["x"], row["y"]) for row in out.table}) == len(out.table)  # no re-runs
    # the optimum is interior: no flag at all (this fails if a grid is too narrow)
    assert edge_flags(out.best, out.tried, lambda p: None) == []


def test_an_optimum_beyond_the_grid_is_flagged_as_a_grid_edge():
    out = grid_search(_bowl, {"x": [0.5, 1.0, 1.5], "y": [1.5, 2.0]}, refine_rounds=1)
    assert out.best == {"x": 0.5, "y": 1.75}  # refinement never leaves the coarse range
    (flag,) = edge_flags(out.best, out.tried, lambda p: None)
    assert (flag.param, flag.side, flag.kind, flag.probe) == ("x", "low", EdgeKind.GRID_EDGE, 0.25)


def test_an_edge_the_rule_refuses_to_pass_is_a_rule_limit_not_a_grid_edge():
    def refuses(point):
        try:
            BaseStock(**point)
        except ConfigError as err:
            return str(err)
        return None

    flags = edge_flags(
        {"z": 0.0, "cover_factor": 1.2},
        {"z": [0.0, 0.5, 1.0], "cover_factor": [0.8, 1.0, 1.2]},
        refuses,
    )
    kinds = {f.param: (f.kind, f.probe) for f in flags}
    assert kinds == {"z": (EdgeKind.RULE_LIMIT, -0.5), "cover_factor": (EdgeKind.GRID_EDGE, 1.4)}


def test_points_the_rule_refuses_are_skipped_and_listed():
    def objective(point):
        return None if point["s"] > point["S"] else {"profit_per_day": -abs(point["s"] - 2)}

    out = grid_search(objective, {"s": [1, 2, 3], "S": [2, 3]})
    assert {(r["s"], r["S"]) for r in out.invalid} == {(3, 2)}
    assert out.best["s"] == 2


def test_tuning_records_edges_grid_and_budget(tmp_path):
    result = tune_grid(
        "base_stock",
        BaseStock,
        {"z": [0.0, 1.0], "cover_factor": [0.8, 1.2]},
        scenario="yogurt_trio",
        seeds=TRAIN_SEEDS[:1],
        days=3,
        warmup_days=1,
        refine_rounds=1,
    )
    saved = json.loads(result.save(tmp_path / "tuned.json").read_text())
    assert saved["grid"] == {"z": [0.0, 1.0], "cover_factor": [0.8, 1.2]}
    assert saved["days"] == 3 and saved["warmup_days"] == 1
    assert len(saved["table"]) > 4  # the fine stage ran
    on_edge = {e["param"] for e in saved["edges"]}
    for param, values in saved["tried"].items():
        at_end = saved["best_params"][param] in (min(values), max(values))
        assert at_end == (param in on_edge)
