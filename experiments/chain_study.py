"""The chain study: rules tuned on training seeds, learned orders and transfers, a what-if.

    python -m experiments.train experiment=city_fresh_chain

1. tunes the study's rules (``chain.rules``) on training seeds
   (``experiments.tune_baselines``, written under ``<output_dir>/tuning``);
2. learns the orders: PPO on the residual action on the best tuned replenishment
   rule (``chain.base_rule``), with the tuned transfer rules planning transfers
   in its env (``<output_dir>/ppo``); and, as the gradient-free control of the
   same action, CMA-ES over a linear residual policy on chain profit
   (``<output_dir>/cmaes``);
3. learns the transfers on top of the PPO orders, by CMA-ES on chain profit with
   common random numbers: first the transfer rules' own parameters
   (``<output_dir>/transfer_rules``), then the learned per-pair scorer
   (``<output_dir>/pair_scorer``, ``policies.learned_transfers``);
4. compares everything on ``chain.replications`` evaluation seeds never used in
   1-3 (``experiments.evaluate``: common random numbers, one KPI window, paired
   95 % intervals against the best tuned rule by training profit).

The learned policy (``learned``) is the PPO orders with the transfer planner that
earned more on the training seeds (the scorer or the searched rules); the others
are reported beside it: ``ppo_orders`` (PPO orders, the tuned rules' transfers),
``cmaes_orders`` (the linear residual, the tuned rules' transfers).

Returns ``experiments.evaluate``'s result plus ``learned`` (the learned policy's
name), ``train_seconds`` (stages 2-3) and the training profits of every stage.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hydra import compose
from omegaconf import DictConfig, OmegaConf

from experiments.cmaes import optimise
from experiments.evaluate import evaluate
from experiments.replicate import linear_residual_model, sku_agent_model
from experiments.report import read_learning_curve
from experiments.tracking import NullTracker, ci_metrics, flatten, make_tracker, sigterm_as_exit
from experiments.tune_baselines import tune_baselines
from sim.errors import ConfigError
from sim.scenario import override_value

LEARNED = "learned"
LEARNED_FILE = "learned.json"  # the learned policy's rl_models entry (experiments.variants)
PPO_ORDERS = "ppo_orders"
CMAES_ORDERS = "cmaes_orders"
SB3_PPO = "stable_baselines3.PPO"


def run_chain_study(
    cfg: DictConfig, train: Callable[[DictConfig], dict[str, Any]]
) -> dict[str, Any]:
    """Run the stages of the study described in the module docstring.

    MLflow: one run for the study (``run_name``); every stage's run is its child (the rules'
    tuning with a child per rule and per trial, the PPO training, the CMA-ES searches, the
    what-if with a child per policy), and the learned policy, exported, is logged as an
    MLflow model and registered as ``shelflife-<scenario>`` (``experiments.model_registry``).

    Args:
        train: ``experiments.train.train`` (passed in: ``experiments.train`` runs this study,
            so importing it here would make a circle).
    """
    output_dir = str(Path(cfg.output_dir).resolve())
    with make_tracker(cfg.logger, str(cfg.run_name)) as tracker, sigterm_as_exit():
        tracker.set_tags(
            {"kind": "study", "scenario": str(cfg.env.scenario), "output_dir": output_dir}
        )
        tracker.close_abandoned("output_dir", output_dir)  # a study a SIGKILL left RUNNING
        tracker.log_params(flatten({"chain": cfg.chain, "seed": cfg.seed}))
        result = _stages(cfg, train)
        learned = result["paired_differences"][result["learned"]]["profit_per_day"]
        tracker.log_metrics(ci_metrics("learned_vs_reference/profit_per_day", learned))
        if cfg.logger.kind != "none":
            try:  # the study's results stand without the registry (e.g. a store without one)
                result["registered_model"] = register_learned(
                    cfg, tracker, result["learned_transfers"]
                )
            except Exception as err:  # reported in the result, the tags and a warning
                why = f"{type(err).__name__}: {err}"
                warnings.warn(f"the learned policy was not registered: {why}", stacklevel=2)
                tracker.set_tags({"registered_model": f"not registered: {why}"[:500]})
                result["registered_model"] = {"error": why}
        result["mlflow_study_run_id"] = tracker.run_id
    return result


def register_learned(cfg: DictConfig, tracker: NullTracker, transfers: str) -> dict[str, Any]:
    """Export the learned policy (PPO orders + the chosen transfer planner) and log it as an
    MLflow model, registered as ``shelflife-<scenario>``."""
    import shutil

    from experiments.model_registry import log_policy_model
    from policies.export.exporter import export_run_dir
    from policies.export.states import example_state_table

    out = Path(cfg.output_dir)
    planner = out / transfers / "transfers.json"  # the chosen search's learned planner
    policy_dir = out / "policy"
    shutil.rmtree(policy_dir, ignore_errors=True)  # this study's own earlier export
    export_run_dir(out / "ppo", policy_dir, transfers=planner)
    scenario = str(cfg.env.scenario)
    logged = log_policy_model(policy_dir, scenario, example_state_table(scenario, 7))
    tracker.set_tags({"registered_model": f"{logged.registered_model}/{logged.version}"})
    return {
        "policy_dir": str(policy_dir),
        "model_uri": logged.model_uri,
        "name": logged.registered_model,
        "version": logged.version,
    }


def logger_overrides(cfg: DictConfig) -> list[str]:
    """The study's logger as overrides of each stage's config (the same store and experiment)."""
    if cfg.logger.kind == "none":
        return ["logger=none"]
    return ["logger=mlflow"] + [  # quoted where needed: a path with , [ ( stays one value
        f"logger.{key}={override_value(value)}"
        for key, value in OmegaConf.to_container(cfg.logger, resolve=True).items()
        if key != "kind"
    ]


def _stages(cfg: DictConfig, train: Callable[[DictConfig], dict[str, Any]]) -> dict[str, Any]:
    study = cfg.chain
    scenario = str(cfg.env.scenario)
    out = Path(cfg.output_dir)
    rules = [str(r) for r in study.rules]
    if str(study.base_rule) not in rules or "transfer_rules" not in rules:
        raise ConfigError(
            "chain.rules/base_rule", (rules, study.base_rule), "rules with transfer_rules and "
            "the base rule (the learned policies start from both)"
        )  # fmt: skip
    logger = logger_overrides(cfg)
    t0 = time.perf_counter()
    tuning = tune_baselines(
        scenario,
        seeds=int(study.tune_seeds),
        eval_seeds=int(study.tune_eval_seeds),
        days=int(study.days),
        warmup_days=int(study.warmup_days),
        policies=rules,
        out=out / "tuning",
        logger=cfg.logger if cfg.logger.kind != "none" else None,
    )
    tuned_dir = str(out / "tuning")
    train_profit = {
        name: float(r["train_profit_per_day"]) for name, r in tuning["policies"].items()
    }
    reference = max(train_profit, key=train_profit.get)  # the best rule, chosen on training seeds
    t_tuned = time.perf_counter()
    base_rule = {
        "_target_": "policies.configs.tuned_rule",
        "name": str(study.base_rule),
        "scenario": scenario,
        "tuned_dir": tuned_dir,
    }
    rule_transfers = {
        "_target_": "policies.configs.tuned_transfers",
        "scenario": scenario,
        "tuned_dir": tuned_dir,
    }

    ppo = _train_ppo(cfg, train, out / "ppo", logger, base_rule, rule_transfers)
    ppo_entry = {
        "model_path": ppo["model_path"],
        "algo_class_path": SB3_PPO,
        "stats_path": str(Path(ppo["model_path"]).with_name("latest_vecnormalize.pkl")),
    }
    searches: dict[str, dict[str, Any]] = {}
    common = [
        *logger,
        f"seed={int(cfg.seed)}",
        f"train_seeds={list(study.train_seeds)}",
        f"env.scenario={scenario}",
        f"env.episode_days={int(study.days)}",
        f"env.warmup_days={int(study.warmup_days)}",
        f"env.base_rule.name={study.base_rule}",
        f"+env.base_rule.tuned_dir={tuned_dir}",
        f"transfers_base.tuned_dir={tuned_dir}",
    ]
    searches["cmaes_orders"] = optimise(
        compose(
            config_name="cmaes",
            overrides=[
                *common,
                f"run_name={cfg.run_name}_cmaes",
                f"output_dir={out / 'cmaes'}",
                f"generations={int(study.generations)}",
                f"popsize={int(study.popsize)}",
                "+env.transfer_policy=" + _inline(rule_transfers),
            ],
        )
    )
    for search in ("transfer_rules", "pair_scorer"):
        searches[search] = optimise(
            compose(
                config_name="cmaes",
                overrides=[
                    *common,
                    f"search={search}",
                    f"run_name={cfg.run_name}_{search}",
                    f"output_dir={out / search}",
                    f"generations={int(study.transfer_generations)}",
                    f"popsize={int(study.transfer_popsize)}",
                    f"sigma0={float(study.transfer_sigma0)}",
                    "order_policy=" + _inline(ppo_entry),
                ],
            )
        )
    transfer_search = max(
        ("transfer_rules", "pair_scorer"),
        key=lambda s: searches[s]["best_profit_per_day_train"],
    )  # chosen on training seeds
    t_learned = time.perf_counter()

    planner = {
        "_target_": "policies.configs.load_transfer_planner",
        "path": searches[transfer_search]["policy_path"],
    }
    rl_models = {
        LEARNED: sku_agent_model(ppo_entry, base_rule=base_rule, transfer_policy=planner),
        PPO_ORDERS: sku_agent_model(ppo_entry, base_rule=base_rule, transfer_policy=rule_transfers),
        CMAES_ORDERS: linear_residual_model(
            searches["cmaes_orders"]["policy_path"],
            base_rule=str(study.base_rule),
            scenario=scenario,
            tuned_dir=tuned_dir,
            transfer_policy=rule_transfers,
        ),
    }
    ev_cfg = compose(
        config_name="evaluate",
        overrides=[
            *logger,
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
    ev_cfg.search_curves = {
        name: str(Path(r["policy_path"]).parent) for name, r in searches.items()
    }
    try:  # PPO's periodic validation, when it ran with TensorBoard and evaluated at least once
        read_learning_curve(PPO_ORDERS, out / "ppo")
        ev_cfg.learning_curves = {PPO_ORDERS: str(out / "ppo")}
    except ConfigError as why:
        print(f"chain study: no PPO learning curve in the report ({why})", flush=True)
    (out / LEARNED_FILE).write_text(json.dumps(rl_models[LEARNED], indent=1) + "\n")
    whatif = evaluate(ev_cfg)
    return {
        **whatif,
        "learned": LEARNED,
        "learned_transfers": transfer_search,
        "train_seconds": round(t_learned - t_tuned, 1),
        "tune_seconds": round(t_tuned - t0, 1),
        "study_seconds": round(time.perf_counter() - t0, 1),
        "rules_train_profit_per_day": train_profit,
        "learned_train_profit_per_day": {
            name: s["best_profit_per_day_train"] for name, s in searches.items()
        }
        | {"ppo_orders_validation": ppo.get("eval/profit_per_day")},
        "study": OmegaConf.to_container(study, resolve=True),
    }


def _train_ppo(
    cfg: DictConfig,
    train: Callable[[DictConfig], dict[str, Any]],
    out: Path,
    logger: list[str],
    base_rule: dict,
    transfers: dict,
) -> dict[str, Any]:
    """PPO on the residual action (``chain.ppo_experiment``'s settings), with the study's
    tuned rule and the tuned transfer rules in its env."""
    study = cfg.chain
    return train(
        compose(
            config_name="train",
            overrides=[
                *logger,
                f"experiment={study.ppo_experiment}",
                f"run_name={cfg.run_name}_ppo",
                f"output_dir={out}",
                f"seed={int(cfg.seed)}",
                f"total_timesteps={int(study.ppo_timesteps)}",
                f"checkpoint_every_steps={int(study.ppo_timesteps)}",
                f"eval.every_steps={max(int(study.ppo_timesteps) // 4, 1)}",
                f"env.scenario={cfg.env.scenario}",
                f"env.kwargs.base_rule.name={base_rule['name']}",
                f"+env.kwargs.base_rule.tuned_dir={base_rule['tuned_dir']}",
                f"+env.kwargs.transfer_policy={_inline(transfers)}",
                f"progress_bar={bool(cfg.progress_bar)}",
            ],
        )
    )


def _inline(mapping: dict[str, Any]) -> str:
    """A mapping as a Hydra override value (JSON is valid override syntax for flat strings)."""
    return "{" + ",".join(f"{k}:{json.dumps(str(v))}" for k, v in mapping.items()) + "}"
