"""Exact optimum of the single-SKU perishable inventory problem, by value iteration.

    python scripts/solve_optimal.py --life 2 --lead-time 1 --issuing fifo --demand gamma \\
        --mean 4 --cv 0.5 --max-order 10 --order-cost 3 --lost-sales-cost 5 \\
        --waste-cost 7 --holding-cost 1 --json

Parses the problem, solves it (``policies.optimal.solve_report``: the optimal average
cost, the table's own cost, a discounted return, the best base stock) and prints a
summary, or one JSON object with ``--json``. The problem, the method and the timings
are described in ``policies.optimal``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policies.optimal import PerishableProblem, solve_report, summary
from sim.demand.stationary import StationaryDemandSpec
from sim.enums import DemandDistribution, IssuingRule


def _life(text: str) -> int:
    if text.lower() == "none":
        return 0  # non-perishable: the project's convention is a shelf life of 0
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 and text.strip() != "0":
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: an integer >= 1, or 0 / 'none'")
    return value


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: an integer >= 0")
    return value


def _pos_int(text: str) -> int:
    value = _nonneg_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: an integer >= 1")
    return value


def _cost(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: a finite number >= 0")
    return value


def _positive(text: str) -> float:
    value = _cost(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}; allowed: a finite number > 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python scripts/solve_optimal.py",
        description="Exact optimum of the single-SKU perishable inventory problem "
        "(ShelfLife/PerishableInventory-v0) by value iteration.",
    )
    parser.add_argument(
        "--life", type=_life, required=True, help="useful life m in days, or 'none'"
    )
    parser.add_argument("--lead-time", type=_nonneg_int, required=True, help="L in periods")
    parser.add_argument("--issuing", choices=("fifo", "lifo"), default="fifo")
    parser.add_argument("--demand", choices=("poisson", "gamma"), default="gamma")
    parser.add_argument("--mean", type=_positive, default=4.0, help="mean daily demand")
    parser.add_argument("--cv", type=_positive, default=0.5, help="gamma only")
    parser.add_argument(
        "--max-demand",
        type=_pos_int,
        default=None,
        help="clip of the demand (default: gamma ceil(mean + 6·mean·cv); poisson: a 1e-12 tail)",
    )
    parser.add_argument("--max-order", type=_pos_int, default=10, help="Q")
    parser.add_argument("--order-cost", type=_cost, default=3.0)
    parser.add_argument("--lost-sales-cost", type=_cost, default=5.0)
    parser.add_argument("--waste-cost", type=_cost, default=7.0)
    parser.add_argument("--holding-cost", type=_cost, default=1.0)
    parser.add_argument(
        "--max-stock",
        type=_pos_int,
        default=None,
        help="non-perishable only: cap on the inventory position (default Q·(L+2) + support)",
    )
    parser.add_argument("--tol", type=_positive, default=1e-9, help="span stopping rule")
    parser.add_argument("--gamma", type=_positive, default=0.99, help="for discounted_return")
    parser.add_argument("--burn-in", type=_nonneg_int, default=100)
    parser.add_argument("--horizon", type=_nonneg_int, default=365)
    parser.add_argument("--no-base-stock", action="store_true", help="skip best_base_stock")
    parser.add_argument("--save-table", type=Path, default=None, help="write PATH.npy + PATH.json")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--verbose", action="store_true", help="progress on stderr")
    return parser


def problem_from_args(args: argparse.Namespace) -> PerishableProblem:
    dist = DemandDistribution(args.demand)
    max_demand = args.max_demand
    if max_demand is None and dist is DemandDistribution.GAMMA:
        # 1e-9 absorbs float noise in mean·cv (ceil(16.000000000000004) would be 17)
        max_demand = math.ceil(args.mean + 6 * args.mean * args.cv - 1e-9)
    spec = StationaryDemandSpec(dist, mean=args.mean, cv=args.cv, max_demand=max_demand)
    return PerishableProblem(
        life_days=args.life,
        lead_time=args.lead_time,
        issuing=IssuingRule(args.issuing),
        demand=spec,
        max_order=args.max_order,
        order_cost=args.order_cost,
        lost_sales_cost=args.lost_sales_cost,
        waste_cost=args.waste_cost,
        holding_cost=args.holding_cost,
        max_stock=args.max_stock,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        problem = problem_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    log = (lambda msg: print(msg, file=sys.stderr, flush=True)) if args.verbose else None
    out = solve_report(
        problem,
        tol=args.tol,
        gamma=args.gamma,
        burn_in=args.burn_in,
        horizon=args.horizon,
        base_stock=not args.no_base_stock,
        save_table=args.save_table,
        log=log,
    )
    print(json.dumps(out, indent=2) if args.json else summary(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
