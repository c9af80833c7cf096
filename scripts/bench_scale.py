"""Benchmark a seed-scale chain simulated region by region, each in its own process.

    python scripts/bench_scale.py [--scenario liqun_chain] [--days 7] [--regions 4] --json

Loads the scenario once, cuts it into regions (``sim.shard``: a DC and the
stores it serves), and simulates each region's days with the daily
order-up-to driver of ``bench_sim``: in fresh local worker processes, first
one after the other, then two at once, and then as Ray tasks on a local Ray
cluster of two CPUs (started before the clock runs). Prints one JSON object
with ``store_sku_days_per_s_local`` (two processes),
``store_sku_days_per_s_1_worker``, ``speedup_2_workers``,
``store_sku_days_per_s_ray``, ``peak_rss_mb_per_worker`` (the largest region
process), ``region_store_skus`` (the largest region), ``load_s``, the
regions' fill rates (equal on both executors: the same seed gives the same
run), and what was run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.bench_sim import drive_order_up_to
from sim.demand.config import parametric_spec
from sim.demand.parametric import ParametricDemand
from sim.demand.spec import ParametricDemandSpec
from sim.engine import Simulation
from sim.scenario import load_scenario
from sim.shard import region_demand, region_network, region_stores, served_regions
from sim.spec import NetworkSpec


def run_region(
    network: NetworkSpec, demand: ParametricDemandSpec, days: int, seed: int
) -> dict[str, Any]:
    """Simulate one region's days in this process; its KPIs, wall time and peak memory."""
    t0 = time.perf_counter()
    sim = Simulation(network, ParametricDemand(demand, network), seed=seed)
    drive_order_up_to(sim, days)
    chain = sim.kpis().chain
    sim.assert_conserved()  # every unit accounted for, to the unit
    return {
        "region": network.name,
        "store_skus": network.n_stores * network.n_skus,
        "wall_s": time.perf_counter() - t0,
        "fill_rate": chain["fill_rate"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def _region_task(task: tuple[NetworkSpec, ParametricDemandSpec, int, int]) -> dict[str, Any]:
    return run_region(*task)


def run_on_ray(
    regions: list[tuple[NetworkSpec, ParametricDemandSpec]], days: int, seed: int
) -> tuple[float, list[dict[str, Any]]]:
    """Wall time and results of every region as a Ray task (local cluster, 2 CPUs)."""
    from experiments.ray_executor import ensure_ray, ray_map

    ensure_ray(num_cpus=2)  # started before the clock: a cluster is up before a study
    t0 = time.perf_counter()
    tasks = [(net, spec, days, seed) for net, spec in regions]
    results = ray_map(_region_task, tasks, num_cpus=2, desc="regions", unit="region")
    return time.perf_counter() - t0, results


def run_all(
    regions: list[tuple[NetworkSpec, ParametricDemandSpec]], days: int, seed: int, workers: int
) -> tuple[float, list[dict[str, Any]]]:
    """Wall time and results of every region on ``workers`` fresh processes (one task each)."""
    context = mp.get_context("spawn")  # a fresh interpreter: its peak is the region's own
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=context, max_tasks_per_child=1) as pool:
        futures = [pool.submit(run_region, net, spec, days, seed) for net, spec in regions]
        results = [f.result() for f in futures]
    return time.perf_counter() - t0, results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="liqun_chain")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--regions", type=int, default=None, help="the first N regions only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    scenario = load_scenario(args.scenario)
    chain = scenario.network
    spec = parametric_spec(scenario.demand_cfg, chain)
    dcs = served_regions(chain)[: args.regions]
    regions = [
        (region_network(chain, dc), region_demand(spec, region_stores(chain, dc))) for dc in dcs
    ]
    load_s = time.perf_counter() - t0
    store_skus = sum(net.n_stores * net.n_skus for net, _ in regions)

    one_s, _ = run_all(regions, args.days, args.seed, workers=1)
    two_s, results = run_all(regions, args.days, args.seed, workers=2)
    ray_s, on_ray = run_on_ray(regions, args.days, args.seed)
    same = [r["fill_rate"] for r in results] == [r["fill_rate"] for r in on_ray]
    result = {
        "scenario": args.scenario,
        "stores": chain.n_stores,
        "skus": chain.n_skus,
        "regions": len(regions),
        "days": args.days,
        "region_store_skus": max(r["store_skus"] for r in results),
        "load_s": round(load_s, 1),
        "wall_s_1_worker": round(one_s, 1),
        "wall_s_2_workers": round(two_s, 1),
        "store_sku_days_per_s_1_worker": round(store_skus * args.days / one_s),
        "store_sku_days_per_s_local": round(store_skus * args.days / two_s),
        "speedup_2_workers": round(one_s / two_s, 2),
        "wall_s_ray": round(ray_s, 1),
        "store_sku_days_per_s_ray": round(store_skus * args.days / ray_s),
        "ray_same_as_local": same,
        "peak_rss_mb_per_worker": round(max(r["peak_rss_mb"] for r in results), 1),
        "peak_rss_mb_per_ray_worker": round(max(r["peak_rss_mb"] for r in on_ray), 1),
        "fill_rate_by_region": {r["region"]: round(r["fill_rate"], 4) for r in results},
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>30}: {value}")
    return result


if __name__ == "__main__":
    main()
