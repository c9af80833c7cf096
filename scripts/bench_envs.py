"""Benchmark the registered environments and the SKU-agent vector env.

    python scripts/bench_envs.py --json
    python scripts/bench_envs.py --scenario yogurt_trio --steps 5 --agent-scenarios yogurt_trio

Prints one JSON object (``--json``) or a short table:

* ``envs``: per registered id, env steps/s through ``gymnasium.make`` (wrappers
  included) under uniformly random seeded actions: ``PerishableInventory-v0`` on
  its default config for ``--perishable-steps`` steps, the retail envs on
  ``--scenario`` (city_fresh by default) for ``--steps`` steps each. Only
  ``env.step`` is timed: action sampling, the ``--warmup`` steps before timing
  and the resets after a time-limit truncation are not.
* ``sku_agents``: agent steps/s of ``envs.sku_agents.SkuAgentVectorEnv`` on each
  of ``--agent-scenarios`` (city_fresh and regional_chain by default):
  ``num_envs × env steps / s``, for ``--agent-steps`` steps after the warm-up;
  ``episode_days`` is set so that no autoreset falls inside the timed steps.
  When the module cannot be imported the section says so and is skipped.
* ``perishable``: ``PerishableInventory-v0`` (default cell) against the **numpy floor**,
  ``MinimalPerishableEnv`` below (the same dynamics as plain numpy and nothing else: no
  validation, no ``info``, no wrappers), all on the same seeded random orders in this run:
  the floor's steps/s, the env's on its array engine and on the SimPy engine (through
  ``gymnasium.make``), the batched vector env's replication-steps/s at
  ``--perishable-replications``, and the ratios ``floor_over_arrays`` (goal ≤ 3),
  ``arrays_over_simpy`` and ``vector_steps_per_s``.
* ``machine`` (cores, platform, Python), ``wall_s`` (the whole run) and
  ``peak_rss_mb``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gymnasium as gym

import envs
from scripts.peak_memory import peak_rss_mb

PERISHABLE = "ShelfLife/PerishableInventory-v0"


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    return {
        "cpu_count": os.cpu_count(),
        "usable_cores": usable,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "gymnasium": gym.__version__,
    }


def bench_env(env_id: str, kwargs: dict[str, Any], steps: int, warmup: int, seed: int) -> dict:
    """Env steps/s of one registered id (only ``step`` timed)."""
    t0 = time.perf_counter()
    env = gym.make(env_id, **kwargs)
    build_s = time.perf_counter() - t0
    env.action_space.seed(seed)
    t0 = time.perf_counter()
    env.reset(seed=seed)
    reset_s = time.perf_counter() - t0
    resets = 0
    step_s = 0.0
    for i in range(warmup + steps):
        action = env.action_space.sample()
        t0 = time.perf_counter()
        _, _, terminated, truncated, _ = env.step(action)
        if i >= warmup:
            step_s += time.perf_counter() - t0
        if terminated or truncated:
            env.reset()
            resets += 1
    env.close()
    return {
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
        "steps": steps,
        "step_s": round(step_s, 4),
        "steps_per_s": round(steps / step_s, 1) if step_s > 0 else None,
        "ms_per_step": round(1000.0 * step_s / steps, 3) if steps else None,
        "build_s": round(build_s, 3),
        "reset_s": round(reset_s, 3),
        "resets_untimed": resets,
    }


class MinimalPerishableEnv:
    """The numpy floor of ``PerishableInventory-v0``'s dynamics: one replication, a stock
    array by remaining life, a pipeline array, Gamma demand rounded and clipped; the
    period's cost as the reward. Nothing else (no checks, no info, no wrappers)."""

    def __init__(self, life_days: int, lead_time: int, fifo: bool, seed: int) -> None:
        self.stock = np.zeros(life_days - 1)
        self.pipeline = np.zeros(lead_time)
        self.fifo = fifo
        self.rng = np.random.default_rng(seed)
        self.costs = np.array([3.0, 5.0, 7.0, 1.0])  # c, p, w, h of the default cell

    def step(self, order: int, demand: int | None = None) -> tuple[np.ndarray, float]:
        """One period; ``demand`` replaces the draw (the tests feed it the env's)."""
        arrival = self.pipeline[0]
        self.pipeline[:-1] = self.pipeline[1:]
        self.pipeline[-1] = order
        hand = np.append(self.stock, arrival)  # remaining life 1..m
        if demand is None:
            demand = min(round(self.rng.gamma(4.0, 1.0)), 16)  # Gamma(mean 4, cv 0.5)
        queue = hand if self.fifo else hand[::-1]
        ahead = np.cumsum(queue) - queue  # units sold before each age is reached
        left = queue - np.clip(demand - ahead, 0, queue)
        lost = max(demand - float(queue.sum()), 0.0)
        hand = left if self.fifo else left[::-1]
        self.stock = hand[1:]
        cost = self.costs @ np.array([order, lost, hand[0], self.stock.sum()])
        return np.concatenate([self.stock, self.pipeline]).astype(np.float32), -float(cost)


