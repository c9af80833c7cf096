"""The in-repo Optuna sweeper: search-space parsing, determinism, failed trials, real sweeps."""

import dataclasses
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from hydra_plugins.shelflife_optuna_sweeper._impl import (
    RESULTS_FILE,
    ReturnValueError,
    SweepFailedError,
    run_sweep,
)
from hydra_plugins.shelflife_optuna_sweeper._search_space import (
    SearchSpaceError,
    format_value,
    parse_search_space,
)
from hydra_plugins.shelflife_optuna_sweeper.config import (
    ShelfLifeOptunaSweeperConf,
    SweeperConfigError,
    TPESamplerConf,
)

REPO = Path(__file__).resolve().parents[2]
FAST = ["n_seeds=1", "days=7", "warmup_days=3"]


# --- the search space --------------------------------------------------------------------


def test_every_supported_sweep_becomes_its_optuna_distribution():
    space = parse_search_space(
        {
            "a": "interval(0.5, 2.0)",
            "b": "tag(log, interval(1e-5, 1e-3))",
            "c": "int(interval(1, 20))",
            "d": "tag(log, int(interval(8, 512)))",
            "e": "range(1, 10, 2)",
            "f": "range(0.1, 0.5, 0.1)",
            "g": "choice(s_S, R_s_S, 3)",
            "h": "1,2,3",
            "i": "shuffle(range(1, 4))",
        }
    )
    d = space.distributions
    assert d["a"] == FloatDistribution(0.5, 2.0)
    assert d["b"] == FloatDistribution(1e-5, 1e-3, log=True)
    assert d["c"] == IntDistribution(1, 20)
    assert d["d"] == IntDistribution(8, 512, log=True)
    assert d["e"] == IntDistribution(1, 9, step=2)  # stop excluded, as in Python
    assert d["f"] == FloatDistribution(0.1, 0.4, step=0.1)
    assert d["g"] == CategoricalDistribution(["s_S", "R_s_S", 3])
    assert d["h"] == CategoricalDistribution([1, 2, 3])
    assert isinstance(d["i"], CategoricalDistribution) and sorted(d["i"].choices) == [1, 2, 3]
    assert space.fixed == {}


def test_command_line_sweeps_join_and_fixed_values_pin():
    space = parse_search_space(
        {"policy.z": "interval(0, 1)", "policy.s_days": "interval(0.5, 2)"},
        ["scenario=city_fresh", "policy.z=0.3", "seed=0,1"],
    )
    assert set(space.distributions) == {"policy.s_days", "seed"}  # policy.z pinned
    assert space.fixed == {"scenario": "scenario=city_fresh", "policy.z": "policy.z=0.3"}
    assert space.overrides({"policy.s_days": 1.25, "seed": 1}) == (
        "scenario=city_fresh",
        "policy.z=0.3",
        "policy.s_days=1.25",
        "seed=1",
    )


@pytest.mark.parametrize("value", [1, -3, 0.5, 1e-05, 3.0, "s_S", "a b", "1", "null", True, None])
def test_sampled_values_parse_back_to_the_same_value_and_type(value):
    parsed = OverridesParser.create().parse_override(f"k={format_value(value)}").value()
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("sweep", "says"),
    [
        ("0.99", "allowed: a sweep"),
        ("interval(2, 1)", "low < high"),
        ("tag(log, interval(0, 1))", "0 < low"),
        ("tag(exp, interval(0, 1))", "'log'"),
        ("tag(log, choice(1, 2))", "interval(...) sweeps only"),
        ("glob(*)", "glob() selects config options only"),
        ("range(5, 1)", "at least one value"),
        ("interval(0,", "allowed: a sweep"),
    ],
)
def test_a_malformed_search_space_names_the_entry_and_what_is_allowed(sweep, says):
    with pytest.raises(SearchSpaceError, match=r"hydra\.sweeper\.params\.policy\.z: got") as e:
        parse_search_space({"policy.z": sweep})
    assert says in str(e.value)


def test_bad_sweeper_settings_are_refused():
    # ValueError, not the class object: Hydra's plugin scan may import the plugin's modules
    # afresh when another test ran a sweep first, so the class identity can differ
    with pytest.raises(ValueError, match=r"hydra\.sweeper\.direction: got 'min'") as err:
        ShelfLifeOptunaSweeperConf(direction="min")
    assert type(err.value).__name__ == SweeperConfigError.__name__
    with pytest.raises(ValueError, match=r"hydra\.sweeper\.n_trials: got 0"):
        ShelfLifeOptunaSweeperConf(n_trials=0)


# --- the sweep loop with a stand-in launcher ------------------------------------------------


def _launcher(objective, log):
    """A Hydra launcher stand-in: runs ``objective(params, job_idx)`` like ``run_job`` does."""

    def launch(batch, first_job_idx):
        out = []
        for i, overrides in enumerate(batch):
            params = {}
            for o in overrides:
                key, _, text = o.partition("=")
                params[key] = OverridesParser.create().parse_override(o).value()
                assert text
            log.append(params)
            ret = JobReturn(overrides=list(overrides))
            try:
                ret.return_value = objective(params, first_job_idx + i)
                ret.status = JobStatus.COMPLETED
            except Exception as e:  # as hydra.core.utils.run_job records it
                ret.return_value = e
                ret.status = JobStatus.FAILED
            out.append(ret)
        return out

    return launch


def _conf(seed=0, n_trials=12, n_jobs=2):
    return ShelfLifeOptunaSweeperConf(
        n_trials=n_trials,
        n_jobs=n_jobs,
        sampler=TPESamplerConf(seed=seed, n_startup_trials=4),
        params={"x": "interval(-2, 2)", "k": "int(interval(1, 5))", "c": "choice(a, b)"},
    )


