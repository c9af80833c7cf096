"""`make bench`: every benchmark in one run, its JSON lines kept, one table in reports/bench.md.

    python scripts/bench_all.py [--quick] [--out reports]

Runs ``bench_sim.py`` (regional_chain, 7 days), ``bench_envs.py``, ``bench_feedback.py``
and ``load_test.py`` (JSON and NPZ bodies against a served base-stock export of
regional_chain, 1,000-SKU stores), each in its own process with ``--json``; saves each
line to ``<out>/bench/<name>.json`` and writes ``<out>/bench.md``: one row per measure with
the figure measured in this run, its goal, and whether it is met. Measures that no
benchmark takes yet are listed as not measured, with what is missing, never guessed.
``--quick`` shrinks every run (small scenario, few steps) to check the plumbing; its
figures are not the benchmark's. Prints the table's rows as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable


def _runs(quick: bool, policy: Path) -> dict[str, list[str]]:
    """Each benchmark's command line (full, or ``--quick``)."""
    scenario = "city_fresh" if quick else "regional_chain"
    days = "2" if quick else "7"
    envs_small = ["--steps", "5", "--perishable-steps", "2000", "--perishable-replications", "64"]
    envs_small += ["--agent-steps", "3", "--warmup", "1"]
    feedback_small = ["--entries", "2000", "--posts", "20"]
    load = [PY, "scripts/load_test.py", "--policy", str(policy)]
    load += ["--skus", "100" if quick else "1000", "--duration", "2" if quick else "20"]
    return {
        "sim": [PY, "scripts/bench_sim.py", "--scenario", scenario, "--days", days, "--json"],
        "envs": [PY, "scripts/bench_envs.py", "--json", *(envs_small if quick else [])],
        "feedback": [PY, "scripts/bench_feedback.py", "--json", *(feedback_small if quick else [])],
        "http_json": [*load, "--format", "json"],
        "http_npz": [*load, "--format", "npz"],
        "scale": [
            PY,
            "scripts/bench_scale.py",
            "--json",
            *(["--scenario", "city_fresh", "--days", "2"] if quick else []),
        ],
    }


@dataclass(frozen=True)
class Measure:
    """A row of the table: how to read the figure from the runs, and its goal."""

    name: str
    goal: str
    read: Callable[[dict[str, Any]], float | None] | None
    met: Callable[[float], bool] | None = None
    missing: str = ""  # why it is not measured (read is None)


def _get(*keys: str) -> Callable[[dict[str, Any]], float | None]:
    def read(runs: dict[str, Any]) -> float | None:
        node: Any = runs
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return float(node) if isinstance(node, int | float) else None

    return read


def _sku_agent_rate(runs: dict[str, Any]) -> float | None:
    agents = runs.get("envs", {}).get("sku_agents", {})
    rates = [v.get("agent_steps_per_s") for v in agents.values() if isinstance(v, dict)]
    rates = [r for r in rates if isinstance(r, int | float)]
    return float(max(rates)) if rates else None


MEASURES = (
    Measure("regional_chain sim ÷ draw-only floor", "≤ 2.0",
            _get("sim", "ratio_to_demand_only"), lambda v: v <= 2.0),
    Measure("regional_chain peak memory, MB", "≤ 500", _get("sim", "peak_rss_mb"),
            lambda v: v <= 500),
    Measure("PerishableInventory-v0 cost ÷ minimal numpy env", "≤ 3",
            _get("envs", "perishable", "floor_over_arrays"), lambda v: v <= 3),
    Measure("batched PerishableInventory-v0, replication-steps/s", "≥ 1,000,000",
            _get("envs", "perishable", "vector_steps_per_s"), lambda v: v >= 1_000_000),
    Measure("SKU-agent env, agent-steps/s", "≥ 0.3 × numpy floor", _sku_agent_rate, None,
            "the ratio needs the MABIM-like numpy floor (bench_envs --mabim-like)"),
    Measure("1 store × 2,000 SKUs, daily, ÷ numpy floor", "≥ 0.5", None,
            missing="needs per-SKU lead times and a network without DC (bench_envs --mabim-like)"),
    Measure("1 store × 100 SKUs, batched, ÷ numpy floor", "≥ 0.5", None,
            missing="needs batched replications of the retail simulation"),
    Measure("HTTP JSON, 1,000-SKU stores, requests/s", "≥ 1,000",
            _get("http_json", "requests_per_s"), lambda v: v >= 1000),
    Measure("HTTP JSON p99, ms", "reported", _get("http_json", "p99_ms")),
    Measure("HTTP NPZ, 1,000-SKU stores, requests/s", "≥ 1,000",
            _get("http_npz", "requests_per_s"), lambda v: v >= 1000),
    Measure("HTTP NPZ p99, ms", "reported", _get("http_npz", "p99_ms")),
    Measure("feedback POST with 1M entries ÷ empty log", "≤ 2",
            _get("feedback", "ratio_long_over_empty"), lambda v: v <= 2),
    Measure("liqun_chain region (a DC's stores × 100,000 SKUs), peak MB per worker", "≤ 4,000",
            _get("scale", "peak_rss_mb_per_worker"), lambda v: v <= 4000),
    Measure("liqun_chain by region on 2 local workers, store-SKU-days/s", "reported",
            _get("scale", "store_sku_days_per_s_local")),
    Measure("liqun_chain, 2 workers ÷ 1 worker", "reported", _get("scale", "speedup_2_workers")),
    Measure("liqun_chain by region as Ray tasks, store-SKU-days/s", "reported",
            _get("scale", "store_sku_days_per_s_ray")),
    Measure("daily list of 10 M store-SKUs (Parquet in and out), s", "< 60",
            _get("scale", "daily_list_10m_seconds"), lambda v: v < 60),
    Measure("daily list peak memory, MB", "≤ 4,000", _get("scale", "daily_list_peak_rss_mb"),
            lambda v: v <= 4000),
    Measure("daily list of 10 M store-SKUs on Ray by 4 store blocks, s", "reported",
            _get("scale", "daily_list_10m_seconds_ray")),
)  # fmt: skip


