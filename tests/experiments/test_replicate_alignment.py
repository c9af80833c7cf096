"""Rules and agents are paired on one KPI window: the neutral residual agent IS the rule."""

from __future__ import annotations

import numpy as np
from omegaconf import OmegaConf

from experiments.replicate import LINEAR_RESIDUAL, replicate_rule, replicate_sku_agents
from policies.configs import policy_config
from policies.linear_residual import LinearResidualPolicy


def test_the_neutral_learned_policy_scores_exactly_as_the_rule(tmp_path):
    zero = tmp_path / "zero.json"
    LinearResidualPolicy.from_vector(np.zeros(LinearResidualPolicy.N_PARAMS)).save(zero)
    cfg = OmegaConf.create(
        {"tuned_dir": "reports/baseline", "scenario": "city_fresh", "tuned": True,
         "policy_overrides": {}}
    )  # fmt: skip
    rule = replicate_rule("city_fresh", policy_config("perishable_base_stock", cfg), 9000, 4, 3)
    env_kwargs = {
        "action_mode": "residual",
        "base_rule": {
            "_target_": "policies.configs.tuned_rule",
            "name": "perishable_base_stock",
            "scenario": "city_fresh",
        },
    }
    agent = replicate_sku_agents("city_fresh", str(zero), LINEAR_RESIDUAL, None, 9000, 4, 3,
                                 env_kwargs)  # fmt: skip
    assert agent["kpis"] == rule["kpis"]
