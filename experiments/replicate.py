"""One replication = a pure function of (configuration, seed) -> KPIs and trajectories.

Nothing here touches global state, so replications run in local processes
today and can be shipped to a distributed engine (Ray) unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from hydra.utils import instantiate

from policies.configs import split_run_settings
from policies.forecast import HistoryForecast
from policies.linear_residual import LinearResidualPolicy
from policies.runner import DECISION_HOUR, run_rule
from policies.tuning import SmoothedDemand
from sim.demand.config import parametric_spec
from sim.demand.parametric import ParametricDemand
from sim.engine import Simulation
from sim.errors import ConfigError
from sim.ledger import PairFlow
from sim.scenario import Scenario, build_demand_source, load_scenario
from sim.shard import (
    merge_chain_kpis,
    merge_network,
    region_demand,
    region_network,
    region_stores,
)
from sim.spec import NetworkSpec

LINEAR_RESIDUAL = "policies.linear_residual.LinearResidualPolicy"  # rl_models algo_class_path
TRACKED = 3  # store-SKUs whose daily trajectory is kept for the report


@lru_cache(maxsize=4)
def _scenario(name: str, overrides: tuple[str, ...]) -> tuple[Scenario, Any]:
    sc = load_scenario(name, overrides)
    return sc, build_demand_source(sc)


def tracked_store_skus(net: NetworkSpec) -> list[tuple[int, int]]:
    """A few busy perishable store-SKUs of a network (the same for every policy)."""
    perishable = np.flatnonzero(net.skus.shelf_life_days > 0)
    picks = (
        perishable[:: max(1, len(perishable) // TRACKED)][:TRACKED]
        if len(perishable)
        else np.arange(min(TRACKED, net.n_skus))
    )
    return [(i % net.n_stores, int(k)) for i, k in enumerate(picks)]


def _daily_record(sim: Simulation, tracked: list[tuple[int, int]], out: dict[str, list]) -> None:
    st = sim.snapshot()
    out["on_hand"].append([int(st.store_on_hand[s, k]) for s, k in tracked])
    out["lost"].append(
        [int(st.demand_yesterday[s, k] - st.sales_yesterday[s, k]) for s, k in tracked]
    )


def replicate_rule(
    scenario: str,
    policy_cfg: dict,
    seed: int,
    days: int,
    warmup_days: int,
    overrides: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A heuristic (or composite) policy from its config on a shipped scenario."""
    sc, demand = _scenario(scenario, tuple(overrides))
    sim = Simulation(sc.network, demand, seed=int(seed))
    tracked = tracked_store_skus(sc.network)
    traj, counts = _run_policy(sim, policy_cfg, seed, days, warmup_days, tracked)
    result = _result(sim, traj)
    result["kpis"] = with_review_kpis(result["kpis"], counts)
    return result


def replicate_rule_region(
    scenario: str,
    policy_cfg: dict,
    seed: int,
    days: int,
    warmup_days: int,
    overrides: tuple[str, ...],
    dc: int,
) -> dict[str, Any]:
    """``replicate_rule`` on one region of the scenario (``sim.shard``): what
    ``merge_region_results`` needs to rebuild the chain's replication (totals, network
    counters, the tracked store-SKUs that are the region's), not the region's arrays."""
    region = _region(scenario, tuple(overrides), dc)
    sim = Simulation(region.network, region.demand, seed=int(seed))
    tracked = [(int(region.local[s]), k) for s, k in region.tracked]
    traj, counts = _run_policy(sim, policy_cfg, seed, days, warmup_days, tracked)
    report = sim.kpis()
    return {
        "review_counts": counts,
        "region": dc,
        "seed": int(seed),
        "totals": report.totals,
        "network": replace(sim.counters_view().network),
        "period_hours": report.period_hours,
        "tracked": region.tracked,
        "trajectory": traj,
        "store_profit": report.per_store["profit"].tolist(),
    }