def rows(runs: dict[str, Any]) -> list[dict[str, Any]]:
    """The table: measure, goal, value (None: not measured), met, and a note."""
    out = []
    for m in MEASURES:
        value = m.read(runs) if m.read is not None else None
        note = m.missing if value is None or m.met is None else ""
        if value is None and not note:
            note = "the benchmark did not report it (see its JSON)"
        met = None if value is None or m.met is None else bool(m.met(value))
        out.append({"measure": m.name, "goal": m.goal, "value": value, "met": met, "note": note})
    return out


def markdown(table: list[dict[str, Any]], runs: dict[str, Any], quick: bool, wall: float) -> str:
    lines = [
        "# Benchmarks (`make bench`)",
        "",
        f"Measured {datetime.now(UTC).isoformat(timespec='seconds')} on {platform.platform()}, "
        f"Python {platform.python_version()}, in one run of `scripts/bench_all.py"
        f"{' --quick' if quick else ''}` ({wall:.0f} s). Ratios compare figures of the same "
        "run; each benchmark's JSON line is in `bench/`.",
        "",
    ]
    if quick:
        lines += ["**--quick: a plumbing check with small runs, not the benchmark.**", ""]
    lines += ["| measure | measured | goal | met |", "|---|---|---|---|"]
    for r in table:
        v = r["value"]
        value = "not measured" if v is None else f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        note = f" ({r['note']})" if r["note"] else ""
        lines.append(f"| {r['measure']} | {value}{note} | {r['goal']} | {met} |")
    failed = [name for name, run in runs.items() if "error" in run]
    if failed:
        lines += ["", f"Benchmarks that failed: {', '.join(failed)} (their JSON holds the error)."]
    return "\n".join(lines) + "\n"


def run_one(name: str, argv: list[str], timeout_s: float) -> dict[str, Any]:
    """One benchmark's JSON line, or ``{"error": ...}`` naming what went wrong."""
    try:
        done = subprocess.run(
            argv, cwd=REPO, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"{name}: no result within {timeout_s:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": f"{name}: exit {done.returncode}: {done.stderr.strip()[-800:]}"}
    return json.loads(lines[-1])


def export_policy(scenario: str, out: Path) -> Path:
    folder = out / f"base_stock_{scenario}"
    subprocess.run(
        [PY, "scripts/export_policy.py", "policy=base_stock", f"scenario={scenario}",
         f"out={folder}"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return folder


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small runs: a plumbing check")
    parser.add_argument("--out", type=Path, default=REPO / "reports")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per benchmark")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    runs: dict[str, Any] = {}
    saved = args.out / "bench"
    saved.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        policy = export_policy("city_fresh" if args.quick else "regional_chain", Path(tmp))
        for name, cmd in _runs(args.quick, policy).items():
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            runs[name] = run_one(name, cmd, args.timeout)
            (saved / f"{name}.json").write_text(json.dumps(runs[name], indent=1) + "\n")
    table = rows(runs)
    wall = time.perf_counter() - t0
    (args.out / "bench.md").write_text(markdown(table, runs, args.quick, wall))
    line = {"rows": table, "failed": [n for n, r in runs.items() if "error" in r], "wall_s": wall}
    print(json.dumps(line))
    return line


if __name__ == "__main__":
    main()
