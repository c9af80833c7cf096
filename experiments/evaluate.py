"""The what-if: ``python -m experiments.evaluate scenario=... 'policies=[...]'``.

Every policy sees the same demand (common random numbers: replication ``r``
uses seed ``first_seed + r`` for every policy) over ``replications``
replications, run in parallel local processes. The result holds every KPI
with a 95 % confidence interval, paired differences against the reference
policy with their intervals, and the share of replications each policy wins
on the objective (profit; average cost per period on PerishableInventory-v0).
A report is written to ``report_dir`` and the last printed line is one JSON
object ``{"scenario": ..., "policies": {name: {kpi: {"mean", "ci_low", "ci_high"}}}, ...}``.

MLflow: one parent run for the study (the flattened config, the report and its
plots as artifacts, ``<policy>/<objective>`` and ``<policy>/win_share``; itself a child
of the run active in this process, e.g. a chain study's) and one child run
per policy, nested under it (params: the policy's configuration with its tuned
parameters; metrics: every KPI's mean and 95 % interval bounds, the paired
difference of the objective against the reference, the win share; tags: the
seeds, the policy, where its tuned parameters came from).

Learning curves: ``learning_curves: {name: <train output_dir>}`` adds to the
report the periodic held-out evaluation of an RL run (``experiments.train``
logs it to TensorBoard under ``<output_dir>/tb``) against training timesteps,
with each heuristic of the study evaluated the same way as a horizontal line.
Search curves: ``search_curves: {name: <experiments.cmaes output_dir>}`` adds the
CMA-ES searches' progress per generation (``result.json``).
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from experiments.replicate import (
    load_network_cached,
    merge_region_results,
    replicate_perishable,
    replicate_rule,
    replicate_rule_region,
    replicate_sku_agents,
)
from experiments.report import (
    LearningCurve,
    read_learning_curve,
    read_search_curve,
    write_report,
)
from experiments.scenario_choice import select_scenario
from experiments.stats import mean_ci, paired_difference, win_shares
from experiments.task_failures import RETRIES, TaskFailure, TaskFailures, raise_failures
from experiments.tracking import ci_metrics, flatten, git_commit, make_tracker, training_run_id
from policies.configs import policy_config, tuned_file
from sim.errors import ConfigError
from sim.progress import progress
from sim.validation import integer_value


class StudyWarning(UserWarning):
    """A what-if whose numbers need a caveat (named in the report and the JSON line)."""


SHARDS = (None, "region")


def shard_regions(cfg: DictConfig) -> list[int] | None:
    """The DCs whose regions are simulated apart (``shard=region``), or None (whole)."""
    shard = cfg.get("shard")
    if shard not in SHARDS:
        raise ConfigError("shard", shard, "null (the whole chain per task) or region")
    if shard is None:
        return None
    if cfg.scenario == "perishable" or cfg.rl_models:
        raise ConfigError(
            "shard", shard, "null for the perishable system and for trained agents (rl_models);"
            " region shards run heuristic and composite policies"
        )  # fmt: skip
    from sim.shard import region_pool_refusal, served_regions

    network = load_network_cached(cfg.scenario, tuple(cfg.scenario_overrides))
    if (refusal := region_pool_refusal(network)) is not None:
        raise refusal
    return served_regions(network)


def _jobs(cfg: DictConfig) -> list[tuple[str, int, Any, tuple]]:
    seeds = [int(cfg.first_seed) + r for r in range(int(cfg.replications))]
    rl = OmegaConf.to_container(cfg.rl_models, resolve=True)
    regions = shard_regions(cfg)
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
                if regions is None:
                    jobs.append((name, seed, replicate_rule, args))
                else:  # a (policy, seed, region) task each; merged per seed after the run
                    jobs += [(name, seed, replicate_rule_region, (*args, dc)) for dc in regions]
    return jobs


def merge_shards(cfg: DictConfig, results: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Per policy, the regions' results of each seed merged into the chain's replication
    (unchanged without ``shard``)."""
    if cfg.get("shard") is None:
        return results
    overrides = tuple(cfg.scenario_overrides)
    merged: dict[str, list[dict]] = {}
    for name, parts in results.items():
        by_seed: dict[int, list[dict]] = {}
        for part in parts:
            by_seed.setdefault(part["seed"], []).append(part)
        merged[name] = [
            merge_region_results(cfg.scenario, overrides, seed_parts)
            for seed_parts in by_seed.values()
        ]
    return merged