def merge_region_results(scenario: str, overrides: tuple[str, ...], parts: list[dict]) -> dict:
    """One replication of the chain from its regions' ``replicate_rule_region`` results
    (one seed): the chain's KPIs, the tracked store-SKUs' trajectories in the chain's
    order and the courier flows between chain stores, as ``replicate_rule`` returns them."""
    seeds = {p["seed"] for p in parts}
    if len(seeds) != 1:
        raise ValueError(f"parts: seeds {sorted(seeds)}; allowed: the regions of one seed")
    chain = load_network_cached(scenario, tuple(overrides))
    kpis = merge_chain_kpis(
        chain, [(p["region"], p["totals"], p["network"]) for p in parts], parts[0]["period_hours"]
    )
    tracked = tracked_store_skus(chain)
    traj: dict[str, list] = {}
    for key in ("on_hand", "lost"):
        days = len(parts[0]["trajectory"][key])
        rows: list[list[int]] = [[0] * len(tracked) for _ in range(days)]
        for p in parts:
            for j, pair in enumerate(p["tracked"]):
                column = tracked.index(pair)
                for day in range(days):
                    rows[day][column] = p["trajectory"][key][day][j]
        traj[key] = rows
    network = merge_network([(region_stores(chain, p["region"]), p["network"]) for p in parts])
    store_profit = np.zeros(chain.n_stores)
    for p in parts:
        store_profit[region_stores(chain, p["region"])] = p["store_profit"]
    counts: dict[str, int] = {}
    for p in parts:
        for key, value in p.get("review_counts", {}).items():
            counts[key] = counts.get(key, 0) + value
    return {
        "kpis": with_review_kpis(kpis, counts),
        "trajectory": traj,
        "transfer_flows": {f"{o}->{d}": units for (o, d), units in network.transfer_flows.items()},
        "store_profit": store_profit.tolist(),
        "transfer_pairs": pair_rows(network.transfer_pairs),
    }


def _run_policy(
    sim: Simulation,
    policy_cfg: dict,
    seed: int,
    days: int,
    warmup_days: int,
    tracked: list[tuple[int, int]],
) -> dict[str, list]:
    """Warm up, reset the KPIs, run the reported days; the tracked store-SKUs' days.
    A ``refresh_hours`` entry of the policy's config is how it is run (decisions every
    that many hours of the opening day, ``policies.runner.run_rule``), not a parameter."""
    policy_cfg, settings = split_run_settings(policy_cfg)
    refresh = settings.get("refresh_hours")
    rule = instantiate(policy_cfg)
    if hasattr(rule, "reset"):
        rule.reset(seed)
    forecast: Any = SmoothedDemand()
    if settings.get("forecaster") is not None:  # a forecaster in the decision path
        forecast = HistoryForecast(instantiate(settings["forecaster"]), forecast)
    run_rule(sim, rule, warmup_days, forecast=forecast, refresh_hours=refresh)
    # the KPI period runs from the first reported day's decision to the same hour ``days``
    # days later: the SKU-agent env's episode, so rules and agents are paired on one window
    sim.run_until(24.0 * warmup_days + DECISION_HOUR)
    sim.reset_kpis()
    if hasattr(rule, "reset_period"):
        rule.reset_period()
    if isinstance(forecast, HistoryForecast):
        forecast.reset_accuracy()
    traj: dict[str, list] = {"on_hand": [], "lost": []}
    for _ in range(days):
        run_rule(sim, rule, 1, forecast=forecast, refresh_hours=refresh)
        _daily_record(sim, tracked, traj)
    sim.run_until(24.0 * (warmup_days + days) + DECISION_HOUR)
    counts = rule.period_counts() if hasattr(rule, "period_counts") else {}
    if isinstance(forecast, HistoryForecast):
        counts = {**counts, **forecast.accuracy()}
    return traj, counts


