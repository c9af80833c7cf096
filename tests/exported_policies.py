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
    train(cfg)  # writes <out>/mlflow_run_id itself
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


TINY_RESIDUAL_PPO = [
    *[o for o in TINY_SKU_PPO if not o.startswith("run_name")],
    "run_name=test_residual_ppo",
    "+env.kwargs.action_mode=residual",
    "+env.kwargs.base_rule._target_=policies.configs.tuned_rule",
    "+env.kwargs.base_rule.name=perishable_base_stock",
    "+env.kwargs.base_rule.scenario=city_fresh",
    "+env.kwargs.transfer_policy._target_=policies.configs.tuned_transfers",
    "+env.kwargs.transfer_policy.scenario=city_fresh",
    "+algo.kwargs.policy_kwargs.log_std_init=-1.5",
]


@pytest.fixture(scope="session")
def residual_ppo_run(tmp_path_factory) -> Path:
    """A real (tiny) residual PPO run on the tuned perishable base stock, with the tuned
    transfer rules planning transfers in its env."""
    from experiments.train import train

    out = tmp_path_factory.mktemp("residual_ppo_run")
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(
            config_name="train",
            overrides=[*TINY_RESIDUAL_PPO, f"output_dir={out}", "logger=none"],
        )
    train(cfg)
    return out


@pytest.fixture(scope="session")
def learned_planner_path(tmp_path_factory) -> Path:
    """A saved per-pair transfer scorer that sends often (a positive bias)."""
    import numpy as np

    from policies.configs import tuned_transfers
    from policies.learned_transfers import N_PAIR_FEATURES, PairScorerTransfers, save_planner

    theta = np.random.default_rng(11).normal(scale=0.5, size=N_PAIR_FEATURES + 1)
    theta[-1] = 0.8
    path = tmp_path_factory.mktemp("planner") / "transfers.json"
    save_planner(PairScorerTransfers.from_vector(tuned_transfers("city_fresh"), theta), path)
    return path


@pytest.fixture(scope="session")
def residual_policy_dir(residual_ppo_run, learned_planner_path, tmp_path_factory) -> Path:
    """The residual PPO exported with the learned transfer scorer."""
    from policies.export.exporter import export_run_dir

    out = tmp_path_factory.mktemp("exports") / "residual"
    export_run_dir(residual_ppo_run, out, transfers=learned_planner_path)
    return out
