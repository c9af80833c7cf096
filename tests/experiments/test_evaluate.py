"""The what-if through its real entry point: the JSON line, common random numbers, the report,
and the exact optimum reproduced within the simulation's interval."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from experiments.evaluate import evaluate
from policies.optimal import solve_average_cost
from policies.optimal.config import problem_from_env_kwargs

REPO = Path(__file__).resolve().parents[2]


def cfg_with(*overrides):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name="evaluate", overrides=list(overrides))


def test_evaluate_prints_one_json_line_and_writes_the_report(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.evaluate",
            "scenario=yogurt_trio",
            "policies=[base_stock,transfer_rules]",
            "replications=3",
            "days=3",
            "warmup_days=1",
            "n_jobs=2",
            "logger=none",
            f"report_dir={tmp_path}/rep",
            f"hydra.run.dir={tmp_path}/hydra",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert line["scenario"] == "yogurt_trio"
    profit = line["policies"]["transfer_rules"]["profit"]
    assert (
        set(profit) == {"mean", "ci_low", "ci_high"}
        and profit["ci_low"] <= profit["mean"] <= profit["ci_high"]
    )
    assert set(line["win_share"]) == {"base_stock", "transfer_rules"}
    assert pytest.approx(sum(line["win_share"].values())) == 1.0
    assert "transfer_rules" in line["paired_differences"]
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "Paired differences" in report and "Reproduce" in report
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "data:image/png;base64," in html  # self-contained


def test_every_policy_sees_the_same_demand(tmp_path):
    result = evaluate(
        cfg_with(
            "scenario=city_fresh",
            "policies=[base_stock,s_Q]",
            "replications=2",
            "days=3",
            "warmup_days=1",
            "n_jobs=1",
            "logger=none",
            f"report_dir={tmp_path}",
        )
    )
    demand = {n: result["policies"][n]["demand_units"]["mean"] for n in ("base_stock", "s_Q")}
    assert demand["base_stock"] == demand["s_Q"]


@pytest.mark.slow
def test_the_exact_optimum_is_reproduced_within_the_simulations_interval(tmp_path):
    cfg = cfg_with("experiment=perishable_optimum", "logger=none", f"report_dir={tmp_path}")
    result = evaluate(cfg)
    solver = solve_average_cost(problem_from_env_kwargs()).avg_cost
    sim = result["policies"]["optimal"]["avg_cost_per_period"]
    assert sim["ci_low"] <= solver <= sim["ci_high"], (sim, solver)
    # and the optimum beats the best base stock on the same demand
    assert result["paired_differences"]["optimal"]["avg_cost_per_period"]["mean"] < 0


def _touch_then_wait(path: str) -> dict:
    import time

    Path(path).touch()
    time.sleep(0.5)
    return {}


def _fail(message: str) -> dict:
    raise ValueError(message)


def test_a_failed_replication_stops_the_study_without_running_the_queued_ones(tmp_path):
    """The first failure cancels what is still queued (it used to run every replication
    before the error surfaced)."""
    from experiments.evaluate import run_jobs

    jobs = [("bad", 0, _fail, ("broken on purpose",))]
    jobs += [("ok", s, _touch_then_wait, (str(tmp_path / f"{s}"),)) for s in range(40)]
    with pytest.raises(ValueError, match="broken on purpose") as caught:
        run_jobs(jobs, n_jobs=2)
    assert "in the replication of policy 'bad' on seed 0" in caught.value.__notes__[0]
    assert len(list(tmp_path.iterdir())) < 40  # the rest was cancelled, not run
