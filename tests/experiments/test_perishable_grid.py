"""The exact-optimum grid entry with a tiny budget: shapes, gaps against the solver, refusals."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from experiments.perishable_grid import (
    cell_name,
    grid_cells,
    main,
    policy_table,
    run_grid,
    same_order_share,
)
from experiments.perishable_grid_decoding import decoding_report
from policies.optimal import evaluate_policy, solve_average_cost
from policies.optimal.config import problem_from_env_kwargs
from sim.errors import ConfigError
from tests.exported_policies import REPO

ONE_CELL = ["grid.life_days=[2]", "grid.lead_time=[1]", "grid.issuing=[lifo]"]


def grid_cfg(tmp_path, *overrides: str):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(
            config_name="perishable_grid",
            overrides=[
                "logger=none",
                "total_timesteps=2048",
                "env.n_envs=2",
                "algo.kwargs.n_steps=256",
                "algo.kwargs.batch_size=128",
                "algo.kwargs.n_epochs=2",
                "eval.seeds=[9000,9001]",
                "eval.periods=300",
                "eval.burn_in=20",
                f"output_dir={tmp_path}/out",
                f"report_dir={tmp_path}/report",
                *ONE_CELL,
                *overrides,
            ],
        )


def test_the_default_grid_is_the_twelve_cells_with_one_ppo_configuration(tmp_path):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="perishable_grid")
    names = [cell_name(c) for c in grid_cells(cfg)]
    assert len(names) == len(set(names)) == 12
    assert {"m2_L1_fifo", "m4_L2_lifo", "m3_L2_fifo"} <= set(names)
    assert cfg.algo.name == "ppo_perishable" and cfg.algo.learning_rate_schedule == "linear"
    kw = cfg.env.kwargs
    assert (kw.order_cost, kw.lost_sales_cost, kw.waste_cost, kw.holding_cost) == (3, 5, 7, 1)
    assert kw.max_order == 10 and kw.demand.mean == 4.0 and kw.demand.max_demand == 16


def test_one_tiny_cell_end_to_end_against_the_solver(tmp_path):
    result = run_grid(grid_cfg(tmp_path))
    (cell,) = result["cells"]
    assert cell["cell"] == "m2_L1_lifo" and cell["timesteps"] == 2048
    problem = problem_from_env_kwargs(
        life_days=2,
        lead_time=1,
        issuing="lifo",
        demand=dict(distribution="gamma", mean=4.0, cv=0.5, max_demand=16),
    )
    optimum = solve_average_cost(problem).avg_cost
    assert cell["optimal_avg_cost"] == pytest.approx(optimum, rel=1e-12)
    # the gap is the paired per-seed difference in % of the optimum, and its interval holds it
    gaps = (
        100
        * (np.asarray(cell["ppo_costs_by_seed"]) - np.asarray(cell["optimal_costs_by_seed"]))
        / optimum
    )
    assert np.allclose(gaps, cell["gap_pct_by_seed"]) and len(gaps) == 2
    assert cell["gap_pct"] == pytest.approx(gaps.mean())
    assert cell["gap_ci_low"] <= cell["gap_pct"] <= cell["gap_ci_high"]
    # the exact gap is the saved policy's table evaluated by the solver's chain
    assert cell["exact_gap_pct"] == pytest.approx(
        100 * (cell["ppo_avg_cost_exact"] - optimum) / optimum
    )
    assert cell["ppo_avg_cost_exact"] >= optimum - 1e-9  # nothing beats the optimum
    # the optimal table simulated on the evaluation seeds lands near its exact cost
    assert cell["optimal_avg_cost_sim"] == pytest.approx(optimum, rel=0.05)
    saved = json.loads((tmp_path / "report" / "grid.json").read_text())
    assert saved["cells"][0]["gap_pct"] == cell["gap_pct"]
    assert saved["max_gap_pct"] == cell["gap_pct"] and saved["cells_within_target"] in (0, 1)
    md = (tmp_path / "report" / "grid.md").read_text()
    assert "| m2_L1_lifo |" in md and "exact gap" in md
    assert 0.0 <= cell["same_order_share"] <= 1.0
    assert (tmp_path / "out" / "m2_L1_lifo" / "model.zip").exists()
    assert (tmp_path / "out" / "m2_L1_lifo" / "vecnormalize.pkl").exists()
    # the post-hoc reading reloads the saved model: its argmax reproduces the grid's exact gap
    (decoded,) = decoding_report(tmp_path / "report", 0.5)["cells"]
    assert decoded["argmax_exact_gap_pct"] == pytest.approx(cell["exact_gap_pct"], abs=1e-9)
    assert decoded["mean_avg_cost_exact"] >= optimum - 1e-9
    assert (tmp_path / "report" / "decoding.md").exists()


def test_the_policy_table_is_read_in_the_solvers_state_order():
    problem = problem_from_env_kwargs(life_days=3, lead_time=1, issuing="fifo")

    class PositionRule:  # order up to 9 on the position: a policy we can write down
        def predict(self, obs, deterministic=True):
            return np.clip(9 - np.asarray(obs).sum(axis=1), 0, 10).astype(np.int64), None

    table = policy_table(problem, PositionRule())
    expected = np.clip(9 - problem.inventory_positions(), 0, 10)
    assert np.array_equal(table, expected)
    assert math.isfinite(evaluate_policy(problem, table))
    optimal = solve_average_cost(problem).table
    assert same_order_share(problem, optimal, optimal) == pytest.approx(1.0)
    assert 0.0 <= same_order_share(problem, optimal, table) < 1.0


def test_evaluation_seeds_that_training_uses_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"eval\.seeds"):
        run_grid(grid_cfg(tmp_path, "seed=9000"))
    with pytest.raises(ConfigError, match="learning_rate_schedule"):
        run_grid(grid_cfg(tmp_path, "algo.learning_rate_schedule=cosine"))
    with pytest.raises(ConfigError, match="ent_coef_schedule"):
        run_grid(grid_cfg(tmp_path, "algo.ent_coef_schedule=cosine"))


def test_cells_in_worker_processes_give_the_same_rows_as_in_one(tmp_path):
    """``workers=2`` trains the cells in two spawned processes; every figure of every row is
    what one process gives (seeded, one torch thread), in the grid's order."""
    two = ["grid.issuing=[fifo,lifo]"]
    one = run_grid(grid_cfg(tmp_path / "one", *two))
    both = run_grid(grid_cfg(tmp_path / "two", *two, "workers=2"))
    keys = ("cell", "gap_pct_by_seed", "ppo_avg_cost_exact", "timesteps", "same_order_share")
    assert [c["cell"] for c in both["cells"]] == ["m2_L1_fifo", "m2_L1_lifo"]
    assert [{k: c[k] for k in keys} for c in both["cells"]] == [
        {k: c[k] for k in keys} for c in one["cells"]
    ]
    assert both["workers"] == 2
    with pytest.raises(ConfigError, match="workers"):
        run_grid(grid_cfg(tmp_path, "workers=0"))