def run_jobs(
    jobs: list,
    n_jobs: int,
    desc: str = "what-if",
    ray_cfg: DictConfig | None = None,
    *,
    big_tasks: bool = False,
) -> dict[str, list[dict]]:
    """Run the (policy, seed) replications, ``n_jobs`` local processes at a time or as Ray
    tasks (``ray_cfg``: ``address``, ``num_cpus``), with a progress bar; results by policy
    in seed order, the same to the bit either way. ``big_tasks`` (regions of a seed-scale
    chain) gives each Ray task a fresh worker process.

    Raises:
        TaskFailures: tasks that failed on their retry too, each named by policy, seed and
            shard; the other tasks ran to the end and their results are in it (``results``,
            in job order; ``by_policy`` sorts them as this function returns them).
    """
    labels = [job_label(job) for job in jobs]
    if ray_cfg is not None:
        from experiments.ray_executor import ray_map

        address, cpus = ray_cfg.get("address"), ray_cfg.get("num_cpus")
        results = ray_map(
            _call, jobs, address=address, num_cpus=cpus, desc=desc, unit="replication",
            fresh_workers=big_tasks, labels=labels,
        )  # fmt: skip
    else:
        results = _run_locally(jobs, n_jobs, desc, labels, fresh_workers=big_tasks)
    return by_policy(jobs, results)


def by_policy(jobs: list, results: list) -> dict[str, list[dict]]:
    """Job-ordered results as {policy: [results in seed order]}, skipping failed (None) ones."""
    out: dict[str, list[dict]] = {}
    for (name, _, _, _), result in zip(jobs, results, strict=True):
        if result is not None:
            out.setdefault(name, []).append(result)
    return out


def job_label(job: tuple) -> str:
    """A job as the reports name it: policy, seed and, for a region task, its shard."""
    name, seed, fn, args = job
    shard = f", shard region {args[-1]}" if fn is replicate_rule_region else ""
    return f"policy {name!r}, seed {seed}{shard}"


def kept_replications(jobs: list, failed: TaskFailures) -> tuple[dict[str, list[dict]], list[int]]:
    """After failures, the results of the seeds where every task succeeded (every policy
    keeps the same seeds, so comparisons stay paired) and the seeds left out."""
    lost = sorted({jobs[f.index][1] for f in failed.failures})
    kept = [r if jobs[i][1] not in lost else None for i, r in enumerate(failed.results)]
    return by_policy(jobs, kept), lost


def _run_locally(
    jobs: list, n_jobs: int, desc: str, labels: list[str], *, fresh_workers: bool = False
) -> list[dict]:
    """The replications in this process or ``n_jobs`` local ones; results in job order.
    A failed job runs once more (``RETRIES``), then it is reported with the others'
    results kept (``TaskFailures``). ``fresh_workers``: each job in a new process."""
    results: list[Any] = [None] * len(jobs)
    failures: list[TaskFailure] = []
    with progress(len(jobs), desc, unit="replication") as bar:
        if n_jobs <= 1:
            for i, job in enumerate(jobs):
                for attempt in range(RETRIES + 1):
                    try:
                        results[i] = _call(job)
                        break
                    except Exception as err:
                        if attempt == RETRIES:
                            failures.append(TaskFailure(i, labels[i], err))
                bar.update()
        else:
            fresh = {"mp_context": get_context("spawn"), "max_tasks_per_child": 1}
            with ProcessPoolExecutor(
                max_workers=n_jobs, **(fresh if fresh_workers else {})
            ) as pool:
                attempts = {pool.submit(_call, job): (i, 0) for i, job in enumerate(jobs)}
                pending = set(attempts)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        i, attempt = attempts[future]
                        err = future.exception()
                        if err is None:
                            results[i] = future.result()
                        elif attempt < RETRIES:
                            try:
                                again = pool.submit(_call, jobs[i])
                            except RuntimeError as broken:  # the pool lost a worker
                                failures.append(TaskFailure(i, labels[i], broken))
                            else:
                                attempts[again] = (i, attempt + 1)
                                pending.add(again)
                                continue
                        else:
                            failures.append(TaskFailure(i, labels[i], err))
                        bar.update()
    raise_failures(failures, results)
    return results


