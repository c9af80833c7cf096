"""The chain study: rules tuned on training seeds, a learned policy, a what-if on held-out seeds.

    python -m experiments.train experiment=city_fresh_chain

1. tunes the study's rules (``chain.rules``) on training seeds
   (``experiments.tune_baselines``, written under ``<output_dir>/tuning``);
2. searches the learned policy: CMA-ES over the linear residual policy on the
   best tuned replenishment rule, on chain profit with common random numbers
   over training seeds (``experiments.cmaes``);
3. compares everything on ``chain.replications`` evaluation seeds never used
   in 1 or 2 (``experiments.evaluate``: common random numbers, one KPI window,
   paired 95 % intervals against the best tuned rule by training profit).

Returns ``experiments.evaluate``'s result plus ``learned`` (the learned
policy's name), ``train_seconds`` and the tuned rules' training profits.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hydra import compose
from omegaconf import DictConfig, OmegaConf

from experiments.cmaes import optimise
from experiments.evaluate import evaluate
from experiments.replicate import linear_residual_model
from experiments.tune_baselines import tune_baselines
from sim.errors import ConfigError

LEARNED = "learned_residual"


def run_chain_study(cfg: DictConfig) -> dict[str, Any]:
    """Run the three stages of the study described in the module docstring."""
    study = cfg.chain
    scenario = str(cfg.env.scenario)
    out = Path(cfg.output_dir)
    rules = [str(r) for r in study.rules]
    if str(study.base_rule) not in rules:
        raise ConfigError("chain.base_rule", study.base_rule, f"one of chain.rules {rules}")
    t0 = time.perf_counter()
    tuning = tune_baselines(
        scenario,
        seeds=int(study.tune_seeds),
        eval_seeds=int(study.tune_eval_seeds),
        days=int(study.days),
        warmup_days=int(study.warmup_days),
        policies=rules,
        out=out / "tuning",
    )
    tuned_dir = str(out / "tuning")
    train_profit = {
        name: float(r["train_profit_per_day"]) for name, r in tuning["policies"].items()
    }
    reference = max(train_profit, key=train_profit.get)  # the best rule, chosen on training seeds
    t_tuned = time.perf_counter()

    search = optimise(
        compose(
            config_name="cmaes",
            overrides=[
                f"logger={cfg.logger.kind}" if cfg.logger.kind == "none" else "logger=mlflow",
                f"run_name={cfg.run_name}_cmaes",
                f"output_dir={out / 'cmaes'}",
                f"seed={int(cfg.seed)}",
                f"generations={int(study.generations)}",
                f"popsize={int(study.popsize)}",
                f"train_seeds={list(study.train_seeds)}",
                f"env.scenario={scenario}",
                f"env.episode_days={int(study.days)}",
                f"env.warmup_days={int(study.warmup_days)}",
                f"env.base_rule.name={study.base_rule}",
                f"+env.base_rule.tuned_dir={tuned_dir}",
            ],
        )
    )
    t_learned = time.perf_counter()
    rl_models = {
        LEARNED: linear_residual_model(
            search["policy_path"],
            base_rule=str(study.base_rule),
            scenario=scenario,
            tuned_dir=tuned_dir,
        )
    }
    ev_cfg = compose(
        config_name="evaluate",
        overrides=[
            "logger=none" if cfg.logger.kind == "none" else "logger=mlflow",
            f"study={cfg.run_name}",
            f"scenario={scenario}",
            f"policies={rules}",
            f"reference={reference}",
            f"tuned_dir={tuned_dir}",
            f"replications={int(study.replications)}",
            f"first_seed={int(study.first_eval_seed)}",
            f"days={int(study.days)}",
            f"warmup_days={int(study.warmup_days)}",
            f"report_dir={out / 'report'}",
        ],
    )
    ev_cfg.rl_models = rl_models  # paths and objects: set, not parsed from an override string
    whatif = evaluate(ev_cfg)
    return {
        **whatif,
        "learned": LEARNED,
        "train_seconds": round(t_learned - t_tuned, 1),
        "tune_seconds": round(t_tuned - t0, 1),
        "study_seconds": round(time.perf_counter() - t0, 1),
        "rules_train_profit_per_day": train_profit,
        "learned_train_profit_per_day": search["best_profit_per_day_train"],
        "study": OmegaConf.to_container(study, resolve=True),
    }