def test_the_hydra_entry_prints_one_json_line(tmp_path, capsys, monkeypatch):
    cfg = grid_cfg(tmp_path)
    monkeypatch.setattr("sys.argv", ["perishable_grid"])
    main.__wrapped__(cfg)
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(last["cells"]) == {"m2_L1_lifo"} and "max_gap_pct" in last


@pytest.mark.slow
def test_the_shipped_configuration_reaches_half_a_percent_on_one_cell(tmp_path):
    """The grid's acceptance on one cell with the shipped budget (3M steps, about 10 min on
    one core).

    m3_L1_lifo reached 0.03 % (exact) in the committed 3M grid (seed 0); training is seeded, so this
    guards the configuration and the pipeline against regressions, not all 12 cells.
    """
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(
            config_name="perishable_grid",
            overrides=[
                "logger=none",
                f"output_dir={tmp_path}/out",
                f"report_dir={tmp_path}/report",
                "grid.life_days=[3]",
                "grid.lead_time=[1]",
                "grid.issuing=[lifo]",
            ],
        )
    (cell,) = run_grid(cfg)["cells"]
    assert cell["exact_gap_pct"] <= cfg.target_gap_pct
    assert cell["gap_ci_high"] <= cfg.target_gap_pct


def test_the_batched_evaluation_equals_single_env_runs_and_evaluate_only_reproduces_the_grid(
    tmp_path,
):
    """Seeds stepped as one vector-env batch cost what one env per seed costs (the reference
    ``mean_cost_in_env``), to the bit; ``evaluate_only`` re-reads the saved model and gives
    the same row without training."""
    from envs.perishable.env import PerishableInventoryEnv
    from experiments.perishable_grid import mean_costs_batched
    from policies.optimal import OptimalPolicy
    from policies.tuning import mean_cost_in_env

    kwargs = dict(life_days=3, lead_time=1, issuing="fifo")
    problem = problem_from_env_kwargs(**kwargs)
    table = solve_average_cost(problem).table
    seeds = [9000, 9001, 9002]
    single = mean_cost_in_env(
        lambda: PerishableInventoryEnv(**problem.env_kwargs()),
        lambda e: OptimalPolicy(problem, table),
        seeds,
        300,
        burn_in=20,
    )
    batched = mean_costs_batched(
        problem.env_kwargs(),
        lambda obs: table[np.ravel_multi_index(obs.astype(np.int64).T, problem.dims)],
        seeds,
        300,
        20,
    )
    assert batched.tolist() == single.tolist()
    first = run_grid(grid_cfg(tmp_path))["cells"][0]
    again = run_grid(grid_cfg(tmp_path, "evaluate_only=true"))["cells"][0]
    for key in ("gap_pct_by_seed", "ppo_avg_cost_exact", "timesteps", "train_seconds"):
        assert again[key] == first[key], key
    with pytest.raises(ConfigError, match="evaluate_only"):
        run_grid(grid_cfg(tmp_path / "empty", "evaluate_only=true"))