EXECUTORS = ("local", "ray")


def ray_settings(cfg: DictConfig) -> DictConfig | None:
    """``cfg.ray`` when ``executor=ray``, None for local processes; anything else refused."""
    executor = cfg.get("executor", "local")
    if executor not in EXECUTORS:
        raise ConfigError("executor", executor, f"one of {list(EXECUTORS)}")
    if executor == "local":
        return None
    return cfg.get("ray") or OmegaConf.create({})


def _call(job: tuple) -> dict:
    """Run one (policy, seed) replication; a failure keeps its type and message and gains a
    note naming the task, in a worker process as in this one."""
    _, _, fn, args = job
    try:
        return fn(*args)
    except Exception as err:
        err.add_note(f"in the replication of {job_label(job)}")
        raise


def summarise(
    results: dict[str, list[dict]], reference: str, objective: str, higher_is_better: bool
) -> dict[str, Any]:
    names = list(results)
    if reference not in results:
        raise ConfigError("reference", reference, f"one of the evaluated policies {names}")

    def numeric(name: str) -> list[str]:
        first = results[name][0]["kpis"]
        return [k for k, v in first.items() if isinstance(v, int | float)]

    # compared: the KPIs every policy has; a policy's own (e.g. a manager review's veto
    # rate) is summarised for it alone
    shared = set.intersection(*(set(numeric(n)) for n in names))
    kpi_names = [k for k in numeric(names[0]) if k in shared]
    own = {n: [k for k in numeric(n) if k not in shared] for n in names}
    per_policy = {
        n: {k: [r["kpis"][k] for r in results[n]] for k in [*kpi_names, *own[n]]} for n in names
    }
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


def perishable_eval_cost(
    env_id: str, env_kwargs: dict, policy_cfg: dict, seed: int, periods: int
) -> dict[str, Any]:
    """A policy's mean cost per period, measured as ``experiments.train`` evaluates an agent."""
    import gymnasium as gym
    from hydra.utils import instantiate

    import envs  # noqa: F401 - registers the ShelfLife ids
    from policies.agent import HeuristicAgent
    from policies.tuning import mean_cost_in_env

    def agent(env: Any) -> Any:
        policy = instantiate(policy_cfg)
        return policy if hasattr(policy, "predict") else HeuristicAgent(policy, env)

    costs = mean_cost_in_env(lambda: gym.make(env_id, **env_kwargs), agent, [seed], periods)
    return {"kpis": {"avg_cost_per_period": float(costs[0])}}


