"""CMA-ES on chain profit: a real (tiny) search, its saved policy, and its refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from experiments.cmaes import optimise
from policies.linear_residual import LinearResidualPolicy
from sim.errors import ConfigError
from sim.features import N_OBSERVATION
from tests.exported_policies import REPO


def cmaes_cfg(tmp_path, *overrides: str):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(
            config_name="cmaes",
            overrides=[
                "logger=none",
                "generations=1",
                "popsize=2",
                "workers=1",
                "train_seeds=[1000]",
                "env.episode_days=2",
                f"output_dir={tmp_path}",
                *overrides,
            ],
        )


def test_a_tiny_search_saves_a_policy_no_worse_than_the_rule(tmp_path):
    result = optimise(cmaes_cfg(tmp_path))
    assert result["evaluations"] == 1 + 2
    assert result["best_profit_per_day_train"] >= result["neutral_profit_per_day_train"]
    policy = LinearResidualPolicy.load(result["policy_path"])
    assert policy.weights.shape == (N_OBSERVATION,)
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["train_seeds"] == [1000] and len(saved["history"]) == 1
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))  # the curve for TensorBoard


def test_evaluation_seeds_are_refused_for_the_search(tmp_path):
    with pytest.raises(ConfigError, match="train_seeds"):
        optimise(cmaes_cfg(tmp_path, "train_seeds=[9000]"))


def test_the_zero_policy_is_neutral_and_survives_a_round_trip(tmp_path):
    zero = LinearResidualPolicy.from_vector(np.zeros(LinearResidualPolicy.N_PARAMS))
    actions, _ = zero.predict(np.ones((5, N_OBSERVATION)))
    assert (actions == 0).all() and actions.shape == (5, 1)
    theta = np.random.default_rng(0).normal(size=LinearResidualPolicy.N_PARAMS)
    LinearResidualPolicy.from_vector(theta).save(tmp_path / "p.json")
    assert np.array_equal(LinearResidualPolicy.load(tmp_path / "p.json").to_vector(), theta)
    doc = json.loads((tmp_path / "p.json").read_text())
    doc["observation"]["version"] = "1"
    (tmp_path / "old.json").write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="observation"):
        LinearResidualPolicy.load(tmp_path / "old.json")


@pytest.mark.parametrize("search", ["transfer_rules", "pair_scorer"])
def test_a_tiny_transfer_search_starts_from_the_rules_and_saves_a_planner(tmp_path, search):
    from policies.configs import tuned_transfers
    from policies.learned_transfers import PairScorerTransfers, load_planner

    result = optimise(cmaes_cfg(tmp_path, f"search={search}", "sigma0=0.3"))
    assert result["search"] == search and result["evaluations"] == 1 + 2
    assert result["best_profit_per_day_train"] >= result["neutral_profit_per_day_train"]
    planner = load_planner(result["policy_path"])
    rules = tuned_transfers("city_fresh")
    assert isinstance(planner, PairScorerTransfers) == (search == "pair_scorer")
    assert planner.radius_km > 0 and (search == "pair_scorer") <= (
        planner.radius_km == rules.radius_km  # the scorer keeps the rules' guard rails
    )


def test_transfer_searches_refuse_a_bad_order_policy_and_an_unknown_search(tmp_path):
    with pytest.raises(ConfigError, match="search"):
        optimise(cmaes_cfg(tmp_path, "search=markdowns"))
    with pytest.raises(ConfigError, match="order_policy"):
        optimise(cmaes_cfg(tmp_path, "search=pair_scorer", "+order_policy={algo:ppo}"))
