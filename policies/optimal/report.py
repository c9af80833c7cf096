"""Solve, evaluate and summarise one problem: what ``scripts/solve_optimal.py`` prints."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from policies.optimal.chain import best_base_stock, discounted_return, policy_chain
from policies.optimal.model import PerishableProblem
from policies.optimal.policy import OptimalPolicy
from policies.optimal.solver import solve_average_cost


def solve_report(
    problem: PerishableProblem,
    *,
    tol: float = 1e-9,
    gamma: float = 0.99,
    burn_in: int = 100,
    horizon: int = 365,
    base_stock: bool = True,
    save_table: str | Path | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Solve, evaluate and summarise (the JSON object of ``scripts/solve_optimal.py``).

    Args:
        problem: the problem.
        tol: the span stopping rule of ``solve_average_cost``.
        gamma, burn_in, horizon: the settings of ``discounted_return`` (from the empty state).
        base_stock: also find the best base-stock level (``best_base_stock``).
        save_table: write the optimal table as ``save_table.npy`` + ``.json``.
        log: called with progress lines (sweeps, the base-stock search), or None.
    """
    t0 = time.perf_counter()

    def progress(it: int, lo: float, hi: float) -> None:
        if log is not None and (it <= 3 or it % 10 == 0):
            log(f"sweep {it}: {lo:.9f} <= gain <= {hi:.9f} ({time.perf_counter() - t0:.1f} s)")

    solution = solve_average_cost(problem, tol=tol, progress=progress)
    warnings_: list[str] = []
    if not solution.converged:
        warnings_.append(f"not converged after {solution.iterations} sweeps")
    t1 = time.perf_counter()
    chain = policy_chain(problem, solution.table)
    ret = discounted_return(problem, solution.table, gamma, burn_in, horizon)
    eval_seconds = time.perf_counter() - t1
    out: dict[str, Any] = {
        "problem": problem.to_dict(),
        "demand_support_max": problem.demand.support_max,
        "states": problem.n_states,
        "state_dims": list(problem.dims),
        "iterations": solution.iterations,
        "converged": solution.converged,
        "solve_seconds": round(solution.seconds, 3),
        "avg_cost_per_period": solution.avg_cost,
        "avg_cost_bounds": list(solution.avg_cost_bounds or ()),
        # the table's own cost, from its stationary distribution (within the bounds above)
        "table_avg_cost_per_period": chain.avg_cost,
        "discounted_return": ret,
        "discounted_return_settings": {
            "gamma": gamma,
            "burn_in": burn_in,
            "horizon": horizon,
            "start": "empty",
            "policy": "average-cost optimal",
        },
        "reachable_states": int(chain.states.size),
        "evaluate_seconds": round(eval_seconds, 3),
    }
    if not problem.perishable:
        positions = problem.inventory_positions()[chain.states]
        orders = solution.table[chain.states].astype(np.int64)
        at_cap = float(chain.stationary[positions + orders >= problem.max_stock].sum())
        out["cap_mass"] = at_cap
        if at_cap > 1e-6:
            warnings_.append(
                f"the position cap max_stock={problem.max_stock} is reached with stationary "
                f"probability {at_cap:.2e}: raise --max-stock"
            )
    if base_stock:
        t2 = time.perf_counter()
        if log is not None:
            log("best base stock ...")
        level, cost = best_base_stock(problem)
        out["best_base_stock"] = {
            "level": level,
            "avg_cost_per_period": cost,
            "seconds": round(time.perf_counter() - t2, 3),
            "optimal_saves_pct": 100.0 * (cost - solution.avg_cost) / cost if cost > 0 else 0.0,
        }
    if save_table is not None:
        npy, meta = OptimalPolicy(problem, solution.table).save(
            save_table, {"avg_cost_per_period": solution.avg_cost}
        )
        out["table_files"] = [str(npy), str(meta)]
    out["warnings"] = warnings_
    out["total_seconds"] = round(time.perf_counter() - t0, 3)
    return out


def summary(out: dict[str, Any]) -> str:
    """The human-readable form of ``solve_report``'s object."""
    pb = out["problem"]
    life = "non-perishable" if pb["life_days"] == 0 else f"life {pb['life_days']} days"
    d = pb["demand"]
    demand = f"{d['distribution']}(mean {d['mean']}" + (
        f", cv {d['cv']}, max {d['max_demand']})" if d["distribution"] == "gamma" else ")"
    )
    lines = [
        f"ShelfLife perishable inventory: {life}, lead time {pb['lead_time']}, "
        f"{pb['issuing'].upper()}, demand {demand}, Q = {pb['max_order']}",
        f"  costs: order {pb['order_cost']}, lost sale {pb['lost_sales_cost']}, "
        f"waste {pb['waste_cost']}, holding {pb['holding_cost']}",
        f"  states {out['states']:,} (reachable from empty under the optimum: "
        f"{out['reachable_states']:,})",
        f"  optimal average cost per period: {out['avg_cost_per_period']:.6f} "
        f"({out['iterations']} sweeps, {out['solve_seconds']:.1f} s)",
        f"  discounted return (gamma {out['discounted_return_settings']['gamma']}, "
        f"{out['discounted_return_settings']['horizon']} periods after "
        f"{out['discounted_return_settings']['burn_in']}): {out['discounted_return']:.4f}",
    ]
    if "best_base_stock" in out:
        b = out["best_base_stock"]
        lines.append(
            f"  best base stock: level {b['level']}, {b['avg_cost_per_period']:.6f} per period "
            f"(optimal saves {b['optimal_saves_pct']:.2f} %)"
        )
    if "cap_mass" in out:
        lines.append(
            f"  stationary mass at the position cap {pb['max_stock']}: {out['cap_mass']:.2e}"
        )
    lines += [f"  warning: {w}" for w in out["warnings"]]
    return "\n".join(lines)