def curve_baseline_jobs(cfg: DictConfig, curve: LearningCurve) -> tuple[list, str]:
    """Jobs evaluating the study's heuristics the way the training run evaluates its agent.

    Returns the jobs and, when there are none, why.
    """
    env = curve.env
    kwargs = dict(env.get("kwargs") or {})
    perishable_study = cfg.scenario == "perishable"
    jobs = []
    if env["kind"] == "sku_agents" and not perishable_study:
        scenario = env["scenario"]
        for name in cfg.policies:
            conf = policy_config(name, cfg, scenario=scenario)
            for seed in curve.eval_seeds:
                args = (
                    scenario,
                    conf,
                    seed,
                    int(env["episode_days"]),
                    int(kwargs.get("warmup_days", 3)),
                    tuple(kwargs.get("overrides", ())),
                )
                jobs.append((name, seed, replicate_rule, args))
    elif env["kind"] == "single" and perishable_study:
        periods = int(curve.train_cfg["eval"]["periods"])
        for name in cfg.policies:
            conf = policy_config(name, cfg)
            for seed in curve.eval_seeds:
                jobs.append(
                    (name, seed, perishable_eval_cost, (env["id"], kwargs, conf, seed, periods))
                )
    if jobs:
        return jobs, ""
    return [], f"the run's env ({env['kind']}) is not the study's scenario ({cfg.scenario})"


def with_baselines(cfg: DictConfig, curve: LearningCurve) -> LearningCurve:
    """The curve with each heuristic's level of its metric on the run's evaluation."""
    jobs, note = curve_baseline_jobs(cfg, curve)
    if not jobs:
        return dataclasses.replace(curve, note=note)
    results = run_jobs(
        jobs, int(cfg.n_jobs), desc=f"baselines of {curve.name}", ray_cfg=ray_settings(cfg)
    )
    levels = {
        name: float(sum(r["kpis"][curve.kpi] for r in runs) / len(runs))
        for name, runs in results.items()
    }
    return dataclasses.replace(curve, baselines=levels)


def child_metrics(name: str, outcome: dict[str, Any], objective: str) -> dict[str, float]:
    """A policy's KPI means and 95 % bounds, its paired difference and its win share."""
    metrics: dict[str, float] = {}
    for kpi, ci in outcome["summary"][name].items():
        metrics |= ci_metrics(kpi, ci)
    diff = outcome["paired_differences"].get(name, {}).get(objective)
    if diff is not None:
        metrics |= ci_metrics(f"vs_reference/{objective}", diff)
    metrics["win_share"] = outcome["win_share"][name]
    return metrics


def log_study(
    cfg: DictConfig,
    outcome: dict[str, Any],
    objective: str,
    seeds: list[int],
    report: Path,
    policy_params: dict[str, dict[str, Any]],
    tuned_from: dict[str, str],
) -> tuple[str | None, dict[str, str | None]]:
    """One parent run for the study, one nested child run per policy.

    Returns the parent's run id and the children's, by policy (None when tracking is off).
    """
    commit = git_commit()
    common_tags = {
        "git_commit": commit,
        "study": str(cfg.study),
        "scenario": str(cfg.scenario),
        "seeds": str(seeds),
        "first_seed": str(cfg.first_seed),
        "replications": str(cfg.replications),
    }
    children: dict[str, str | None] = {}
    rl = OmegaConf.to_container(cfg.rl_models, resolve=True) or {}
    trained_by = {n: training_run_id(m["model_path"]) for n, m in rl.items() if "model_path" in m}
    tracker = make_tracker(cfg.logger, cfg.study)
    with tracker:
        tracker.log_params(flatten(cfg))
        tracker.set_tags({**common_tags, "kind": "what-if", "reference": str(cfg.reference)})
        tracker.log_metrics(  # <policy>/<kpi>: the children hold every KPI
            {f"{n}/{objective}": k[objective]["mean"] for n, k in outcome["summary"].items()}
            | {f"{n}/win_share": share for n, share in outcome["win_share"].items()}
        )
        for name in outcome["summary"]:
            # nested: MLflow records the parent in the child's mlflow.parentRunId tag
            with make_tracker(cfg.logger, name, nested=True) as child:
                child.log_params(flatten(policy_params[name]))
                child.set_tags(
                    {
                        **common_tags,
                        "kind": "what-if policy",
                        "policy": name,
                        "reference": str(cfg.reference),
                        "is_reference": str(name == cfg.reference),
                        "tuned_from": tuned_from.get(name, ""),
                        "training_run_id": trained_by.get(name, ""),
                    }
                )
                child.log_metrics(child_metrics(name, outcome, objective))
                children[name] = child.run_id
        tracker.log_artifact(report.parent, "report")
    return tracker.run_id, children


