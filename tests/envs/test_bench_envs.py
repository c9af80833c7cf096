"""``scripts/bench_envs.py`` runs through its real entry point and prints one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import envs

REPO = Path(__file__).resolve().parents[2]


def test_bench_envs_prints_one_json_object_with_every_id() -> None:
    """With tiny budgets on yogurt_trio the script prints exactly one JSON object:
    positive steps/s for each registered id with the steps asked for, the SKU-agent
    agent steps/s (= agents × env steps/s), the machine's cores and the wall time."""
    out = subprocess.run(
        [
            sys.executable,
            "scripts/bench_envs.py",
            "--scenario",
            "yogurt_trio",
            "--steps",
            "3",
            "--perishable-steps",
            "20",
            "--agent-scenarios",
            "yogurt_trio",
            "--agent-steps",
            "2",
            "--warmup",
            "1",
            "--perishable-replications",
            "16",
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert set(result) >= {"machine", "envs", "sku_agents", "wall_s", "scenario"}
    assert result["machine"]["cpu_count"] >= 1 and result["machine"]["usable_cores"] >= 1
    assert result["wall_s"] > 0 and result["scenario"] == "yogurt_trio"
    assert list(result["envs"]) == list(envs.ENV_SPECS)
    for env_id, r in result["envs"].items():
        assert r["steps"] == (20 if env_id == "ShelfLife/PerishableInventory-v0" else 3)
        assert r["steps_per_s"] > 0 and r["step_s"] > 0 and r["ms_per_step"] > 0
    agents = result["sku_agents"]
    assert list(agents) == ["yogurt_trio"]
    run = agents["yogurt_trio"]
    assert run["num_envs"] == 3 and run["env_steps"] == 2  # stores A, B, C x one yogurt
    assert run["agent_steps_per_s"] == pytest.approx(3 * run["env_steps_per_s"], rel=1e-2)
    fast = result["perishable"]
    assert fast["vector_replications"] == 16
    for key in (
        "floor_steps_per_s",
        "arrays_steps_per_s",
        "simpy_steps_per_s",
        "vector_steps_per_s",
    ):
        assert fast[key] > 0, key
    ratio = fast["floor_steps_per_s"] / fast["arrays_steps_per_s"]
    assert fast["floor_over_arrays"] == pytest.approx(ratio, rel=0.01, abs=0.01)


def test_the_numpy_floor_has_the_envs_dynamics() -> None:
    """The floor the env is measured against runs the same period: fed the env's demand, it
    gives the env's rewards and observations (FIFO and LIFO, life 2 and 3)."""
    sys.path.insert(0, str(REPO / "scripts"))
    from bench_envs import MinimalPerishableEnv

    for life, fifo in ((2, True), (3, False)):
        env = gym.make(
            "ShelfLife/PerishableInventory-v0", life_days=life, lead_time=1,
            issuing="fifo" if fifo else "lifo",
        )  # fmt: skip
        env.reset(seed=5)
        floor = MinimalPerishableEnv(life, 1, fifo, seed=0)
        for order in np.random.default_rng(1).integers(0, 11, 200).tolist():
            obs, reward, _, _, info = env.step(order)
            floor_obs, floor_reward = floor.step(order, demand=info["demand_units"])
            assert floor_reward == pytest.approx(reward) and (floor_obs == obs).all()
