"""The variant study: rules re-tuned on a variant, the frozen learned policy evaluated on it."""

from __future__ import annotations

import json

import numpy as np

from experiments.chain_study import LEARNED_FILE
from experiments.replicate import linear_residual_model
from experiments.tune_baselines import tune_baselines
from experiments.variants import VARIANTS, run_variant
from policies.linear_residual import LinearResidualPolicy


def test_a_variant_retunes_the_rules_and_scores_the_frozen_policy(tmp_path):
    learned = tmp_path / "learned"
    tune_baselines("city_fresh", seeds=1, eval_seeds=1, days=2, warmup_days=1,
                   policies=["perishable_base_stock"], out=learned / "tuning")  # fmt: skip
    (learned / "cmaes").mkdir()
    zero = LinearResidualPolicy.from_vector(np.zeros(LinearResidualPolicy.N_PARAMS))
    zero.save(learned / "cmaes" / "policy.json")
    planner = {"_target_": "policies.configs.tuned_transfers", "scenario": "city_fresh"}
    entry = linear_residual_model(
        learned / "cmaes" / "policy.json", base_rule="perishable_base_stock",
        scenario="city_fresh", tuned_dir=learned / "tuning", transfer_policy=planner,
    )  # fmt: skip
    (learned / LEARNED_FILE).write_text(json.dumps(entry))
    row = run_variant("demand_minus_30pct", VARIANTS["demand_minus_30pct"], learned,
                      tmp_path / "out", replications=2, days=2, warmup_days=1)  # fmt: skip
    assert row["reference"] in ("perishable_base_stock", "transfer_rules")
    assert row["seeds"] == [9000, 9001]
    assert (tmp_path / "out" / "demand_minus_30pct" / "tuning" / "city_fresh").is_dir()
    diff = row["learned_minus_reference"]
    assert diff["ci_low"] <= diff["mean"] <= diff["ci_high"]


def test_store_count_variants_build_networks_of_9_and_16_stores():
    from sim.scenario import load_scenario

    assert load_scenario("city_fresh", VARIANTS["stores_9"]).network.n_stores == 9
    assert load_scenario("city_fresh", VARIANTS["stores_16"]).network.n_stores == 16
