"""Experiment tracking: MLflow (embedded sqlite store by default) or nothing.

``Tracker`` is the one object the entry points log through; ``NullTracker``
keeps the same interface when tracking is off (tests, quick runs).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

REPO = Path(__file__).resolve().parents[1]


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
        if tracking_uri.startswith("sqlite:///"):
            (REPO / tracking_uri.removeprefix("sqlite:///")).parent.mkdir(
                parents=True, exist_ok=True
            )
            tracking_uri = "sqlite:///" + str(REPO / tracking_uri.removeprefix("sqlite:///"))
        mlflow.set_tracking_uri(tracking_uri)
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
            mlflow.create_experiment(experiment, artifact_location=location)
        mlflow.set_experiment(experiment)
        self._run = mlflow.start_run(run_name=run_name, nested=nested)
        self.run_id = self._run.info.run_id

    def __exit__(self, *exc: object) -> None:
        kind = exc[0] if exc else None
        if kind is None:
            status = "FINISHED"
        elif issubclass(kind, KeyboardInterrupt | SystemExit):  # Ctrl-C, SIGTERM
            status = "KILLED"
        else:
            status = "FAILED"
        self._mlflow.end_run(status=status)

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
