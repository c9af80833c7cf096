"""Experiment tracking: MLflow (embedded sqlite store by default) or nothing.

``Tracker`` is the one object the entry points log through; ``NullTracker``
keeps the same interface when tracking is off (tests, quick runs).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

REPO = Path(__file__).resolve().parents[1]
# the MLflow UI opens an experiment in its ML (not GenAI) view when this tag says so
EXPERIMENT_KIND = "mlflow.experimentKind"
MODEL_DEVELOPMENT = "custom_model_development"
RUN_ID_FILE = "mlflow_run_id"  # in a training output folder: the MLflow run that trained it


def training_run_id(model_path: str | Path) -> str:
    """The MLflow run that trained ``<output_dir>/checkpoints/<name>.zip`` or
    ``<output_dir>/checkpoints/step_<n>/model.zip`` ("" if unknown)."""
    for folder in Path(model_path).resolve().parents[1:3]:
        found = folder / RUN_ID_FILE
        if found.is_file():
            return found.read_text().strip()
    return ""


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True
        ).stdout
        return out.stdout.strip() + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def ci_metrics(name: str, ci: Mapping[str, float]) -> dict[str, float]:
    """A mean with its 95 % bounds as metrics: ``name``, ``name.ci_low``, ``name.ci_high``."""
    return {name: ci["mean"], f"{name}.ci_low": ci["ci_low"], f"{name}.ci_high": ci["ci_high"]}


def flatten(cfg: Mapping[str, Any] | DictConfig, prefix: str = "") -> dict[str, str]:
    """Dotted keys -> string values (MLflow params)."""
    data = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = str(value)[:500]
    return out


@dataclass(frozen=True)
class ChildRun:
    """A finished run to log under a parent: its name, params, metrics and tags."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float | None] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


class NullTracker(AbstractContextManager):
    run_id: str | None = None

    def __exit__(self, *exc: object) -> None:
        return None

    def log_params(self, params: Mapping[str, Any]) -> None: ...

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None: ...

    def log_artifact(self, path: str | Path, subdir: str | None = None) -> None: ...

    def set_tags(self, tags: Mapping[str, str]) -> None: ...

    def close_abandoned(self, tag: str, value: str) -> list[str]:
        """Mark runs left RUNNING with ``tags.<tag> == value`` (a killed process) as KILLED;
        returns their ids."""
        return []

    def log_child_runs(self, children: Sequence[ChildRun]) -> list[str]:
        """Finished child runs of this run, one per entry (e.g. the trials of a search),
        written in batches; returns their ids."""
        return []


class MlflowTracker(NullTracker):
    """One MLflow run (optionally nested under a parent run)."""

    def __init__(
        self,
        tracking_uri: str,
        experiment: str,
        run_name: str,
        artifact_location: str | None,
        nested: bool = False,
    ) -> None:
        import mlflow

        self._mlflow = mlflow
        self._where = (tracking_uri, experiment)
        self._artifact_location = artifact_location
        database = None
        if tracking_uri.startswith("sqlite:///"):
            database = REPO / tracking_uri.removeprefix("sqlite:///")
            database.parent.mkdir(parents=True, exist_ok=True)
            tracking_uri = "sqlite:///" + str(database)
        mlflow.set_tracking_uri(tracking_uri)
        with _store_lock(database):
            self._use_experiment(experiment, artifact_location)
        # inside another run of this process (a study's stage), a run is its child
        nested = nested or mlflow.active_run() is not None
        self._run = mlflow.start_run(run_name=run_name, nested=nested)
        self.run_id = self._run.info.run_id

    def _use_experiment(self, experiment: str, artifact_location: str | None) -> None:
        mlflow = self._mlflow
        if mlflow.get_experiment_by_name(experiment) is None:
            location = None
            if artifact_location:
                path = (
                    REPO / artifact_location
                    if not Path(artifact_location).is_absolute()
                    else Path(artifact_location)
                )
                path.mkdir(parents=True, exist_ok=True)
                location = path.as_uri()
            mlflow.create_experiment(
                experiment, artifact_location=location, tags={EXPERIMENT_KIND: MODEL_DEVELOPMENT}
            )
        found = mlflow.set_experiment(experiment)
        if found.tags.get(EXPERIMENT_KIND) is None:  # made by an older version or by hand
            mlflow.MlflowClient().set_experiment_tag(
                found.experiment_id, EXPERIMENT_KIND, MODEL_DEVELOPMENT
            )

    def __exit__(self, *exc: object) -> None:
        kind = exc[0] if exc else None
        if kind is None:
            status = "FINISHED"
        elif issubclass(kind, KeyboardInterrupt | SystemExit):  # Ctrl-C, SIGTERM
            status = "KILLED"
        else:
            status = "FAILED"
        self._mlflow.end_run(status=status)

    def child(self, run_name: str) -> MlflowTracker:
        """A run nested under this one (which must be the active run)."""
        return MlflowTracker(*self._where, run_name, self._artifact_location, nested=True)

    def log_params(self, params: Mapping[str, Any]) -> None:
        self._mlflow.log_params({k: str(v)[:500] for k, v in params.items()})

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        clean = {k: float(v) for k, v in metrics.items() if v is not None}
        self._mlflow.log_metrics(clean, step=step)

    def log_artifact(self, path: str | Path, subdir: str | None = None) -> None:
        path = Path(path)
        if path.is_dir():
            self._mlflow.log_artifacts(str(path), artifact_path=subdir)
        else:
            self._mlflow.log_artifact(str(path), artifact_path=subdir)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        self._mlflow.set_tags(dict(tags))

    def close_abandoned(self, tag: str, value: str) -> list[str]:
        client = self._mlflow.MlflowClient()
        quoted = value.replace("'", "\\'")
        runs = client.search_runs(
            [self._run.info.experiment_id],
            filter_string=f"tags.`{tag}` = '{quoted}' and attributes.status = 'RUNNING'",
        )
        closed = [r.info.run_id for r in runs if r.info.run_id != self.run_id]
        for run_id in closed:
            client.set_tag(
                run_id, "closed_by", f"run {self.run_id}: left RUNNING by a killed process"
            )
            client.set_terminated(run_id, status="KILLED")
        return closed

    def log_child_runs(self, children: Sequence[ChildRun]) -> list[str]:
        from mlflow.entities import Metric, Param

        client = self._mlflow.MlflowClient()
        ids = []
        for child in children:
            run = client.create_run(
                self._run.info.experiment_id,
                run_name=child.name,
                tags={"mlflow.parentRunId": self.run_id, **child.tags},
            )
            status = "FAILED"
            try:
                client.log_batch(
                    run.info.run_id,
                    metrics=[
                        Metric(k, float(v), int(time.time() * 1000), 0)
                        for k, v in child.metrics.items()
                        if v is not None
                    ],
                    params=[Param(k, str(v)[:500]) for k, v in child.params.items()],
                )
                status = "FINISHED"
            finally:  # never left RUNNING
                client.set_terminated(run.info.run_id, status=status)
            ids.append(run.info.run_id)
        return ids


