"""Fixtures: a real (tiny) PPO run on city_fresh SKU agents and its exported policies.

Loaded for every test folder through ``pytest_plugins`` in ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

REPO = Path(__file__).resolve().parents[1]
TINY_SKU_PPO = [
    "env=sku_agents",
    "env.scenario=city_fresh",
    "env.episode_days=7",
    "algo=ppo",
    "total_timesteps=4762",
    "algo.kwargs.n_steps=2",
    "algo.kwargs.batch_size=2381",
    "algo.kwargs.n_epochs=1",
    "checkpoint_every_steps=100000",
    "eval.every_steps=100000",
    "eval.seeds=[9000]",
    "progress_bar=false",
    "run_name=test_sku_ppo",
]


@pytest.fixture(scope="session")
def sku_ppo_run(tmp_path_factory) -> Path:
    """A training output folder (config.yaml, result.json, checkpoints/) from the real train()."""
    from experiments.train import train

    out = tmp_path_factory.mktemp("sku_ppo_run")
    mlruns = tmp_path_factory.mktemp("mlruns")
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(
            config_name="train",
            overrides=[
                *TINY_SKU_PPO,
                f"output_dir={out}",
                f"logger.tracking_uri=sqlite:///{mlruns}/mlflow.db",
                f"logger.artifact_location={mlruns}/artifacts",
                "logger.tensorboard=false",
            ],
        )
    result = train(cfg)
    (out / "mlflow_run_id").write_text(result["mlflow_run_id"])
    (out / "tracking_uri").write_text(f"sqlite:///{mlruns}/mlflow.db")
    return out


@pytest.fixture(scope="session")
def ppo_policy_dir(sku_ppo_run, tmp_path_factory) -> Path:
    from policies.export.exporter import export_run_dir

    out = tmp_path_factory.mktemp("exports") / "ppo"
    export_run_dir(sku_ppo_run, out)
    return out


@pytest.fixture(scope="session")
def base_stock_policy_dir(tmp_path_factory) -> Path:
    from policies.export.exporter import export_heuristic

    out = tmp_path_factory.mktemp("exports") / "base_stock"
    export_heuristic("base_stock", "city_fresh", out)
    return out


@pytest.fixture(scope="session")
def transfer_policy_dir(tmp_path_factory) -> Path:
    """The tuned transfer_rules of city_fresh: a replenishment rule plus transfers."""
    from policies.export.exporter import export_heuristic

    out = tmp_path_factory.mktemp("exports") / "transfer_rules"
    export_heuristic("transfer_rules", "city_fresh", out)
    return out