def bench_perishable(steps: int, replications: int, seed: int) -> dict[str, Any]:
    """Steps/s of the numpy floor, the env's two engines and the batched vector env."""
    orders = np.random.default_rng(seed).integers(0, 11, steps + 365)
    floor = MinimalPerishableEnv(2, 1, True, seed)
    t0 = time.perf_counter()
    for a in orders[:steps]:
        floor.step(int(a))
    floor_s = time.perf_counter() - t0

    def engine_s(engine: str, n: int) -> float:
        env = gym.make(PERISHABLE, engine=engine)
        env.reset(seed=seed)
        total = 0.0
        for a in orders[:n].tolist():
            t = time.perf_counter()
            _, _, _, truncated, _ = env.step(a)
            total += time.perf_counter() - t
            if truncated:
                env.reset()
        return total

    arrays_s = engine_s("arrays", steps)
    simpy_steps = max(1, steps // 10)
    simpy_s = engine_s("simpy", simpy_steps)
    venv = gym.make_vec(PERISHABLE, num_envs=replications, vectorization_mode="vector_entry_point")
    venv.reset(seed=seed)
    batch = np.random.default_rng(seed).integers(0, 11, (64, replications))
    vector_steps = max(1, steps // 100)
    t0 = time.perf_counter()
    for k in range(vector_steps):
        venv.step(batch[k % 64])
    vector_s = time.perf_counter() - t0
    floor_rate, arrays_rate = steps / floor_s, steps / arrays_s
    return {
        "cell": "life 2, lead 1, fifo, Gamma(4, cv 0.5)",
        "floor_steps_per_s": round(floor_rate),
        "arrays_steps_per_s": round(arrays_rate),
        "simpy_steps_per_s": round(simpy_steps / simpy_s),
        "vector_replications": replications,
        "vector_steps_per_s": round(replications * vector_steps / vector_s),
        "floor_over_arrays": round(floor_rate / arrays_rate, 2),
        "arrays_over_simpy": round(arrays_rate / (simpy_steps / simpy_s), 1),
        "vector_over_floor": round(replications * vector_steps / vector_s / floor_rate, 1),
    }


def bench_sku_agents(scenario: str, steps: int, warmup: int, seed: int) -> dict:
    """Agent steps/s of the SKU-agent vector env on one scenario."""
    from envs.sku_agents import SkuAgentVectorEnv

    t0 = time.perf_counter()
    # one step a day (store orders only): leave a day beyond the timed steps so the
    # episode end, and its autoreset, never falls inside the timing
    venv = SkuAgentVectorEnv(scenario=scenario, episode_days=warmup + steps + 1)
    build_s = time.perf_counter() - t0
    venv.action_space.seed(seed)
    t0 = time.perf_counter()
    venv.reset(seed=seed)
    reset_s = time.perf_counter() - t0
    step_s = 0.0
    for i in range(warmup + steps):
        actions = venv.action_space.sample()
        t0 = time.perf_counter()
        _, _, _, truncated, _ = venv.step(actions)
        if i >= warmup:
            step_s += time.perf_counter() - t0
        assert not truncated.any(), "an autoreset fell inside the benchmark"
    n = int(venv.num_envs)
    venv.close()
    return {
        "num_envs": n,
        "env_steps": steps,
        "step_s": round(step_s, 4),
        "env_steps_per_s": round(steps / step_s, 2) if step_s > 0 else None,
        "agent_steps_per_s": round(n * steps / step_s) if step_s > 0 else None,
        "build_s": round(build_s, 3),
        "reset_s": round(reset_s, 3),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="city_fresh", help="scenario of the retail envs")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per retail env")
    parser.add_argument("--perishable-steps", type=int, default=500)
    parser.add_argument("--perishable-replications", type=int, default=4096)
    parser.add_argument("--agent-scenarios", default="city_fresh,regional_chain")
    parser.add_argument("--agent-steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before timing")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if (
        min(args.steps, args.perishable_steps, args.agent_steps, args.perishable_replications) < 1
        or args.warmup < 0
    ):
        parser.error("steps must be >= 1 and --warmup >= 0")

    wall0 = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "scenario": args.scenario, "envs": {}}
    for env_id in envs.ENV_SPECS:
        if env_id == PERISHABLE:
            kwargs: dict[str, Any] = {}
            steps = args.perishable_steps
        else:
            kwargs = {"scenario": args.scenario}
            steps = args.steps
        results["envs"][env_id] = bench_env(env_id, kwargs, steps, args.warmup, args.seed)

    try:
        importlib.import_module("envs.sku_agents")
    except ImportError as err:
        results["sku_agents"] = {"skipped": f"envs.sku_agents is not importable: {err}"}
    else:
        scenarios = [s for s in args.agent_scenarios.split(",") if s]
        results["sku_agents"] = {
            s: bench_sku_agents(s, args.agent_steps, args.warmup, args.seed) for s in scenarios
        }
    results["perishable"] = bench_perishable(
        args.perishable_steps, args.perishable_replications, args.seed
    )
    results["wall_s"] = round(time.perf_counter() - wall0, 2)
    results["peak_rss_mb"] = peak_rss_mb()

    if args.json:
        print(json.dumps(results))
    else:
        _print_table(results)
    return results


def _print_table(results: dict[str, Any]) -> None:
    m = results["machine"]
    print(f"machine: {m['usable_cores']}/{m['cpu_count']} cores, {m['processor']}, {m['platform']}")
    for env_id, r in results["envs"].items():
        print(f"{env_id:36s} {r['steps_per_s']:>10} steps/s  ({r['ms_per_step']} ms/step)")
    agents = results["sku_agents"]
    if "skipped" in agents:
        print(f"sku agents: skipped ({agents['skipped']})")
    for scenario, r in agents.items() if "skipped" not in agents else ():
        print(
            f"sku agents {scenario:25s} {r['agent_steps_per_s']:>10} agent steps/s "
            f"({r['num_envs']} agents, {r['env_steps_per_s']} env steps/s)"
        )
    p = results["perishable"]
    print(
        f"perishable: floor {p['floor_steps_per_s']} steps/s, arrays {p['arrays_steps_per_s']} "
        f"({p['floor_over_arrays']}x slower than the floor), simpy {p['simpy_steps_per_s']}, "
        f"vector {p['vector_steps_per_s']} replication-steps/s"
    )
    print(f"wall {results['wall_s']} s, peak RSS {results['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