def _bowl(params, _):
    return (params["x"] - 0.5) ** 2 + abs(params["k"] - 3) + (params["c"] == "b")


def test_same_sampler_seed_same_sequence_of_sampled_parameters(tmp_path):
    runs = []
    for seed in (0, 0, 1):
        log = []
        run_sweep(_conf(seed), [], _launcher(_bowl, log), tmp_path / f"s{len(runs)}")
        runs.append(log)
    assert len(runs[0]) == 12
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    results = OmegaConf.load(tmp_path / "s0" / RESULTS_FILE)
    assert results.n_complete == 12 and results.best_value == min(_bowl(p, 0) for p in runs[0])


def test_failed_trials_are_told_as_failed_and_the_sweep_goes_on(tmp_path):
    def objective(params, job_idx):
        if job_idx == 1:
            raise RuntimeError("the simulator refused the policy")
        if job_idx == 2:
            return math.nan
        return _bowl(params, job_idx)

    log = []
    run_sweep(_conf(n_trials=6), [], _launcher(objective, log), tmp_path)
    results = OmegaConf.load(tmp_path / RESULTS_FILE)
    assert len(log) == 6
    assert (results.n_trials, results.n_complete, results.n_failed) == (6, 4, 2)
    assert math.isfinite(results.best_value) and results.best_trial not in (1, 2)


def test_a_non_numeric_return_value_stops_the_sweep_with_a_clear_error(tmp_path):
    with pytest.raises(ReturnValueError, match=r"returned None \(NoneType\); allowed: a number"):
        run_sweep(_conf(n_trials=4), [], _launcher(lambda p, i: None, []), tmp_path)


def test_a_sweep_where_every_trial_fails_says_so_and_still_writes_its_results(tmp_path):
    def objective(params, job_idx):
        raise ValueError("broken")

    with pytest.raises(SweepFailedError, match="all 2 trials of the sweep failed"):
        run_sweep(_conf(n_trials=2, n_jobs=1), [], _launcher(objective, []), tmp_path)
    results = OmegaConf.load(tmp_path / RESULTS_FILE)
    assert results.n_failed == 2 and results.best_value is None


def test_a_study_kept_in_sqlite_is_resumed_by_name(tmp_path):
    import optuna

    storage = f"sqlite:///{tmp_path}/optuna.db"
    conf = dataclasses.replace(_conf(n_trials=3, n_jobs=1), storage=storage, study_name="rss")
    for part in ("a", "b"):
        run_sweep(conf, [], _launcher(_bowl, []), tmp_path / part)
    second = OmegaConf.load(tmp_path / "b" / RESULTS_FILE)
    assert (second.study_name, second.n_trials, second.n_complete) == ("rss", 3, 3)
    assert len(optuna.load_study(study_name="rss", storage=storage).trials) == 6


def test_an_empty_search_space_is_refused(tmp_path):
    conf = ShelfLifeOptunaSweeperConf(params={})
    with pytest.raises(SearchSpaceError, match="at least one entry that is a sweep"):
        run_sweep(conf, ["scenario=city_fresh"], _launcher(_bowl, []), tmp_path)


# --- real sweeps through Hydra ------------------------------------------------------------


def test_a_real_sweep_of_a_heuristic_writes_its_best_parameters(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.tune_policy",
            "--multirun",
            "hparams_search=R_s_S_city_fresh",
            "hydra.sweeper.n_trials=4",
            *FAST,
            f"hydra.sweep.dir={tmp_path}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    results = OmegaConf.load(tmp_path / RESULTS_FILE)
    # trials with s > S are refused by the rule: recorded as failed, the sweep goes on
    assert results.n_trials == 4 and results.n_complete + results.n_failed == 4
    assert results.n_complete >= 1 and math.isfinite(results.best_value)
    best = results.best_params
    assert 1.0 <= best["policy.s_days"] <= 3.0 and 1.5 <= best["policy.S_days"] <= 4.0
    assert best["policy.review_every_days"] in (1, 2, 3)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["0", "1", "2", "3"]
    assert len(list(tmp_path.glob("*/result.json"))) == results.n_complete


def test_a_task_that_fails_in_a_real_sweep_is_recorded_and_the_sweep_finishes(tmp_path):
    (tmp_path / "task.yaml").write_text(
        textwrap.dedent(
            """
            defaults:
              - override hydra/sweeper: shelflife_optuna
              - _self_
            x: 0.0
            hydra:
              sweeper:
                n_trials: 4
                sampler: {seed: 0}
                params:
                  x: interval(0, 1)
            """
        )
    )
    (tmp_path / "task.py").write_text(
        textwrap.dedent(
            """
            import hydra
            from hydra.core.hydra_config import HydraConfig

            @hydra.main(config_path=".", config_name="task", version_base="1.3")
            def main(cfg):
                job = HydraConfig.get().job.num
                if job == 0:
                    raise ValueError("trial 0 breaks")
                return float("inf") if job == 1 else (cfg.x - 0.3) ** 2

            main()
            """
        )
    )
    out = subprocess.run(
        [
            sys.executable,
            str(tmp_path / "task.py"),
            "--multirun",
            f"hydra.sweep.dir={tmp_path / 'sweep'}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    results = OmegaConf.load(tmp_path / "sweep" / RESULTS_FILE)
    assert (results.n_complete, results.n_failed) == (2, 2)
    assert results.best_trial in (2, 3) and 0.0 <= results.best_params.x <= 1.0
    assert "trial 0 raised ValueError: trial 0 breaks" in out.stdout + out.stderr
