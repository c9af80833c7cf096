"""Checkpoints that survive kill -9, rotation with the best kept, refused budgets, and MLflow
runs that a killed process left RUNNING."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecNormalize

import envs  # noqa: F401 - registers the ShelfLife ids
from experiments.checkpoints import (
    best_checkpoint,
    mark_best,
    newest_readable,
    readable,
    save_checkpoint,
)
from experiments.train import train
from policies.rl.vec_env import VectorEnvAsVecEnv
from sim.errors import ConfigError
from tests.experiments.test_train import TINY, cfg_with

REPO = Path(__file__).resolve().parents[2]


def tiny_model() -> PPO:
    raw = VectorEnvAsVecEnv(
        gym.make_vec(
            "ShelfLife/PerishableInventory-v0", num_envs=2, vectorization_mode="vector_entry_point"
        )
    )
    return PPO("MlpPolicy", VecNormalize(raw), n_steps=32, batch_size=32, seed=0, device="cpu")


def test_rotation_keeps_the_newest_and_the_best_and_publishes_latest(tmp_path):
    model = tiny_model()
    ckpt = tmp_path / "checkpoints"
    saved = []
    for step in (100, 200, 300, 400, 500):
        model.num_timesteps = step
        saved.append(save_checkpoint(model, ckpt, keep=2))
        if step == 200:
            mark_best(ckpt, saved[-1], "score", 1.5)
    names = sorted(p.name for p in ckpt.iterdir() if p.is_dir())
    assert names == ["step_000000000200", "step_000000000400", "step_000000000500"]
    assert best_checkpoint(ckpt)["folder"] == "step_000000000200"
    assert (ckpt / "latest.zip").read_bytes() == (saved[-1].folder / "model.zip").read_bytes()
    latest_stats = (ckpt / "latest_vecnormalize.pkl").read_bytes()
    assert latest_stats == (saved[-1].folder / "vecnormalize.pkl").read_bytes()
    assert not list(ckpt.glob(".tmp_*"))
    with pytest.raises(ConfigError, match="checkpoint_keep"):
        save_checkpoint(model, ckpt, keep=0)


def test_a_damaged_newest_checkpoint_is_skipped_with_the_reason(tmp_path, capsys):
    model = tiny_model()
    ckpt = tmp_path / "checkpoints"
    for step in (10, 20):
        model.num_timesteps = step
        save_checkpoint(model, ckpt, keep=3)
    newest = ckpt / "step_000000000020" / "model.zip"
    newest.write_bytes(newest.read_bytes()[:100])  # a disk that lost the tail
    found = newest_readable(ckpt)
    assert found is not None and found.timesteps == 10
    assert "step_000000000020 is unreadable" in capsys.readouterr().err
    assert readable(found) is None


def _write_forever(ckpt: Path) -> None:
    model = tiny_model()
    found = newest_readable(ckpt)
    step = found.timesteps if found else 0  # go on from where the killed writer got to
    while True:
        step += 1
        model.num_timesteps = step
        save_checkpoint(model, ckpt, keep=2)


def test_kill_9_at_twenty_random_moments_always_leaves_a_resumable_run(tmp_path):
    """A process writes checkpoints back to back; it is killed with SIGKILL at a random
    moment (mostly mid-write), 20 times, each time restarted on the same folder. After every
    kill the newest readable checkpoint loads (model and normalisation) and no step_ folder
    is incomplete."""
    ckpt = tmp_path / "checkpoints"
    rng = np.random.default_rng(0)
    # the child inherits torch and SB3 loaded; torch runs one thread in the tests (conftest),
    # so no thread pool is forked in a locked state
    context = multiprocessing.get_context("fork")
    steps_seen = []
    for _ in range(20):
        child = context.Process(target=_write_forever, args=(ckpt,))
        child.start()
        # let at least one checkpoint land before the first kill, then any moment
        deadline = time.monotonic() + 30
        while newest_readable(ckpt) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(float(rng.uniform(0.0, 0.15)))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL
        found = newest_readable(ckpt)
        assert found is not None
        for folder in ckpt.glob("step_*"):
            assert {p.name for p in folder.iterdir()} == {
                "model.zip",
                "vecnormalize.pkl",
                "meta.json",
            }
        model = PPO.load(found.model_path, device="cpu")
        VecNormalize.load(str(found.stats_path), model.get_env() or tiny_model().get_env())
        steps_seen.append(found.timesteps)
    assert len(set(steps_seen)) > 1  # the kills did land at different moments


def test_bad_budgets_are_refused_by_name_before_training(tmp_path):
    for override, name in (
        ("total_timesteps=-5", "total_timesteps"),
        ("checkpoint_every_steps=0", "checkpoint_every_steps"),
        ("checkpoint_keep=0", "checkpoint_keep"),
        ("eval.every_steps=0", "eval.every_steps"),
    ):
        with pytest.raises(ConfigError, match=name):
            train(cfg_with(*TINY, "logger=none", override, f"output_dir={tmp_path}/x"))
        assert not (tmp_path / "x" / "checkpoints").exists()


def test_resume_takes_the_newest_readable_checkpoint_and_says_which(tmp_path, capsys):
    out = f"output_dir={tmp_path}/run"
    train(cfg_with(*TINY, "logger=none", "total_timesteps=512", out))
    ckpt = tmp_path / "run" / "checkpoints"
    assert newest_readable(ckpt).timesteps == 512
    resumed = train(cfg_with(*TINY, "logger=none", "resume=true", out))
    assert resumed["resumed_from"].endswith("step_000000000512")
    assert "resuming from" in capsys.readouterr().err
    assert resumed["timesteps"] == 1024 and newest_readable(ckpt).timesteps == 1024
    best = best_checkpoint(ckpt)  # the held-out evaluations every 512 steps keep the best
    assert best["metric"] == "eval/avg_cost_per_period" and (ckpt / best["folder"]).is_dir()


def test_a_run_left_running_by_a_killed_process_is_closed_and_sigterm_ends_as_killed(tmp_path):
    import mlflow

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    logger = [f"logger.tracking_uri={uri}", f"logger.artifact_location={tmp_path}/artifacts"]
    out_dir = tmp_path / "run"
    # a training process killed with SIGTERM mid-run ends its MLflow run as KILLED
    cmd = [
        sys.executable, "-m", "experiments.train", *TINY, *logger, f"output_dir={out_dir}",
        "total_timesteps=10000000", "checkpoint_every_steps=256",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while newest_readable(out_dir / "checkpoints") is None and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    mlflow.set_tracking_uri(uri)
    (run,) = mlflow.search_runs(search_all_experiments=True, output_format="list")
    assert run.info.status == "KILLED"
    # a run SIGKILL left RUNNING is closed by the next run on the same folder
    client = mlflow.MlflowClient()
    stale = client.create_run(run.info.experiment_id, tags={"output_dir": str(out_dir)})
    assert client.get_run(stale.info.run_id).info.status == "RUNNING"
    result = train(
        cfg_with(*TINY, *logger, "resume=true", f"output_dir={out_dir}", "total_timesteps=512")
    )
    assert client.get_run(stale.info.run_id).info.status == "KILLED"
    assert client.get_run(result["mlflow_run_id"]).info.status == "FINISHED"
