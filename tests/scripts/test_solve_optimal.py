"""``scripts/solve_optimal.py``: JSON, summary, saved tables, argument errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from policies.optimal import OptimalPolicy
from scripts.solve_optimal import build_parser, main, problem_from_args

REPO = Path(__file__).resolve().parents[2]
LIFE2 = (
    "--life 2 --lead-time 1 --issuing fifo --demand gamma --mean 4 --cv 0.5 --max-order 10 "
    "--order-cost 3 --lost-sales-cost 5 --waste-cost 7 --holding-cost 1"
).split()


def run_json(capsys, argv: list[str]) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_for_the_life2_case(capsys, tmp_path):
    out = run_json(capsys, [*LIFE2, "--save-table", str(tmp_path / "life2")])
    assert out["avg_cost_per_period"] == pytest.approx(14.953876178, abs=1e-8)
    assert out["table_avg_cost_per_period"] == pytest.approx(out["avg_cost_per_period"], abs=1e-9)
    assert out["states"] == 121 and out["converged"]
    assert out["best_base_stock"]["level"] == 7
    assert out["best_base_stock"]["avg_cost_per_period"] >= out["avg_cost_per_period"]
    assert out["discounted_return"] < 0
    assert out["discounted_return_settings"] == {
        "gamma": 0.99,
        "burn_in": 100,
        "horizon": 365,
        "start": "empty",
        "policy": "average-cost optimal",
    }
    assert out["problem"]["demand"]["max_demand"] == 16  # ceil(mean + 6·mean·cv)
    assert out["problem"]["issuing"] == "fifo"
    for key in ("iterations", "solve_seconds", "warnings"):
        assert key in out
    policy = OptimalPolicy.load(tmp_path / "life2.npy")
    assert policy.problem.life_days == 2
    meta = json.loads((tmp_path / "life2.json").read_text())
    assert meta["avg_cost_per_period"] == out["avg_cost_per_period"]
    assert np.load(tmp_path / "life2.npy", allow_pickle=False).dtype == np.int16


def test_non_perishable_reports_the_cap_mass(capsys):
    argv = "--life none --lead-time 1 --demand poisson --mean 2 --max-order 4".split()
    out = run_json(capsys, argv)
    assert out["problem"]["life_days"] == 0
    assert out["problem"]["max_stock"] == 4 * 3 + out["demand_support_max"]
    assert out["cap_mass"] < 1e-6 and out["warnings"] == []
    small_cap = run_json(capsys, [*argv, "--max-stock", "3"])
    assert small_cap["cap_mass"] > 1e-6
    assert "max_stock=3" in small_cap["warnings"][0]


def test_readable_summary(capsys):
    assert main(LIFE2) == 0
    text = capsys.readouterr().out
    assert "optimal average cost per period: 14.953876" in text
    assert "best base stock: level 7" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--issuing", "mixed"], "invalid choice: 'mixed' (choose from 'fifo', 'lifo')"),
        (["--demand", "negbin"], "(choose from 'poisson', 'gamma')"),
        (["--life", "-1"], "allowed: an integer >= 1, or 0 / 'none'"),
        (["--lead-time", "-1"], "allowed: an integer >= 0"),
        (["--max-order", "0"], "allowed: an integer >= 1"),
        (["--holding-cost", "nan"], "allowed: a finite number >= 0"),
        (["--life", "1", "--lead-time", "0"], "life_days/lead_time"),
        (["--life", "3", "--max-stock", "9"], "None for a perishable item"),
    ],
)
def test_bad_arguments_name_what_is_allowed(capsys, argv, message):
    base = {"--life": "2", "--lead-time": "1"}
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        base[flag] = value
    with pytest.raises(SystemExit) as exc:
        main([token for pair in base.items() for token in pair])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_gamma_default_clip_is_mean_plus_six_sd():
    args = build_parser().parse_args("--life 2 --lead-time 1 --mean 3 --cv 0.7".split())
    assert problem_from_args(args).demand.max_demand == 16  # ceil(3 + 6·2.1) = ceil(15.6)


def test_script_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "scripts/solve_optimal.py", *LIFE2, "--json", "--no-base-stock"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["avg_cost_per_period"] == pytest.approx(14.953876178, abs=1e-8)
