"""The real training entry point with tiny budgets: configs, smoke, resume, determinism, MLflow."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from experiments.train import build_env, train
from policies.rl.algos import algo_class

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
TINY = [
    "total_timesteps=1024",
    "checkpoint_every_steps=512",
    "eval.every_steps=512",
    "eval.periods=50",
    "eval.final_periods=200",
    "eval.seeds=[9000,9001]",
    "progress_bar=false",
    "algo.kwargs.n_steps=64",
    "algo.kwargs.batch_size=64",
    "algo.kwargs.n_epochs=2",
]


def cfg_with(*overrides: str) -> DictConfig:
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name="train", overrides=list(overrides))


@pytest.mark.parametrize("env", ["perishable", "sku_agents"])
@pytest.mark.parametrize("algo", ["ppo", "a2c", "dqn", "sac"])
@pytest.mark.parametrize("logger", ["mlflow", "none"])
def test_every_training_config_composes(env, algo, logger):
    cfg = cfg_with(f"env={env}", f"algo={algo}", f"logger={logger}")
    assert algo_class(cfg.algo.class_path).__name__.lower() == algo
    assert cfg.run_name == f"{env}_{algo}_seed0"


def test_named_experiment_composes():
    cfg = cfg_with("experiment=perishable_ppo")
    assert cfg.env.id == "ShelfLife/PerishableInventory-v0" and cfg.total_timesteps == 300000


def test_both_env_kinds_build():
    from policies.rl.vec_env import VectorEnvAsVecEnv

    single = build_env(cfg_with("env=perishable"), 0)
    assert single.num_envs == 8
    assert isinstance(single.venv, VectorEnvAsVecEnv)  # the batched env, not 8 env objects
    continuous = build_env(cfg_with("env=perishable", "algo=sac"), 0)
    assert not isinstance(continuous.venv, VectorEnvAsVecEnv)  # SAC wraps single envs
    sku = build_env(cfg_with("env=sku_agents", "env.scenario=yogurt_trio"), 0)
    assert sku.num_envs == 3


def test_smoke_training_through_the_real_entry_point(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.train",
            *TINY,
            "logger=none",
            f"output_dir={tmp_path}/run",
            f"hydra.run.dir={tmp_path}/hydra",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["timesteps"] == 1024
    for key in (
        "eval/avg_cost_per_period",
        "optimal/avg_cost_per_period",
        "gap_pct",
        "train_seconds",
    ):
        assert key in result
    assert (tmp_path / "run" / "checkpoints" / "latest.zip").exists()
    assert (tmp_path / "run" / "checkpoints" / "latest_vecnormalize.pkl").exists()


def test_same_seed_same_evaluation_numbers(tmp_path):
    a = train(cfg_with(*TINY, "logger=none", f"output_dir={tmp_path}/a"))
    b = train(cfg_with(*TINY, "logger=none", f"output_dir={tmp_path}/b"))
    assert a["eval/avg_cost_per_period"] == b["eval/avg_cost_per_period"]


def test_resumed_run_ends_where_an_uninterrupted_one_does(tmp_path):
    full = train(cfg_with(*TINY, "logger=none", f"output_dir={tmp_path}/full"))
    # "interrupted" after 512 steps, then resumed to the same 1024
    half = [o.replace("total_timesteps=1024", "total_timesteps=512") for o in TINY]
    train(cfg_with(*half, "logger=none", f"output_dir={tmp_path}/resumed"))
    resumed = train(cfg_with(*TINY, "logger=none", "resume=true", f"output_dir={tmp_path}/resumed"))
    assert resumed["resumed"] and resumed["timesteps"] == full["timesteps"] == 1024
    from stable_baselines3 import PPO

    PPO.load(resumed["model_path"], device="cpu")  # the model loads


def test_resume_without_a_checkpoint_is_refused(tmp_path):
    from sim.errors import ConfigError

    with pytest.raises(ConfigError, match="checkpoint"):
        train(cfg_with(*TINY, "logger=none", "resume=true", f"output_dir={tmp_path}/none"))


def test_runs_are_tracked_in_the_embedded_mlflow_store(tmp_path):
    import mlflow

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    result = train(
        cfg_with(
            *TINY,
            f"logger.tracking_uri={uri}",
            f"logger.artifact_location={tmp_path}/artifacts",
            f"output_dir={tmp_path}/run",
        )
    )
    mlflow.set_tracking_uri(uri)
    run = mlflow.get_run(result["mlflow_run_id"])
    assert run.data.params["env.kwargs.life_days"] == "2"
    assert "gap_pct" in run.data.metrics and run.data.tags["git_commit"]


def test_a_saved_model_and_its_normalisation_load_as_an_agent(tmp_path):
    from policies.rl.agent import load_agent

    result = train(cfg_with(*TINY, "logger=none", f"output_dir={tmp_path}/run"))
    stats = str(Path(result["model_path"]).with_name("latest_vecnormalize.pkl"))
    agent = load_agent(result["model_path"], "stable_baselines3.PPO", stats)
    action, _ = agent.predict([0.0, 0.0])
    assert 0 <= int(action) <= 10


def test_tensorboard_has_episode_returns_and_single_prefixed_eval_curves(tmp_path):
    """rollout/ep_rew_mean is logged (the env is monitored) and the held-out evaluation is
    eval/avg_cost_per_period, not eval/eval_avg_cost_per_period."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    train(
        cfg_with(
            *TINY, "total_timesteps=3072", "logger=mlflow",  # 8 envs x 384 > one 365-day year
            f"logger.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
            f"logger.artifact_location={tmp_path}/artifacts", f"output_dir={tmp_path}/run",
        )
    )  # fmt: skip
    (run,) = (tmp_path / "run" / "tb").iterdir()
    events = EventAccumulator(str(run), size_guidance={"scalars": 0})
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert "eval/avg_cost_per_period" in tags and not any(t.startswith("eval/eval_") for t in tags)
    assert "rollout/ep_rew_mean" in tags
