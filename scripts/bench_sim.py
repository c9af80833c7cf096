"""Benchmark the simulator against the cost of drawing the same demand alone.

    python scripts/bench_sim.py --scenario regional_chain --days 7 --json

Prints one JSON object: ``store_sku_days_per_s`` (the whole simulation: hourly
demand ticks, ages, issuing, DC and supplier flows, a daily order-up-to driver
and the KPIs), ``wall_s``, ``demand_only_s`` (the same days' demand drawn by
the same demand model, nothing else), ``ratio_to_demand_only``, ``peak_rss_mb``,
``stores``, ``skus``, ``days``, ``ticks_per_day``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.peak_memory import peak_rss_mb
from sim.engine import Simulation
from sim.rng import RandomStreams
from sim.rules import order_up_to
from sim.scenario import build_demand_source, load_scenario


def drive_order_up_to(
    sim: Simulation, days: int, cover_days: float = 3.0, hour: float = 9.0
) -> None:
    """The cheapest sensible driver: daily order-up-to on the true mean demand.

    Kept to a few array operations so the benchmark measures the simulator.
    """
    skus, ss = sim.spec.skus, sim.spec.store_sku
    for day in range(days):
        sim.run_until(24.0 * day + hour)
        snap = sim.snapshot()
        orders = order_up_to(
            snap.store_on_hand,
            snap.store_on_order,
            sim.expected_daily_units(),
            cover_days,
            1.0,
            skus.shelf_life_days,
            ss.blocked,
        )
        sim.submit_store_orders(orders)
    sim.run_until(24.0 * days)


def main(argv: list[str] | None = None) -> dict[str, float | int | str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="regional_chain")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    scenario = load_scenario(args.scenario)
    demand = build_demand_source(scenario)
    build_s = time.perf_counter() - t0
    net = scenario.network

    # the reference: the same demand model drawing the same days, nothing else
    streams = RandomStreams(args.seed)
    prices = np.ones((net.n_stores, net.n_skus))
    # into a day array like the simulation's own (int32, preallocated), so the
    # floor pays the same draw and nothing else
    day_units = np.zeros((net.n_stores, len(demand.tick_start_hours), net.n_skus), np.int32)
    demand.draw_day(args.days, streams, prices, out=day_units)  # untimed warm-up
    t0 = time.perf_counter()
    for day in range(args.days):
        demand.draw_day(day, streams, prices, out=day_units)
    demand_only_s = time.perf_counter() - t0
    del day_units  # the simulation holds its own

    t0 = time.perf_counter()
    sim = Simulation(net, demand, seed=args.seed)
    drive_order_up_to(sim, args.days)
    kpis = sim.kpis()
    wall_s = time.perf_counter() - t0

    peak_mb = peak_rss_mb()
    result = {
        "scenario": args.scenario,
        "stores": net.n_stores,
        "skus": net.n_skus,
        "days": args.days,
        "ticks_per_day": len(demand.tick_start_hours),
        "age_buckets": net.skus.max_age_buckets,
        "wall_s": round(wall_s, 3),
        "build_s": round(build_s, 3),
        "demand_only_s": round(demand_only_s, 3),
        "ratio_to_demand_only": round(wall_s / demand_only_s, 2) if demand_only_s > 0 else None,
        "store_sku_days_per_s": round(net.n_stores * net.n_skus * args.days / wall_s),
        "peak_rss_mb": peak_mb,
        "fill_rate": round(kpis.chain["fill_rate"], 4),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return result


if __name__ == "__main__":
    main()
