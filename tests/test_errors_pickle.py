"""Every error type of the project survives pickling with its message and fields, so an error
raised in a worker process reaches the parent as itself (not as BrokenProcessPool or a
TypeError about missing arguments)."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
from concurrent.futures import ProcessPoolExecutor

import pytest

import sim.errors as errors
from experiments.evaluate import StudyWarning
from experiments.task_failures import TaskFailure, TaskFailures
from experiments.tune_baselines import TuningError
from policies.serving import errors as serving_errors
from policies.serving.http import _Refused, _TooBig
from policies.serving.npz import NpzError
from policies.serving.state_json import DuplicateKeyError
from sim.demand.sales_table import RejectedRowsWarning
from sim.features import ObservationContractError

EXAMPLES = [
    StudyWarning("base_stock sold nothing in the 14 reported days"),
    errors.ShelfLifeError("boom"),
    errors.FieldError("stores[3].dc", 7, "0..2"),
    errors.ConfigError("demand.mean", -1.0, "a finite number > 0"),
    errors.ActionError("action: -1; allowed: 0..10"),
    errors.SalesTableError("sales.csv", [(3, "units: got -1; allowed: >= 0")]),
    errors.ConservationError("units created: 3"),
    ObservationContractError("manifest.observation.version", 1, "version 2"),
    serving_errors.ServingError("no policy"),
    serving_errors.PolicyIntegrityError("model.onnx: hash differs"),
    serving_errors.PolicyFormatError("format_version 9; allowed: 1"),
    serving_errors.StateError("on_hand_by_age[3]", "x" * 200, "a number >= 0"),
    NpzError("not an npz"),
    DuplicateKeyError("weekday"),
    TuningError("unknown policy: foo"),
    _Refused(401, "missing X-API-Key"),
    _TooBig(),
    RejectedRowsWarning("sales.csv: 3 bad row(s) left out"),
    TaskFailures([TaskFailure(1, "policy 'p', seed 9001", ValueError("boom"))], [{}, None]),
]


def _project_error_types() -> set[type]:
    found = set()
    for package in ("sim", "envs", "policies", "experiments"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            try:
                mod = importlib.import_module(info.name)
            except ImportError:  # optional extras not installed
                continue
            for _, obj in inspect.getmembers(mod, inspect.isclass):
                if issubclass(obj, BaseException) and obj.__module__ == info.name:
                    found.add(obj)
    return found


def test_every_project_error_type_has_an_example_here():
    assert _project_error_types() <= {type(e) for e in EXAMPLES}


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: type(e).__name__)
def test_errors_round_trip_through_pickle(error: BaseException):
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and str(back) == str(error)
    for name in ("field", "value", "allowed", "source", "bad_rows", "status", "message", "key"):
        if hasattr(error, name):
            assert getattr(back, name) == getattr(error, name), name


def _refuse(field: str) -> None:
    raise errors.ConfigError(field, 0, "an integer >= 1")


def test_a_config_error_in_a_worker_process_arrives_with_its_message():
    with ProcessPoolExecutor(1) as pool:
        future = pool.submit(_refuse, "workers")
        with pytest.raises(errors.ConfigError, match="workers: got 0; allowed: an integer >= 1"):
            future.result()


def test_a_failed_replication_names_its_policy_and_seed_across_processes():
    """``experiments.evaluate.run_jobs`` in two worker processes: the error that arrives is
    the worker's own (type, message, fields) with a note naming the task."""
    from experiments.evaluate import run_jobs
    from experiments.task_failures import TaskFailures

    jobs = [("ok", 1, max, (1, 2)), ("broken", 9001, _refuse, ("demand.mean",))]
    with pytest.raises(TaskFailures) as caught:
        run_jobs(jobs, n_jobs=2)
    (failure,) = caught.value.failures
    assert isinstance(failure.error, errors.ConfigError)
    assert failure.error.field == "demand.mean"
    assert failure.error.__notes__ == ["in the replication of policy 'broken', seed 9001"]
    assert failure.label == "policy 'broken', seed 9001"
    assert caught.value.results == [2, None]
