"""The demo and the benchmark run through their real entry points."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_prints_the_kpi_table():
    out = subprocess.run(
        [sys.executable, "-m", "scripts.demo", "--warmup-days", "1", "--days", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    for kpi in ("fill_rate", "stockout_rate", "waste_rate", "inventory_turnover", "profit"):
        assert kpi in out.stdout
    assert "(balanced)" in out.stdout


def test_bench_sim_prints_one_json_object():
    out = subprocess.run(
        [
            sys.executable,
            "scripts/bench_sim.py",
            "--scenario",
            "city_fresh",
            "--days",
            "2",
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    for key in (
        "store_sku_days_per_s",
        "wall_s",
        "peak_rss_mb",
        "stores",
        "skus",
        "days",
        "ticks_per_day",
    ):
        assert key in result
    assert result["stores"] == 12 and result["days"] == 2 and result["store_sku_days_per_s"] > 0
