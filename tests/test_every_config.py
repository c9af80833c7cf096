"""Every config file composes into its primary config and builds what it describes.

Walks the config folders, so a new file is covered without editing this test
(lightning-hydra-template's habit). Search spaces are covered by
``tests/experiments/test_hparams_search.py``; policy constructors by
``tests/policies/test_policy_configs.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException, MissingConfigException

from experiments.train import build_env
from policies.rl.algos import algo_class
from sim.errors import ConfigError
from sim.scenario import load_scenario

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def names(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))


def compose_cfg(primary: str, *overrides: str):
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name=primary, overrides=list(overrides))


def test_every_primary_config_composes():
    primaries = sorted(p.stem for p in CONFIGS.glob("*.yaml"))
    assert primaries == ["cmaes", "evaluate", "perishable_grid", "sim", "train", "tune_policy"]
    for primary in primaries:
        assert compose_cfg(primary) is not None


@pytest.mark.parametrize("scenario", names("network"))
def test_every_scenario_composes_and_builds_its_network(scenario):
    assert scenario in names("demand")  # a network always comes with its demand
    cfg = compose_cfg("sim", f"network={scenario}", f"demand={scenario}")
    assert cfg.network is not None
    built = load_scenario(scenario)
    assert built.network.n_stores >= 1 and built.network.n_skus >= 1


@pytest.mark.parametrize("env", names("env"))
@pytest.mark.parametrize("algo", names("algo"))
def test_every_env_and_algo_pair_composes_and_builds_or_is_refused_by_name(env, algo):
    overrides = [f"env={env}", f"algo={algo}"]
    if env == "sku_agents":
        overrides.append("env.scenario=yogurt_trio")  # the smallest scenario
    cfg = compose_cfg("train", *overrides)
    assert algo_class(cfg.algo.class_path) is not None
    continuous = cfg.algo.get("action_space", "discrete") == "continuous"
    if env == "sku_agents" and (continuous or algo == "dqn"):
        if continuous:
            with pytest.raises(ConfigError, match="algo"):
                build_env(cfg, 0)
        return  # DQN builds but its config says it is for single envs
    venv = build_env(cfg, 0)
    assert venv.num_envs >= 1
    venv.close()


@pytest.mark.parametrize("logger", names("logger"))
@pytest.mark.parametrize("primary", ["train", "evaluate"])
def test_every_logger_composes(primary, logger):
    cfg = compose_cfg(primary, f"logger={logger}")
    assert cfg.logger.kind in ("mlflow", "none")


@pytest.mark.parametrize("experiment", names("experiment"))
def test_every_named_experiment_composes_with_its_entry_point(experiment):
    composed = []
    for primary in ("train", "evaluate"):
        try:
            composed.append(compose_cfg(primary, f"experiment={experiment}"))
        except (ConfigCompositionException, MissingConfigException):  # the other entry point
            continue
    assert composed, f"experiment={experiment} composes with neither train nor evaluate"