def policy_params(cfg: DictConfig) -> dict[str, dict[str, Any]]:
    """What each policy ran with: its merged config (heuristics) or its model (RL)."""
    rl = OmegaConf.to_container(cfg.rl_models, resolve=True)
    out = {name: policy_config(name, cfg) for name in cfg.policies}
    return out | {name: dict(model) for name, model in rl.items()}


def tuned_sources(cfg: DictConfig) -> dict[str, str]:
    """The tuning result each heuristic's parameters came from ("" = config file only)."""
    return {
        name: str(tuned_file(name, cfg)) if cfg.tuned and tuned_file(name, cfg).exists() else ""
        for name in cfg.policies
    }


def resolve_window(cfg: DictConfig) -> None:
    """Fill ``days`` / ``warmup_days`` left null from the scenario's study window (its
    network config's ``study:``), in place, so the report and ``study.yaml`` hold numbers."""
    if cfg.days is not None and cfg.warmup_days is not None:
        days, warmup = cfg.days, cfg.warmup_days
    elif cfg.scenario == "perishable":
        days, warmup = 14, 7  # not used by the periodic system; kept for the record
    else:  # cached: shard_regions and the merge of a study by region read it again
        net = load_network_cached(cfg.scenario, tuple(cfg.scenario_overrides))
        days, warmup = net.study_days, net.study_warmup_days
    if cfg.days is None:
        cfg.days = days
    if cfg.warmup_days is None:
        cfg.warmup_days = warmup
    integer_value(cfg.days, "days", 1, 100_000)
    integer_value(cfg.warmup_days, "warmup_days", 0, 100_000)


