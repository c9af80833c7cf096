"""Tune every heuristic on training seeds, evaluate on separate seeds, report.

    python scripts/tune_baselines.py --scenario city_fresh [--seeds 3] [--days 14]
        [--refine-rounds 1] [--out reports/tuning]

The pipeline is ``experiments.tune_baselines.tune_baselines`` (grids, refinement,
composites on the best tuned rule, the files it writes); this prints its result as
one JSON line:
``{"scenario", "policies": {name: {"params", "edges", "profit_per_day", ...}}}``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from omegaconf import DictConfig, OmegaConf

from experiments.tune_baselines import COMPOSITES, GRIDS, TuningError, tune_baselines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="city_fresh")
    parser.add_argument("--seeds", type=int, default=3, help="training seeds for tuning")
    parser.add_argument("--eval-seeds", type=int, default=10)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--warmup-days", type=int, default=7)
    parser.add_argument(
        "--refine-rounds", type=int, default=1, help="finer grids around the best point"
    )
    parser.add_argument("--policies", nargs="*", default=[*list(GRIDS), *list(COMPOSITES)])
    parser.add_argument("--out", default="reports/tuning")
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Hydra override of the scenario (a variant), repeatable:"
        " --override demand.base_rate_generator.store_scale.median=1.3",
    )
    parser.add_argument(
        "--tracking-uri",
        default="sqlite:///mlruns/mlflow.db",
        help="MLflow store: one run, a child per rule and a grandchild per trial",
    )
    parser.add_argument("--experiment", default="shelflife", help="MLflow experiment")
    parser.add_argument("--no-mlflow", action="store_true", help="do not track the tuning")
    parser.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="ray: each grid stage's trials as Ray tasks (the same results)",
    )
    parser.add_argument("--ray-address", default=None, help="a Ray cluster (auto); default local")
    return parser


def logger_config(args: argparse.Namespace) -> DictConfig | None:
    """The ``configs/logger/mlflow.yaml`` shape for the options given (None: not tracked)."""
    if args.no_mlflow:
        return None
    return OmegaConf.create(
        {
            "kind": "mlflow",
            "tracking_uri": args.tracking_uri,
            # beside the database (mlruns/artifacts for the default store); a server keeps its own
            "artifact_location": (
                str(Path(args.tracking_uri.removeprefix("sqlite:///")).parent / "artifacts")
                if args.tracking_uri.startswith("sqlite:///")
                else None
            ),
            "experiment": args.experiment,
        }
    )


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = "python scripts/tune_baselines.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    try:
        line = tune_baselines(
            args.scenario,
            seeds=args.seeds,
            eval_seeds=args.eval_seeds,
            days=args.days,
            warmup_days=args.warmup_days,
            refine_rounds=args.refine_rounds,
            policies=args.policies,
            out=args.out,
            command=command,
            overrides=args.override,
            logger=logger_config(args),
            executor=args.executor,
            ray_address=args.ray_address,
        )
    except TuningError as err:
        parser.error(str(err))
    print(json.dumps(line, default=float))
    return line


if __name__ == "__main__":
    main()
