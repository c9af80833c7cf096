"""Score one heuristic's parameters on training seeds: ``python -m experiments.tune_policy``.

``tune_objective(cfg)`` is a pure function of the config: the cost of the
policy ``cfg.policy`` (lower is better) over the first ``n_seeds`` of
``policies.tuning.TRAIN_SEEDS``; evaluation seeds are never used.

- On a shipped scenario: minus the mean profit per day after ``warmup_days``
  (``policies.tuning.evaluate_rule``, as ``experiments.tune_baselines`` scores its
  grids);
- on ``scenario=perishable`` (``PerishableInventory-v0``): the mean cost per
  period (``policies.tuning.mean_cost_in_env``).

The ``@hydra.main`` wrapper prints one JSON line, writes ``result.json`` in the
job's output directory and returns the objective, so Hydra sweepers can
optimise it, e.g. with Optuna (``hydra_plugins/shelflife_optuna_sweeper``)::

    python -m experiments.tune_policy hparams_search=R_s_S_city_fresh --multirun
    python -m experiments.tune_policy --multirun hydra/launcher=joblib hydra.launcher.n_jobs=2 \\
        policy=s_S,R_s_S
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from experiments.scenario_choice import PERISHABLE, select_scenario
from experiments.tracking import flatten, join_sweep, make_tracker
from policies.tuning import TRAIN_SEEDS, evaluate_rule, mean_cost_in_env
from sim.errors import ConfigError
from sim.scenario import load_scenario


def training_seeds(n_seeds: int) -> tuple[int, ...]:
    """The first ``n_seeds`` training seeds (never the evaluation seeds)."""
    if not 1 <= n_seeds <= len(TRAIN_SEEDS):
        raise ConfigError(
            "n_seeds", n_seeds, f"an integer in 1..{len(TRAIN_SEEDS)} (policies.tuning.TRAIN_SEEDS)"
        )
    return TRAIN_SEEDS[:n_seeds]


def tune_objective(cfg: DictConfig) -> float:
    """The policy's cost on training seeds: minus profit per day, or cost per period.

    Args:
        cfg: the composed ``tune_policy`` config (``policy``, ``scenario``,
            ``n_seeds``, ``days``, ``warmup_days``, ``perishable``).

    Raises:
        ConfigError: a bad ``n_seeds`` or policy parameter (e.g. ``s_days > S_days``).
    """
    select_scenario(cfg)  # the composed scenario group -> its name + the overrides it carries
    rule = instantiate(cfg.policy)
    seeds = training_seeds(int(cfg.n_seeds))
    if cfg.scenario == PERISHABLE:
        from envs.perishable.env import PerishableInventoryEnv
        from policies.agent import HeuristicAgent

        env_kwargs = OmegaConf.to_container(cfg.perishable.env, resolve=True) or {}
        costs = mean_cost_in_env(
            lambda: PerishableInventoryEnv(**env_kwargs),
            lambda env: HeuristicAgent(rule, env),
            seeds,
            int(cfg.perishable.periods),
        )
        return float(costs.mean())
    scenario = load_scenario(str(cfg.scenario), list(cfg.scenario_overrides))
    ev = evaluate_rule(scenario, rule, seeds, days=int(cfg.days), warmup_days=int(cfg.warmup_days))
    return -ev.profit_per_day


def policy_params(cfg: DictConfig) -> dict[str, Any]:
    """The policy's parameters as configured (without ``_target_``)."""
    params = OmegaConf.to_container(cfg.policy, resolve=True)
    return {k: v for k, v in params.items() if k != "_target_"}


@hydra.main(config_path="../configs", config_name="tune_policy", version_base="1.3")
def main(cfg: DictConfig) -> float:
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    sweep = join_sweep(cfg.logger)  # a --multirun trial: a child of the sweep's run
    with make_tracker(cfg.logger, f"{cfg.policy._target_.rsplit('.', 1)[-1]} trial") as tracker:
        value = tune_objective(cfg)
        result = {
            "policy": cfg.policy._target_,
            "params": policy_params(cfg),
            "scenario": cfg.scenario,
            "scenario_overrides": list(cfg.scenario_overrides),
            "train_seeds": list(training_seeds(int(cfg.n_seeds))),
            "objective": value,
        }
        tracker.set_tags({**sweep, "kind": "tuning trial", "scenario": str(cfg.scenario)})
        tracker.log_params(flatten(result["params"]) | {"scenario": cfg.scenario})
        kpi = "avg_cost_per_period" if cfg.scenario == PERISHABLE else "profit_per_day"
        tracker.log_metrics({f"train/{kpi}": value if kpi == "avg_cost_per_period" else -value})
    (output_dir / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return value


if __name__ == "__main__":
    main()
