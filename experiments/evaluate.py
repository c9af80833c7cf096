"""The what-if: ``python -m experiments.evaluate scenario=... 'policies=[...]'``.

Every policy sees the same demand (common random numbers: replication ``r``
uses seed ``first_seed + r`` for every policy) over ``replications``
replications, run in parallel local processes. The result holds every KPI
with a 95 % confidence interval, paired differences against the reference
policy with their intervals, and the share of replications each policy wins
on the objective (profit; average cost per period on PerishableInventory-v0).
A report is written to ``report_dir`` and the last printed line is one JSON
object ``{"scenario": ..., "policies": {name: {kpi: {"mean", "ci_low", "ci_high"}}}, ...}``.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from experiments.replicate import replicate_perishable, replicate_rule, replicate_sku_agents
from experiments.stats import mean_ci, paired_difference, win_shares
from experiments.tracking import flatten, git_commit, make_tracker
from sim.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
POLICY_DIR = REPO / "configs" / "policy"


def policy_config(name: str, cfg: DictConfig) -> dict[str, Any]:
    """The policy's config file, with tuned parameters and overrides merged in."""
    path = POLICY_DIR / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in POLICY_DIR.glob("*.yaml"))
        raise ConfigError("policies", name, f"names in configs/policy: {known} (or rl_models keys)")
    conf = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    tuned_root = Path(cfg.tuned_dir) if Path(cfg.tuned_dir).is_absolute() else REPO / cfg.tuned_dir
    tuned_file = tuned_root / cfg.scenario / f"{name}.json"
    if cfg.tuned and tuned_file.exists():
        best = json.loads(tuned_file.read_text())["best_params"]
        for key, value in best.items():
            if key in conf:  # composite policies' tuned knobs are not constructor fields
                conf[key] = value
    conf.update(OmegaConf.to_container(cfg.policy_overrides, resolve=True).get(name, {}))
    return conf


def _jobs(cfg: DictConfig) -> list[tuple[str, int, Any, tuple]]:
    seeds = [int(cfg.first_seed) + r for r in range(int(cfg.replications))]
    rl = OmegaConf.to_container(cfg.rl_models, resolve=True)
    jobs = []
    for name in list(cfg.policies) + list(rl):
        for seed in seeds:
            if cfg.scenario == "perishable":
                env_kwargs = OmegaConf.to_container(cfg.perishable.env, resolve=True) or {}
                pol = (
                    policy_config(name, cfg)
                    if name not in rl
                    else {"_target_": "policies.rl.agent.load_agent", **rl[name]}
                )
                jobs.append(
                    (
                        name,
                        seed,
                        replicate_perishable,
                        (env_kwargs, pol, seed, int(cfg.perishable.periods)),
                    )
                )
            elif name in rl:
                m = rl[name]
                args = (
                    cfg.scenario,
                    m["model_path"],
                    m.get("algo_class_path", "stable_baselines3.PPO"),
                    m.get("stats_path"),
                    seed,
                    int(cfg.days),
                    int(cfg.warmup_days),
                    m.get("env_kwargs"),
                )
                jobs.append((name, seed, replicate_sku_agents, args))
            else:
                args = (
                    cfg.scenario,
                    policy_config(name, cfg),
                    seed,
                    int(cfg.days),
                    int(cfg.warmup_days),
                    tuple(cfg.scenario_overrides),
                )
                jobs.append((name, seed, replicate_rule, args))
    return jobs


def run_jobs(jobs: list, n_jobs: int) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    if n_jobs <= 1:
        results = [fn(*args) for _, _, fn, args in jobs]
    else:
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            results = list(pool.map(_call, [(fn, args) for _, _, fn, args in jobs]))
    for (name, _, _, _), result in zip(jobs, results, strict=True):
        out.setdefault(name, []).append(result)
    return out


def _call(job: tuple) -> dict:
    fn, args = job
    return fn(*args)


def summarise(
    results: dict[str, list[dict]], reference: str, objective: str, higher_is_better: bool
) -> dict[str, Any]:
    names = list(results)
    if reference not in results:
        raise ConfigError("reference", reference, f"one of the evaluated policies {names}")
    kpi_names = [k for k, v in results[names[0]][0]["kpis"].items() if isinstance(v, int | float)]
    per_policy = {n: {k: [r["kpis"][k] for r in results[n]] for k in kpi_names} for n in names}
    summary = {n: {k: mean_ci(v) for k, v in per_policy[n].items()} for n in names}
    diffs = {
        n: {k: paired_difference(per_policy[n][k], per_policy[reference][k]) for k in kpi_names}
        for n in names
        if n != reference
    }
    wins = win_shares(
        {n: per_policy[n][objective] for n in names}, higher_is_better=higher_is_better
    )
    return {
        "summary": summary,
        "paired_differences": diffs,
        "win_share": wins,
        "per_replication": per_policy,
    }


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Run the study, write the report, log to MLflow; returns the study's outcome."""
    t0 = time.perf_counter()
    jobs = _jobs(cfg)
    results = run_jobs(jobs, int(cfg.n_jobs))
    perishable = cfg.scenario == "perishable"
    objective = "avg_cost_per_period" if perishable else "profit"
    outcome = summarise(results, cfg.reference, objective, higher_is_better=not perishable)
    seeds = [int(cfg.first_seed) + r for r in range(int(cfg.replications))]
    from experiments.report import write_report

    report = write_report(cfg, results, outcome, objective, seeds)
    tracker = make_tracker(cfg.logger, cfg.study)
    with tracker:
        tracker.log_params(flatten(cfg))
        tracker.set_tags({"git_commit": git_commit(), "kind": "what-if", "seeds": str(seeds)})
        for name, kpis in outcome["summary"].items():
            tracker.log_metrics({f"{name}.{k}": v["mean"] for k, v in kpis.items()})
        tracker.log_artifact(report.parent, "report")
    return {
        "scenario": cfg.scenario,
        "policies": outcome["summary"],
        "reference": cfg.reference,
        "paired_differences": outcome["paired_differences"],
        "win_share": outcome["win_share"],
        "seeds": seeds,
        "report": str(report),
        "wall_s": round(time.perf_counter() - t0, 1),
    }


@hydra.main(config_path="../configs", config_name="evaluate", version_base="1.3")
def main(cfg: DictConfig) -> None:
    print(json.dumps(evaluate(cfg), default=float))


if __name__ == "__main__":
    main()
