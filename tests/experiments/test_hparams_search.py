"""Tuning entry points: the heuristic objective, hparams_search configs, joblib, Optuna sweeps."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf
from optuna.distributions import CategoricalDistribution

from experiments.tune_policy import training_seeds, tune_objective
from hydra_plugins.shelflife_optuna_sweeper._search_space import format_value, parse_search_space
from policies.tuning import EVAL_SEEDS, TRAIN_SEEDS
from sim.errors import ConfigError
from tests.experiments.mlflow_store import mlflow_logger

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
FAST = ["n_seeds=1", "days=7", "warmup_days=3"]
# every configs/hparams_search file: (primary config, overrides it is meant to be used with)
SEARCHES = {
    "ppo_perishable": ("train", ["experiment=perishable_ppo"]),
    "R_s_S_city_fresh": ("tune_policy", []),
    "capped_base_stock_city_fresh": ("tune_policy", []),
}


def compose_cfg(name, overrides, hydra=False):
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name=name, overrides=list(overrides), return_hydra_config=hydra)


def test_the_objective_scores_training_seeds_only():
    for n in range(1, len(TRAIN_SEEDS) + 1):
        seeds = training_seeds(n)
        assert set(seeds) <= set(TRAIN_SEEDS) and not set(seeds) & set(EVAL_SEEDS)
    for bad in (0, len(TRAIN_SEEDS) + 1):
        with pytest.raises(ConfigError, match="n_seeds"):
            training_seeds(bad)


def test_the_objective_is_a_pure_function_of_the_config():
    cfg = compose_cfg("tune_policy", ["policy=R_s_S", *FAST])
    a, b = tune_objective(cfg), tune_objective(cfg)
    assert math.isfinite(a) and a == b
    other = tune_objective(compose_cfg("tune_policy", ["policy=R_s_S", *FAST, "policy.S_days=2.0"]))
    assert other != a


def test_the_objective_on_the_perishable_env_is_its_cost_per_period():
    cfg = compose_cfg(
        "tune_policy",
        [
            "policy=base_stock",
            "policy.level_units=7",
            "scenario=perishable",
            "perishable.periods=200",
            "n_seeds=1",
        ],
    )
    assert 0.0 < tune_objective(cfg) < 100.0


@pytest.mark.parametrize("search", sorted(SEARCHES))
def test_every_search_space_composes_and_names_real_config_keys(search):
    assert sorted(SEARCHES) == sorted(p.stem for p in (CONFIGS / "hparams_search").glob("*.yaml"))
    primary, base = SEARCHES[search]
    overrides = [*base, f"hparams_search={search}"]
    cfg = compose_cfg(primary, overrides, hydra=True)
    sweeper = cfg.hydra.sweeper
    assert sweeper._target_.endswith("ShelfLifeOptunaSweeper") and sweeper.sampler.seed is not None
    space = parse_search_space(OmegaConf.to_container(sweeper.params), [])
    assert len(space.distributions) >= 3
    # one corner of the space composes (the keys exist) and, for heuristics, builds the policy
    corner = {
        k: d.choices[0] if isinstance(d, CategoricalDistribution) else d.low
        for k, d in space.distributions.items()
    }
    trial = compose_cfg(
        primary, [*overrides, *(f"{k}={format_value(v)}" for k, v in corner.items())]
    )
    for key, value in corner.items():
        assert OmegaConf.select(trial, key) == value
    if primary == "tune_policy":
        instantiate(trial.policy)
    else:  # tuning seeds, never the evaluation seeds the final comparison uses
        assert not set(trial.eval.seeds) & set(EVAL_SEEDS)


def mlflow_runs(tmp_path):
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    return client.search_runs([client.get_experiment_by_name("sweep_test").experiment_id])


def test_a_sweep_in_one_process_is_one_mlflow_run_with_a_child_per_trial(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "experiments.tune_policy", "--multirun", "policy=s_S,R_s_S",
         *FAST, f"hydra.sweep.dir={tmp_path}", *mlflow_logger(tmp_path, "sweep_test")],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    runs = mlflow_runs(tmp_path)
    (parent,) = [r for r in runs if r.data.tags.get("kind") == "sweep"]
    assert parent.info.run_name == f"sweep {tmp_path.name}" and parent.info.status == "FINISHED"
    trials = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(t.info.run_name for t in trials) == ["RSS trial", "SS trial"]
    for trial in trials:
        result = json.loads((tmp_path / trial.data.tags["sweep_job"] / "result.json").read_text())
        assert trial.data.metrics["train/profit_per_day"] == -result["objective"]


def test_a_two_job_joblib_multirun_over_policies(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.tune_policy",
            "--multirun",
            "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2",
            "policy=s_S,R_s_S",
            *FAST,
            f"hydra.sweep.dir={tmp_path}",
            *mlflow_logger(tmp_path, "sweep_test"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Joblib.Parallel(n_jobs=2" in out.stdout + out.stderr
    runs = mlflow_runs(tmp_path)  # worker processes: not nested, grouped by their sweep_dir
    assert len(runs) == 2 and all("mlflow.parentRunId" not in r.data.tags for r in runs)
    assert {r.data.tags["sweep_dir"] for r in runs} == {str(tmp_path.resolve())}
    assert "Warning" not in out.stderr
    results = [json.loads((tmp_path / j / "result.json").read_text()) for j in ("0", "1")]
    assert [r["policy"] for r in results] == ["policies.heuristics.SS", "policies.heuristics.RSS"]
    assert all(math.isfinite(r["objective"]) and r["train_seeds"] == [1000] for r in results)


@pytest.mark.slow
def test_a_real_optuna_sweep_of_ppo_through_the_training_entry_point(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.train",
            "--multirun",
            "experiment=perishable_ppo",
            "hparams_search=ppo_perishable",
            "hydra.sweeper.n_trials=2",
            "total_timesteps=512",
            "checkpoint_every_steps=512",
            "eval.every_steps=512",
            "eval.periods=50",
            "eval.final_periods=200",
            "algo.kwargs.n_steps=64",
            "algo.kwargs.batch_size=64",
            "logger=none",
            f"hydra.sweep.dir={tmp_path}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    results = OmegaConf.load(tmp_path / "optimization_results.yaml")
    assert results.n_complete == 2 and math.isfinite(results.best_value)
    assert 1e-5 <= results.best_params["algo.kwargs.learning_rate"] <= 3e-3
    trial = json.loads((tmp_path / str(results.best_trial) / "result.json").read_text())
    assert trial["eval/avg_cost_per_period"] == results.best_value
