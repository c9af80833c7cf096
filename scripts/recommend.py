"""The daily replenishment list of a whole chain, from a state table.

    python scripts/recommend.py --policy DIR --state state.parquet --out suggestions.csv

``state.parquet`` (or ``.csv``) has one row per store-SKU with the columns of
``policies.serving.state`` (``store_id`` per row; ``on_hand_by_age`` as a list
column, or as ``on_hand_age_0``, ``on_hand_age_1``, ... columns; ``weekday``
and ``day`` the same on every row). A refused row stops the run with the
column, row and reason; nothing is skipped. Writes one row per store-SKU:
store_id, sku_id, order_units, order_packs, alert, alert_response, rules, reason,
and for a policy that plans transfers (``transfer_rules``) transfer_units,
transfer_to and transfer_reasons (empty where nothing is sent). Rows are read,
decided and written ``--batch-rows`` at a time (``policies.serving.tables.recommend_file``),
so a 10 M store-SKU chain needs the memory of a batch, not of the chain (a transfer
policy reads the whole table: its plans pair stores).

    python scripts/recommend.py --policy DIR --state state.parquet --out list.parquet \
        --executor ray [--blocks N] [--ray-address auto]

runs the list as Ray tasks over blocks of stores (``experiments.daily_list``; Ray's local
cluster by default, a running one with ``--ray-address``): the same row for every
store-SKU, rows grouped by store block (policies that plan transfers run locally only).

    python scripts/recommend.py --policy DIR --example-state state.parquet --scenario city_fresh

writes an example state table from the simulator (seed 0, after a warm-up).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policies.serving import Recommender, ServingError
from policies.serving.tables import recommend_file
from scripts.peak_memory import peak_rss_mb

TABLE_SUFFIXES = (".parquet", ".csv")


def table_format(path: Path, option: str) -> str:
    """``parquet`` or ``csv`` from the file's suffix; any other suffix is refused by name."""
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise SystemExit(f"{option} {path}: suffix {suffix or '(none)'!r}; allowed: .parquet, .csv")
    return suffix.lstrip(".")


def write_table(table: pd.DataFrame, path: Path, option: str) -> None:
    """Write ``table`` in the format its suffix names (``.parquet`` or ``.csv``), atomically."""
    kind = table_format(path, option)
    tmp = path.with_name(path.name + ".tmp")
    if kind == "parquet":
        table.to_parquet(tmp, index=False)
    else:
        table.to_csv(tmp, index=False)
    tmp.replace(path)


def example_state(scenario: str, out: Path, days: int = 7) -> None:
    from policies.export.states import example_state_table  # the simulator: only here

    table = example_state_table(scenario, days)
    write_table(table, out, "--example-state")
    print(json.dumps({"example_state": str(out), "rows": len(table), "scenario": scenario}))


def main(argv: list[str] | None = None) -> dict | None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--policy", type=Path)
    p.add_argument("--state", type=Path)
    p.add_argument("--out", type=Path)
    p.add_argument("--example-state", type=Path, help="write an example state table and stop")
    p.add_argument("--scenario", default="city_fresh", help="scenario of --example-state")
    p.add_argument(
        "--batch-rows",
        type=int,
        default=250_000,
        help="rows read, decided and written at a time (memory stays bounded by a batch)",
    )
    p.add_argument("--executor", choices=("local", "ray"), default="local")
    p.add_argument("--blocks", type=int, help="store blocks of --executor ray (default: 2 per CPU)")
    p.add_argument("--ray-address", help="a running Ray cluster (default: a local one)")
    args = p.parse_args(argv)
    if args.example_state:
        table_format(args.example_state, "--example-state")  # before the simulation runs
        example_state(args.scenario, args.example_state)
        return None
    if not (args.policy and args.state and args.out):
        p.error("--policy, --state and --out are required")
    table_format(args.out, "--out")  # refused before any work
    table_format(args.state, "--state")
    if args.batch_rows < 1:
        p.error(f"--batch-rows {args.batch_rows}: allowed: an integer >= 1")
    if args.blocks is not None and args.blocks < 1:
        p.error(f"--blocks {args.blocks}: allowed: an integer >= 1")
    if args.executor == "local" and (args.blocks is not None or args.ray_address):
        p.error("--blocks and --ray-address: allowed only with --executor ray")
    t0 = time.perf_counter()
    try:
        if args.executor == "ray":
            from experiments.daily_list import daily_list_on_ray  # Ray: only here
            from sim.errors import ConfigError

            try:
                summary = daily_list_on_ray(
                    args.policy, args.state, args.out, blocks=args.blocks,
                    batch_rows=args.batch_rows, address=args.ray_address,
                )  # fmt: skip
            except ConfigError as err:
                p.exit(2, f"recommend: {err}\n")
        else:
            recommender = Recommender.load(args.policy)
            summary = recommend_file(recommender, args.state, args.out, batch_rows=args.batch_rows)
    except ServingError as err:
        p.exit(2, f"recommend: {err}\n")
    summary |= {
        "total_s": round(time.perf_counter() - t0, 2),
        "peak_rss_mb": peak_rss_mb(),
        "out": str(args.out),
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
