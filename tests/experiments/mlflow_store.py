"""A throwaway embedded MLflow store for a test: the logger overrides that point a run at it."""

from pathlib import Path


def mlflow_logger(tmp_path: Path, experiment: str) -> list[str]:
    """``logger.*`` overrides: a sqlite store and artifact folder under ``tmp_path``."""
    return [
        f"logger.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
        f"logger.artifact_location={tmp_path}/artifacts",
        f"logger.experiment={experiment}",
    ]