def study_warnings(cfg: DictConfig, outcome: dict[str, Any]) -> list[str]:
    """What the reader must know before trusting the numbers: policies that sold nothing in
    the reported days (a window the scenario cannot fill), rules compared untuned (no
    tuning of them on this scenario), and tuned parameters applied to a modified scenario."""
    notes = []
    for name, kpis in outcome["summary"].items():
        sold = kpis.get("sold_units", {}).get("mean")
        demand = kpis.get("demand_units", {}).get("mean")
        if sold == 0 and demand:
            notes.append(
                f"{name} sold nothing in the {cfg.days} reported days (after {cfg.warmup_days}"
                f" warm-up days) although {demand:,.0f} units were demanded: the window may"
                " outlive the scenario's stock; see its network config's `study:` window"
            )
    variant = list(cfg.scenario_overrides)
    for name, path in tuned_sources(cfg).items():
        if not path:
            if cfg.tuned:
                notes.append(
                    f"{name} runs its untuned config defaults: no tuning of it on"
                    f" {cfg.scenario!r} (no {Path(cfg.tuned_dir) / cfg.scenario / name}.json):"
                    f" tune before comparing (scripts/tune_baselines.py --scenario {cfg.scenario})"
                )
            continue
        tuned = json.loads(Path(path).read_text())
        tuned_on = tuned.get("scenario_overrides", [])
        if tuned_on != variant:
            shown = f"the variant {tuned_on}" if tuned_on else f"the unmodified {cfg.scenario!r}"
            here = f"the variant {variant}" if variant else f"the unmodified {cfg.scenario!r}"
            command = " ".join(
                ["scripts/tune_baselines.py", "--scenario", str(cfg.scenario)]
                + [f"--override {o}" for o in variant]
            )
            notes.append(
                f"{name}'s tuned parameters ({path}) were tuned on {shown} and are applied to"
                f" {here}: re-tune for a fair comparison ({command})"
            )
        window = (tuned.get("days"), tuned.get("warmup_days"))
        if None not in window and window != (cfg.days, cfg.warmup_days):
            notes.append(
                f"{name}'s tuned parameters ({path}) were tuned on {window[0]} reported days"
                f" after {window[1]} warm-up days; this study reports {cfg.days} after"
                f" {cfg.warmup_days}"
            )
    return notes


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Run the study, write the report, log to MLflow; returns the study's outcome."""
    t0 = time.perf_counter()
    select_scenario(cfg)  # the composed scenario group -> its name + the overrides it carries
    resolve_window(cfg)
    # read the learning curves first: a wrong path fails now, not after the study
    wanted = cfg.get("learning_curves")
    wanted = OmegaConf.to_container(wanted, resolve=True) if wanted else {}
    curves = [read_learning_curve(name, path) for name, path in wanted.items()]
    searched = cfg.get("search_curves")
    searched = OmegaConf.to_container(searched, resolve=True) if searched else {}
    searches = [read_search_curve(name, path) for name, path in searched.items()]
    evaluated = [*cfg.policies, *(cfg.rl_models or {})]
    if cfg.reference not in evaluated:  # refused before any replication runs
        raise ConfigError("reference", cfg.reference, f"one of the evaluated policies {evaluated}")
    jobs = _jobs(cfg)
    sharded = cfg.get("shard") is not None
    seeds = [int(cfg.first_seed) + r for r in range(int(cfg.replications))]
    failed: list[str] = []
    try:
        raw = run_jobs(jobs, int(cfg.n_jobs), ray_cfg=ray_settings(cfg), big_tasks=sharded)
    except TaskFailures as err:
        raw, lost = kept_replications(jobs, err)
        if len(lost) == len(seeds):
            raise
        seeds = [seed for seed in seeds if seed not in lost]
        failed = [f"{f.label}: {type(f.error).__name__}: {f.error}" for f in err.failures]
        warnings.warn(str(err), StudyWarning, stacklevel=2)
    results = merge_shards(cfg, raw)
    perishable = cfg.scenario == "perishable"
    objective = "avg_cost_per_period" if perishable else "profit"
    outcome = summarise(results, cfg.reference, objective, higher_is_better=not perishable)
    curves = [with_baselines(cfg, c) for c in curves]
    notes = study_warnings(cfg, outcome)
    if failed:
        notes.insert(
            0,
            f"{len(failed)} task(s) failed after a retry; their seeds are left out for every"
            f" policy (the comparison stays paired), so this study reports {len(seeds)} of"
            f" {int(cfg.replications)} replications: " + "; ".join(failed),
        )
    for note in notes:
        warnings.warn(note, StudyWarning, stacklevel=2)
    report = write_report(
        cfg,
        results,
        outcome,
        objective,
        seeds,
        learning_curves=curves,
        search_curves=searches,
        warnings=notes,
    )
    parent, children = log_study(
        cfg, outcome, objective, seeds, report, policy_params(cfg), tuned_sources(cfg)
    )
    return {
        "scenario": cfg.scenario,
        "policies": outcome["summary"],
        "reference": cfg.reference,
        "paired_differences": outcome["paired_differences"],
        "win_share": outcome["win_share"],
        "seeds": seeds,
        "report": str(report),
        "learning_curves": {
            c.name: {"metric": c.metric, "points": len(c.values), "baselines": c.baselines}
            for c in curves
        },
        "warnings": notes,
        "failed_tasks": failed,
        "mlflow_run_id": parent,
        "mlflow_child_run_ids": children,
        "wall_s": round(time.perf_counter() - t0, 1),
    }


@hydra.main(config_path="../configs", config_name="evaluate", version_base="1.3")
def main(cfg: DictConfig) -> None:
    outcome = evaluate(cfg)
    print(json.dumps(outcome, default=float))
    if outcome["failed_tasks"]:  # the report is written, but the run did not complete
        raise SystemExit(f"evaluate: {len(outcome['failed_tasks'])} task(s) failed; see warnings")


if __name__ == "__main__":
    main()