@contextlib.contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """SIGTERM (a scheduler stopping the job) raises SystemExit, so the MLflow runs open in
    this process end as KILLED instead of staying RUNNING; SIGKILL cannot be caught: the
    next run on the same output folder closes them (``close_abandoned``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def join_sweep(logger_cfg: DictConfig) -> dict[str, str]:
    """Group the jobs of a Hydra ``--multirun`` sweep in MLflow; returns tags for the job's run.

    Jobs that run in this process one after another (Hydra's basic launcher, under the
    Optuna sweeper or a grid) share one parent run named after the sweep folder: the first
    job starts it and leaves it open, every job's run is its child (``MlflowTracker`` nests
    under the active run), and MLflow ends it when the process exits. Jobs in worker
    processes (``hydra/launcher=joblib`` or ``ray``) are not nested; the ``sweep_dir`` tag
    groups them.
    Outside a sweep nothing happens.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return {}
    hydra_cfg = HydraConfig.get()
    tags = {
        "sweep_dir": str(Path(hydra_cfg.sweep.dir).resolve()),
        "sweep_job": str(hydra_cfg.job.num),  # the job's folder under sweep_dir
    }
    in_process = hydra_cfg.launcher._target_.endswith("BasicLauncher")
    if logger_cfg.kind == "none" or not in_process:
        return tags
    import mlflow

    if mlflow.active_run() is None:
        parent = make_tracker(logger_cfg, f"sweep {Path(hydra_cfg.sweep.dir).name}")
        parent.set_tags({**tags, "kind": "sweep", "sweeper": str(hydra_cfg.sweeper._target_)})
    return tags


@contextlib.contextmanager
def _store_lock(database: Path | None) -> Iterator[None]:
    """One process at a time creates a sqlite store and its experiment: jobs of a parallel
    sweep starting together otherwise migrate the same new database at once and fail
    (sqlite: "duplicate column name")."""
    if database is None:
        yield
        return
    import fcntl

    with open(database.with_name(database.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def make_child(parent: NullTracker, run_name: str) -> NullTracker:
    """A run nested under ``parent`` (the active run) when it tracks, else nothing."""
    if isinstance(parent, MlflowTracker):
        return parent.child(run_name)
    return NullTracker()


def make_tracker(logger_cfg: DictConfig, run_name: str, *, nested: bool = False) -> NullTracker:
    if logger_cfg.kind == "none":
        return NullTracker()
    if logger_cfg.kind == "mlflow":
        return MlflowTracker(
            logger_cfg.tracking_uri,
            logger_cfg.experiment,
            run_name,
            logger_cfg.get("artifact_location"),
            nested=nested,
        )
    from sim.errors import ConfigError

    raise ConfigError("logger.kind", logger_cfg.kind, "mlflow or none")
