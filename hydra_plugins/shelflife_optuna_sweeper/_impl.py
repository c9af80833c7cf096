"""The sweep loop: ask a batch of trials, launch it, tell each trial's result.

A job that raised, or returned NaN or an infinity, is told as ``FAIL`` and the
sweep goes on. A job that returned something that is not a number (e.g. None
from a task function that forgot to return its objective) stops the sweep with
a :class:`ReturnValueError`: every later trial would fail the same way.
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import optuna
from hydra.core.utils import JobReturn
from hydra.errors import CompactHydraException
from omegaconf import OmegaConf
from optuna.trial import TrialState

from ._search_space import SWEEPS, SearchSpace, SearchSpaceError, parse_search_space
from .config import ShelfLifeOptunaSweeperConf

log = logging.getLogger(__name__)

RESULTS_FILE = "optimization_results.yaml"
Launch = Callable[[Sequence[Sequence[str]], int], Sequence[JobReturn]]


class TrialFailed(Exception):
    """A trial's job raised, or returned a value that is not finite."""


class ReturnValueError(CompactHydraException, TypeError):
    """The task function returned something that is not a number."""


class SweepFailedError(CompactHydraException, RuntimeError):
    """Every trial of the sweep failed."""


def make_sampler(conf: ShelfLifeOptunaSweeperConf) -> optuna.samplers.TPESampler:
    """The seeded TPE sampler of ``conf.sampler``."""
    s = conf.sampler
    return optuna.samplers.TPESampler(
        seed=s.seed,
        n_startup_trials=s.n_startup_trials,
        multivariate=s.multivariate,
        constant_liar=s.constant_liar,
    )


def create_study(conf: ShelfLifeOptunaSweeperConf) -> optuna.Study:
    """A new study, or the one named ``conf.study_name`` in ``conf.storage`` if it exists."""
    return optuna.create_study(
        study_name=conf.study_name,
        storage=conf.storage,
        sampler=make_sampler(conf),
        direction=conf.direction,
        load_if_exists=conf.storage is not None,
    )


def trial_value(ret: JobReturn, number: int) -> float:
    """The objective a finished job returned.

    Raises:
        TrialFailed: the job raised, or returned NaN or an infinity.
        ReturnValueError: the job returned something that is not a real number.
    """
    try:
        value = ret.return_value
    except Exception as e:  # the task function's own exception
        raise TrialFailed(f"trial {number} raised {type(e).__name__}: {e}") from e
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ReturnValueError(
            f"trial {number}: the task function returned {value!r}"
            f" ({type(value).__name__}); allowed: a number, the objective to optimise"
            " (make the @hydra.main function return it)"
        )
    value = float(value)
    if not math.isfinite(value):
        raise TrialFailed(f"trial {number} returned {value}")
    return value


def run_study(
    study: optuna.Study,
    space: SearchSpace,
    launch: Launch,
    *,
    n_trials: int,
    n_jobs: int,
) -> tuple[list[Sequence[JobReturn]], list[int]]:
    """Run ``n_trials`` trials in batches of ``n_jobs``.

    Args:
        study: the study that samples and records the trials.
        space: the search space and the overrides every trial gets.
        launch: runs a batch of jobs, ``launch(overrides_per_job, first_job_index)``
            (Hydra's ``Launcher.launch``).
        n_trials: trials to run.
        n_jobs: trials per batch.

    Returns:
        The job returns per batch and the numbers of the trials this run added.

    Raises:
        ReturnValueError: a job returned something that is not a number.
    """
    returns: list[Sequence[JobReturn]] = []
    numbers_run: list[int] = []
    job_idx = 0
    while job_idx < n_trials:
        trials = [study.ask(space.distributions) for _ in range(min(n_jobs, n_trials - job_idx))]
        numbers_run += [t.number for t in trials]
        batch = [space.overrides(t.params) for t in trials]
        try:
            results = launch(batch, job_idx)
        except BaseException:
            for t in trials:  # leave no trial RUNNING in a persistent storage
                study.tell(t, state=TrialState.FAIL)
            raise
        job_idx += len(trials)
        returns.append(results)
        bad_return: ReturnValueError | None = None
        for trial, ret in zip(trials, results, strict=True):
            try:
                study.tell(trial, trial_value(ret, trial.number))
            except TrialFailed as e:
                study.tell(trial, state=TrialState.FAIL)
                log.warning("%s: told as FAIL; the sweep goes on", e)
                log.debug("trial %d's traceback", trial.number, exc_info=e.__cause__ or e)
            except ReturnValueError as e:
                study.tell(trial, state=TrialState.FAIL)
                bad_return = bad_return or e
        if bad_return is not None:
            raise bad_return
    return returns, numbers_run


def summary(study: optuna.Study, numbers_run: Sequence[int]) -> dict[str, Any]:
    """What ``optimization_results.yaml`` holds.

    The best trial is the study's (with a ``storage``, earlier sweeps count too);
    ``n_trials``, ``n_complete`` and ``n_failed`` count this sweep's trials.
    """
    run = set(numbers_run)
    mine = [t for t in study.trials if t.number in run]
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    out: dict[str, Any] = {
        "name": "optuna",
        "study_name": study.study_name,
        "direction": study.direction.name.lower(),
        "n_trials": len(mine),
        "n_complete": sum(t.state == TrialState.COMPLETE for t in mine),
        "n_failed": sum(t.state == TrialState.FAIL for t in mine),
        "best_params": None,
        "best_value": None,
        "best_trial": None,
    }
    if complete:
        best = study.best_trial
        out |= {
            "best_params": dict(best.params),
            "best_value": best.value,
            "best_trial": best.number,
        }
    return out


def run_sweep(
    conf: ShelfLifeOptunaSweeperConf,
    arguments: Sequence[str],
    launch: Launch,
    sweep_dir: str | Path,
) -> list[Sequence[JobReturn]]:
    """Parse the search space, run the study and write ``<sweep_dir>/optimization_results.yaml``.

    Raises:
        SearchSpaceError: a malformed or empty search space.
        ReturnValueError: a job returned something that is not a number.
        SweepFailedError: every trial of the sweep failed (the results file is written first).
    """
    space = parse_search_space(conf.params, arguments)
    if not space.distributions:
        raise SearchSpaceError(
            "hydra.sweeper.params", dict(conf.params), f"at least one entry that is {SWEEPS}"
        )
    study = create_study(conf)
    log.info(
        "Optuna study %r (%s, storage %s), TPE seed %s: %d trials in batches of %d over %s",
        study.study_name,
        conf.direction,
        conf.storage,
        conf.sampler.seed,
        conf.n_trials,
        conf.n_jobs,
        list(space.distributions),
    )
    returns, numbers_run = run_study(
        study, space, launch, n_trials=conf.n_trials, n_jobs=conf.n_jobs
    )
    result = summary(study, numbers_run)
    path = Path(sweep_dir) / RESULTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(OmegaConf.create(result), path)
    if result["n_complete"] == 0:
        raise SweepFailedError(
            f"all {result['n_trials']} trials of the sweep failed; see the jobs' logs in"
            f" {sweep_dir} (results in {path})"
        )
    log.info(
        "Best value %s with %s (trial %s)",
        *(result[k] for k in ("best_value", "best_params", "best_trial")),
    )
    return returns
