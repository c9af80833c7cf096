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
from sim.errors import ConfigError

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


def _fail_once(marker: str) -> dict:
    """Fails on its first attempt (no marker yet), succeeds on the next: a transient fault."""
    if not Path(marker).exists():
        Path(marker).touch()
        raise OSError("a transient fault")
    return {"attempts": 2}


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_failed_replication_is_retried_once_then_reported_and_the_rest_kept(tmp_path, n_jobs):
    """A task that fails twice is reported with its policy and seed; one that fails once
    succeeds on its retry; every other task runs to the end and its result is kept."""
    from experiments.evaluate import run_jobs
    from experiments.task_failures import TaskFailures

    jobs = [("bad", 0, _fail, ("broken on purpose",))]
    jobs += [("flaky", 1, _fail_once, (str(tmp_path / "flaky"),))]
    jobs += [("ok", s, _touch_then_wait, (str(tmp_path / f"{s}"),)) for s in range(6)]
    with pytest.raises(TaskFailures) as caught:
        run_jobs(jobs, n_jobs=n_jobs)
    (failure,) = caught.value.failures
    assert failure.index == 0 and failure.label == "policy 'bad', seed 0"
    assert isinstance(failure.error, ValueError) and "broken on purpose" in str(failure.error)
    assert "1 of 8 tasks failed after 1 retry each" in str(caught.value)
    assert caught.value.results == [None, {"attempts": 2}] + [{}] * 6
    assert len([p for p in tmp_path.iterdir() if p.name.isdigit()]) == 6  # all of them ran


def test_a_study_with_a_failed_seed_reports_the_seeds_that_completed(tmp_path, monkeypatch):
    """Seed 9001 fails for every policy (on its retry too): the study keeps seeds 9000 and
    9002 for both policies (still paired), writes its report and names what failed."""
    import experiments.evaluate as ev

    real = ev.replicate_rule

    def broken_on_9001(scenario, policy_cfg, seed, *args):
        if seed == 9001:
            raise RuntimeError("worker lost")
        return real(scenario, policy_cfg, seed, *args)

    monkeypatch.setattr(ev, "replicate_rule", broken_on_9001)
    common = ["scenario=yogurt_trio", "policies=[base_stock,transfer_rules]", "n_jobs=1",
              "logger=none"]  # fmt: skip
    with pytest.warns(ev.StudyWarning, match="2 of 6 tasks failed"):
        out = evaluate(cfg_with(*common, "replications=3", f"report_dir={tmp_path}/kept"))
    assert out["seeds"] == [9000, 9002]
    assert len(out["failed_tasks"]) == 2
    assert "policy 'base_stock', seed 9001: RuntimeError: worker lost" in out["failed_tasks"]
    report = (tmp_path / "kept" / "report.md").read_text()
    assert "2 task(s) failed after a retry" in report and "reports 2 of 3" in report
    first = evaluate(cfg_with(*common, "replications=1", f"report_dir={tmp_path}/one"))
    assert (
        out["policies"]["base_stock"]["profit"]["mean"]
        != first["policies"]["base_stock"]["profit"]["mean"]
    )  # the kept seeds are two, not the first alone


def test_a_reference_that_is_not_evaluated_is_refused_before_any_replication(tmp_path):
    import time

    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"^reference: got 'base_stock'; allowed: one of"):
        evaluate(cfg_with("scenario=city_fresh", "policies=[tiered_alerts]", "replications=30",
                          "logger=none", f"report_dir={tmp_path}"))  # fmt: skip
    assert time.monotonic() - started < 10  # 30 replications would take minutes
