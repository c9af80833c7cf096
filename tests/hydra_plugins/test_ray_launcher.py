"""The in-repo Ray launcher (hydra/launcher=ray): a sweep's jobs as Ray tasks on a local
cluster on 127.0.0.1, the same results as in this process."""

import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hydra_plugins.shelflife_ray_launcher.ray_launcher import RayLauncher

REPO = Path(__file__).resolve().parents[2]
FAST = ["n_seeds=1", "days=7", "warmup_days=3", "logger=none"]


def test_the_launcher_starts_a_loopback_cluster_or_joins_the_one_named():
    assert RayLauncher().options()["address"] == "local"
    assert RayLauncher(num_cpus=2).options()["num_cpus"] == 2
    joined = RayLauncher(address="auto").options()
    assert joined["address"] == "auto" and "num_cpus" not in joined


def test_hydra_finds_it_as_hydra_launcher_ray():
    out = subprocess.run(
        [sys.executable, "-m", "experiments.tune_policy", "--hydra-help"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "hydra/launcher: basic, joblib, ray" in out.stdout


def sweep(tmp_path: Path, launcher: str) -> dict:
    subprocess.run(
        [sys.executable, "-m", "experiments.tune_policy", "--multirun",
         "hparams_search=R_s_S_city_fresh", f"hydra/launcher={launcher}",
         "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2", *FAST,
         f"hydra.sweep.dir={tmp_path / launcher}"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    results = OmegaConf.to_container(
        OmegaConf.load(tmp_path / launcher / "optimization_results.yaml")
    )
    results.pop("study_name")  # a random name per study
    return results


@pytest.mark.slow  # Ray's workers import the lab first
def test_an_optuna_sweep_on_ray_finds_what_it_finds_here(tmp_path):
    """Optuna asks a batch of two trials, Ray runs them as tasks, Optuna is told their
    values: with the sampler's seed the sweep is the one of the basic launcher."""
    on_ray = sweep(tmp_path, "ray")
    assert on_ray == sweep(tmp_path, "basic")
    assert on_ray["n_complete"] == 4
