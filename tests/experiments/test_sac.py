"""SAC on the perishable env through a Box view of the order quantity."""

from __future__ import annotations

import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hydra import compose, initialize_config_dir

import envs  # noqa: F401 - registers the ids
from envs.common.continuous import ContinuousOrders
from experiments.train import build_env, train
from sim.errors import ActionError, ConfigError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def cfg_with(*overrides: str):
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name="train", overrides=list(overrides))


@pytest.mark.filterwarnings(
    "ignore:.*different from the unwrapped version"
)  # the wrapper is the subject
def test_the_box_view_passes_check_env_and_rounds_to_units():
    env = ContinuousOrders(gym.make("ShelfLife/PerishableInventory-v0").unwrapped)
    check_env(env, skip_render_check=True)
    assert (env.action_space.low[0], env.action_space.high[0]) == (-1.0, 1.0)
    # order = rint((a + 1) / 2 × 10)
    orders = [env.action(np.array([x])) for x in (-1.0, -0.52, -0.48, 0.0, 1.0)]
    assert orders == [0, 2, 3, 5, 10]


@pytest.mark.parametrize("bad", [[-1.5], [1.01], [float("nan")], [0.1, 0.2]])
def test_actions_outside_the_box_are_refused_not_clipped(bad):
    env = ContinuousOrders(gym.make("ShelfLife/PerishableInventory-v0").unwrapped)
    env.reset(seed=0)
    with pytest.raises(
        ActionError, match=r"allowed: one number in \[-1, 1\] \(mapped to orders 0..10\)"
    ):
        env.step(np.array(bad))


def test_sac_is_refused_on_the_sku_agent_env_by_name():
    with pytest.raises(ConfigError, match="continuous ones \\(sac\\) fit env=perishable"):
        build_env(cfg_with("env=sku_agents", "env.scenario=yogurt_trio", "algo=sac"), 0)


def test_sac_trains_and_evaluates_on_the_perishable_env(tmp_path):
    cfg = cfg_with(
        "env=perishable",
        "algo=sac",
        "total_timesteps=512",
        "algo.kwargs.learning_starts=128",
        "algo.kwargs.batch_size=64",
        "checkpoint_every_steps=256",
        "eval.every_steps=256",
        "eval.periods=50",
        "eval.final_periods=200",
        "eval.seeds=[9000,9001]",
        "progress_bar=false",
        "logger=none",
        f"output_dir={tmp_path}",
    )
    result = train(cfg)
    assert result["timesteps"] >= 512
    assert math.isfinite(result["eval/avg_cost_per_period"])
    assert result["gap_pct"] > -5.0  # no policy beats the exact optimum by more than noise