def with_review_kpis(kpis: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    """The KPIs with a policy's own counts (``TransferRulesPolicy.period_counts``: the
    manager review's decisions, the days and units of each degradation mode) and the
    review's rates: the share of transfer alerts vetoed and run without a decision."""
    if not counts:
        return kpis
    out = {**kpis, **counts}
    if counts.get("review_lines"):
        reviewed = counts["review_lines"]
        out["override_rate"] = (counts["review_changed"] + counts["review_rejected"]) / reviewed
    if counts.get("forecast_demand"):
        out["forecast_wape"] = counts["forecast_abs_error"] / counts["forecast_demand"]
        out["forecast_bias"] = counts["forecast_error"] / counts["forecast_demand"]
    if "predictive_lines" in counts:
        lines = counts["predictive_lines"]
        moved = counts["predictive_units"] + counts["reactive_units"]
        out["predictive_precision"] = counts["predictive_lines_sold"] / lines if lines else 0.0
        out["predictive_share"] = counts["predictive_units"] / moved if moved else 0.0
    if "transfer_alerts" in counts:
        alerts = counts["transfer_alerts"]
        out["transfer_veto_rate"] = counts["transfer_alerts_vetoed"] / alerts if alerts else 0.0
        out["transfer_automatic_share"] = (
            counts["transfer_alerts_automatic"] / alerts if alerts else 0.0
        )
    return out


@dataclass(frozen=True, eq=False)
class _Region:
    network: NetworkSpec
    demand: ParametricDemand
    local: dict[int, int]  # chain store index -> the region's
    tracked: list[tuple[int, int]]  # the chain's tracked store-SKUs in this region


@lru_cache(maxsize=1)
def _region(name: str, overrides: tuple[str, ...], dc: int) -> _Region:
    """Region ``dc`` of a scenario with parametric demand. One region is kept per worker
    and the chain is let go: a liqun_chain region is about 200 MB, its simulation up
    to 3.8 GB, so a worker that kept every region it met would outgrow 4 GB."""
    sc = load_scenario(name, overrides)
    if sc.demand_cfg.get("kind") != "parametric":
        raise ConfigError(
            "shard", "region", f"a scenario with parametric demand ({name} has "
            f"{sc.demand_cfg.get('kind')!r})"
        )  # fmt: skip
    rows = region_stores(sc.network, dc)
    network = region_network(sc.network, dc)
    spec = region_demand(parametric_spec(sc.demand_cfg, sc.network), rows)
    local = {int(s): i for i, s in enumerate(rows)}
    tracked = [(s, k) for s, k in tracked_store_skus(sc.network) if s in local]
    return _Region(network, ParametricDemand(spec, network), local, tracked)


@lru_cache(maxsize=4)
def load_network_cached(name: str, overrides: tuple[str, ...]) -> NetworkSpec:
    """The scenario's network (no demand model), cached per process."""
    return load_scenario(name, overrides).network


def sku_agent_model(
    model: dict[str, Any],
    *,
    base_rule: dict[str, Any],
    transfer_policy: dict[str, Any] | None = None,
    overrides: Sequence[str] = (),
    max_multiplier: float = 4.0,
) -> dict[str, Any]:
    """An ``rl_models`` entry of ``experiments.evaluate`` for a residual policy on the SKU-agent
    env.

    Args:
        model: ``model_path``, ``algo_class_path`` and (SB3) ``stats_path``.
        base_rule: the Hydra config of the rule the residual acts on (with the tuning the
            policy was trained on), e.g. ``policies.configs.tuned_rule``.
        transfer_policy: the Hydra config of the env's transfer planner (None: no transfers).
        overrides: the scenario's Hydra overrides (a variant), for the env.
    """
    env_kwargs: dict[str, Any] = {
        "action_mode": "residual",
        "max_multiplier": max_multiplier,
        "base_rule": dict(base_rule),
    }
    if transfer_policy is not None:
        env_kwargs["transfer_policy"] = dict(transfer_policy)
    if overrides:
        env_kwargs["overrides"] = list(overrides)
    return {
        "model_path": str(model["model_path"]),
        "algo_class_path": str(model.get("algo_class_path", LINEAR_RESIDUAL)),
        "stats_path": model.get("stats_path"),
        "env_kwargs": env_kwargs,
    }


def linear_residual_model(
    policy_path: str | Path,
    *,
    base_rule: str,
    scenario: str,
    tuned_dir: str | Path,
    overrides: Sequence[str] = (),
    transfer_policy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``sku_agent_model`` for a saved linear residual policy on the tuned ``base_rule``
    (a ``configs/policy`` name, built with its tuning from ``tuned_dir``)."""
    rule = {
        "_target_": "policies.configs.tuned_rule",
        "name": base_rule,
        "scenario": scenario,
        "tuned_dir": str(tuned_dir),
    }
    return sku_agent_model(
        {"model_path": str(policy_path)},
        base_rule=rule,
        transfer_policy=transfer_policy,
        overrides=overrides,
    )


def replicate_sku_agents(
    scenario: str,
    model_path: str,
    algo_class_path: str,
    stats_path: str | None,
    seed: int,
    days: int,
    warmup_days: int,
    env_kwargs: dict | None = None,
) -> dict[str, Any]:
    """A trained shared per-store-SKU policy, acting through the SKU-agent env on the same seed."""
    from envs.sku_agents import SkuAgents

    agents = SkuAgents(
        scenario=scenario,
        episode_days=days,
        warmup_days=warmup_days,
        **instantiate(env_kwargs or {}, _convert_="all"),  # objects (base_rule) built by Hydra
    )
    agent = load_shared_agent(model_path, algo_class_path, stats_path)
    sc, _ = _scenario(scenario, ())
    tracked = tracked_store_skus(sc.network)
    traj: dict[str, list] = {"on_hand": [], "lost": []}
    sim = sku_agent_episode(agents, agent, seed, lambda s: _daily_record(s, tracked, traj))
    return _result(sim, traj)


def load_shared_agent(
    model_path: str | Path, algo_class_path: str = LINEAR_RESIDUAL, stats_path: str | None = None
) -> Any:
    """A shared per-store-SKU policy with ``predict``: a linear residual (JSON) or an SB3 model
    (with its observation statistics)."""
    if algo_class_path == LINEAR_RESIDUAL:
        return LinearResidualPolicy.load(model_path)
    from policies.rl.agent import load_agent

    return load_agent(str(model_path), algo_class_path, stats_path)


def sku_agent_episode(
    agents: Any, agent: Any, seed: int, on_decision: Callable[[Simulation], None] | None = None
) -> Simulation:
    """One episode of a shared per-store-SKU ``agent`` (``predict``) on ``seed``.

    The KPI period starts after the env's warm-up; ``on_decision`` runs after every
    ordering step. Returns the episode's simulator (read its ``kpis()``).
    """
    obs = agents.reset(int(seed))
    if hasattr(agent, "reset"):
        agent.reset(int(seed))  # a new episode (recurrent policies drop their memory)
    sim = agents.core.sim
    sim.reset_kpis()
    over = False
    while not over:
        actions, _ = agent.predict(obs, deterministic=True)
        _, over = agents.step(actions)
        obs = agents.observe()
        if on_decision is not None and agents.core.is_decision_step:
            on_decision(sim)
    return sim


def replicate_perishable(
    env_kwargs: dict, policy_cfg: dict, seed: int, periods: int
) -> dict[str, Any]:
    """A policy on ``PerishableInventory-v0``: mean cost per period and its terms."""
    from envs.perishable.env import PerishableInventoryEnv
    from policies.agent import HeuristicAgent

    env = PerishableInventoryEnv(**env_kwargs)
    policy = instantiate(policy_cfg)
    agent = policy if hasattr(policy, "predict") else HeuristicAgent(policy, env)
    obs, _ = env.reset(seed=int(seed))
    totals = {
        "cost": 0.0,
        "order_cost": 0.0,
        "lost_sales_cost": 0.0,
        "waste_cost": 0.0,
        "holding_cost": 0.0,
        "demand_units": 0,
        "sold_units": 0,
        "wasted_units": 0,
    }
    for _ in range(periods):
        action, _ = agent.predict(obs, deterministic=True)
        obs, _, _, _, info = env.step(action)
        for key in totals:
            totals[key] += info[key]
    kpis = {
        f"avg_{k}_per_period" if k.endswith("cost") else k: v
        / (periods if k.endswith("cost") else 1)
        for k, v in totals.items()
    }
    kpis["fill_rate"] = (
        totals["sold_units"] / totals["demand_units"] if totals["demand_units"] else 1.0
    )
    return {"kpis": kpis, "trajectory": {}, "transfer_flows": {}}


def _result(sim: Simulation, traj: dict[str, list]) -> dict[str, Any]:
    report = sim.kpis()
    network = sim.counters_view().network
    flows = {f"{o}->{d}": units for (o, d), units in network.transfer_flows.items()}
    return {
        "kpis": dict(report.chain),
        "trajectory": traj,
        "transfer_flows": flows,
        "store_profit": report.per_store["profit"].tolist(),
        "transfer_pairs": pair_rows(network.transfer_pairs),
    }


def pair_rows(pairs: dict[tuple[int, int], PairFlow]) -> dict[str, dict[str, float]]:
    """Courier flows per store pair as ``{"o->d": {units, trips, km, ...}}`` (JSON-ready)."""
    return {f"{o}->{d}": asdict(flow) for (o, d), flow in sorted(pairs.items())}
