"""A residual PPO with a learned transfer scorer, exported and served: the served orders and
transfers are the lab's, with the rule's explanation and the learned multiplier."""

from __future__ import annotations

import numpy as np

from envs.sku_agents import SkuAgents
from policies.configs import tuned_rule
from policies.export.states import state_columns
from policies.learned_transfers import load_planner
from policies.rl.agent import load_agent
from policies.serving.integrity import load_manifest
from policies.serving.recommender import Recommender


def test_served_residual_orders_and_learned_transfers_equal_the_lab(
    residual_ppo_run, residual_policy_dir, learned_planner_path
):
    manifest = load_manifest(residual_policy_dir)
    assert manifest["action"]["type"] == "residual_multiplier"
    assert manifest["action"]["base_rule"]["target"] == "policies.heuristics.PerishableBaseStock"
    assert manifest["transfers"]["params"]["kind"] == "pair_scorer"
    assert {"policy.onnx", "catalog.npz", "network.npz"} <= set(manifest["files"])

    ckpt = residual_ppo_run / "checkpoints"
    agent = load_agent(
        str(ckpt / "latest.zip"), "stable_baselines3.PPO", str(ckpt / "latest_vecnormalize.pkl")
    )
    recommender = Recommender.load(residual_policy_dir)
    env = SkuAgents(
        episode_days=7,
        scenario="city_fresh",
        warmup_days=3,
        action_mode="residual",
        base_rule=tuned_rule("perishable_base_stock", "city_fresh"),
        transfer_policy=load_planner(learned_planner_path),
    )
    obs = env.reset(4242)
    idx = env.core.agent_index
    n_st, n_sku = env.core.network.n_stores, env.core.network.n_skus
    compared = differing = transferred = 0
    over = False
    while not over:
        core = env.core
        actions, _ = agent.predict(obs, deterministic=True)
        served = None
        if core.is_decision_step:
            columns = state_columns(core.sim, core.forecast, core.scale, core.forecast_error)
            served = recommender.recommend(columns)
            rows = recommender.parse(columns)
            assert np.array_equal(recommender.policy.observations(rows)[idx], obs)
            forecast = core.forecast.copy().reshape(-1)  # as the env's residual action
            forecast[idx] *= 4.0 ** actions[:, 0]
            lab_orders = core.rule_orders(forecast.reshape(n_st, n_sku)).reshape(-1)
            differing += int((served.order_units[idx] != lab_orders[idx]).sum())
            compared += len(idx)
            assert served.reasons[int(idx[0])].startswith("learned residual: the rule on")
        _, over = env.step(actions)
        obs = env.observe()
        if served is not None:  # the env planned its transfers from the state served
            units = np.zeros((n_st, n_sku), dtype=np.int64)
            for plan in core.last_planned_transfers:
                units[plan.origin] += plan.units
            np.testing.assert_array_equal(served.transfers.units, units.reshape(-1))
            lab_reasons = sorted(r for p in core.last_planned_transfers for r in p.reasons)
            assert sorted(r for r in served.transfers.reasons if r) == lab_reasons
            assert all("learned score" in r for r in lab_reasons)
            transferred += int(units.sum())
    assert compared >= 7 * len(idx)
    assert differing == 0
    assert transferred > 0  # the comparison of transfers means something


def test_the_export_cli_serves_a_learned_planner_beside_the_model(
    residual_ppo_run, learned_planner_path, tmp_path
):
    import json
    import subprocess
    import sys

    from tests.exported_policies import REPO

    def export(*args: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "scripts/export_policy.py", *args]
        return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300)

    missing = export(f"path={residual_ppo_run}", f"out={tmp_path}/a", "transfers=nowhere.json")
    assert missing.returncode == 2 and "transfers: got 'nowhere.json'" in missing.stderr
    ok = export(
        f"path={residual_ppo_run}", f"out={tmp_path}/b", f"transfers={learned_planner_path}"
    )
    assert ok.returncode == 0, ok.stderr
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert (
        manifest["transfers"]["params"] == json.loads(learned_planner_path.read_text())["transfers"]
    )
    # without transfers= the planner of the training env (the tuned rules) is served
    plain = export(f"path={residual_ppo_run}", f"out={tmp_path}/c")
    assert plain.returncode == 0, plain.stderr
    rules = json.loads((tmp_path / "c" / "manifest.json").read_text())["transfers"]["params"]
    assert "kind" not in rules and rules["radius_km"] > 0
