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

Then the daily list at that scale: a base-stock policy exported for the
scenario, a synthetic state table of every orderable store-SKU (Parquet, row
groups of a million rows, plausible stock from the catalog's demand scale)
and ``scripts/recommend.py`` run on it in its own process:
``daily_list_rows``, ``daily_list_10m_seconds`` (the list's wall time, read,
decide and write, scaled to 10 M rows if the chain has another size: the
measured rows are in ``daily_list_rows``) and ``daily_list_peak_rss_mb``; then the
same list on Ray by four store blocks (``--executor ray``, a local cluster of the
machine's CPUs started inside the timed run): ``daily_list_10m_seconds_ray``,
``daily_list_ray_driver_peak_rss_mb`` and whether its rows and units equal the local list's.
``--skip-daily-list`` leaves it out.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.bench_sim import drive_order_up_to
from scripts.peak_memory import peak_rss_mb
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
        "peak_rss_mb": peak_rss_mb(),
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


def write_state_table(policy: Path, out: Path, seed: int, group_rows: int = 1_000_000) -> int:
    """Every orderable store-SKU of the policy's catalog as a state table (Parquet, written
    a row group at a time); returns the rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from policies.serving.catalog import load_catalog

    cat = load_catalog(policy / "catalog.npz")
    rng = np.random.default_rng(seed)
    orderable = ~cat["blocked"]
    n_stores, n_skus = orderable.shape
    stores_per_group = max(1, group_rows // n_skus)
    life = cat["shelf_life_days"]
    written = 0
    writer = None
    for first in range(0, n_stores, stores_per_group):
        block = slice(first, min(first + stores_per_group, n_stores))
        store, sku = np.nonzero(orderable[block])
        store += first
        scale = cat["scale"][store, sku]
        ages = np.minimum(np.where(life[sku] > 0, life[sku], 1), 4)
        demand = rng.poisson(scale)
        on_order = rng.poisson(scale)
        columns = {
            "store_id": pa.array(cat["store_ids"][store].astype(str)),
            "sku_id": pa.array(cat["sku_ids"][sku].astype(str)),
            "weekday": np.full(store.size, 3, dtype=np.int64),
            **{f"on_hand_age_{a}": np.where(a < ages, rng.poisson(scale / 2), 0) for a in range(4)},
            "on_order": on_order,
            "arriving_1d": rng.binomial(on_order, 0.5),
            "sales_yesterday": rng.binomial(demand, 0.9),
            "demand_yesterday": demand,
            "forecast": np.round(scale * rng.uniform(0.8, 1.2, store.size), 1),
        }
        table = pa.table(columns)
        writer = writer or pq.ParquetWriter(out, table.schema)
        writer.write_table(table, row_group_size=group_rows)
        written += store.size
    if writer is not None:
        writer.close()
    return written


RAY_BLOCKS = 4  # store blocks of the list on Ray (two per CPU here)


def daily_list(scenario: str, folder: Path, seed: int) -> dict[str, Any]:
    """Export a base-stock policy of ``scenario``, write its chain's state table and time
    ``scripts/recommend.py`` on it (in its own process: its own peak memory)."""
    import subprocess

    repo = Path(__file__).resolve().parents[1]
    policy = folder / "policy"
    subprocess.run(
        [sys.executable, "scripts/export_policy.py", "policy=base_stock",
         f"scenario={scenario}", f"out={policy}"],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    state = folder / "state.parquet"
    rows = write_state_table(policy, state, seed)
    out = folder / "suggestions.parquet"
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "scripts/recommend.py", "--policy", str(policy), "--state", str(state),
         "--out", str(out)],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall_s = time.perf_counter() - t0
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    out_ray = folder / "suggestions_ray.parquet"
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "scripts/recommend.py", "--policy", str(policy), "--state", str(state),
         "--out", str(out_ray), "--executor", "ray", "--blocks", str(RAY_BLOCKS)],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    ray_s = time.perf_counter() - t0  # Ray's local cluster starts inside: counted
    on_ray = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "daily_list_rows": rows,
        "daily_list_seconds": round(wall_s, 1),
        "daily_list_10m_seconds": round(wall_s * 10_000_000 / rows, 1),
        "daily_list_peak_rss_mb": summary["peak_rss_mb"],
        "daily_list_batches": summary["batches"],
        "daily_list_ray_seconds": round(ray_s, 1),
        "daily_list_10m_seconds_ray": round(ray_s * 10_000_000 / rows, 1),
        "daily_list_ray_blocks": on_ray["blocks"],
        "daily_list_ray_driver_peak_rss_mb": on_ray["peak_rss_mb"],
        "daily_list_ray_rows_same": on_ray["rows"] == summary["rows"]
        and on_ray["units_suggested"] == summary["units_suggested"],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="liqun_chain")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--regions", type=int, default=None, help="the first N regions only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--skip-daily-list", action="store_true", help="simulation only")
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
    if not args.skip_daily_list:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="daily_list_") as tmp:
            result |= daily_list(args.scenario, Path(tmp), args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>30}: {value}")
    return result


if __name__ == "__main__":
    main()
