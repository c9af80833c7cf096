"""Log an exported policy folder as an MLflow model and register it as ``shelflife-<scenario>``.

The model is ``policies/export/mlflow_model.py`` (models from code: no pickle) with the
policy folder as its artifact and the project's ``sim`` and ``policies`` packages as its
code, a signature inferred from an example state table and the suggestions it gets, and
that example as its input example. ``mlflow models serve -m models:/shelflife-<scenario>/<n>
--env-manager local`` then serves it beside (or instead of) ``policies.serving.http``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import policies.export.mlflow_model as model_code
from policies.serving import Recommender
from policies.serving.tables import suggestions_table, table_to_columns

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_ROWS = 5  # the input example: the first rows of the example state (a valid state)
# what the model needs where it is served (its code imports nothing else of ours)
PIP_REQUIREMENTS = [
    "mlflow==3.17.2",
    "numpy==2.4.6",
    "pandas==3.1.1",
    "scipy==1.17.1",  # policies.heuristics (newsvendor), which the served rules import
    "onnxruntime==1.31.1",
    "pydantic==2.14.4",
]


def registered_name(scenario: str) -> str:
    return f"shelflife-{scenario}"


@dataclass(frozen=True)
class LoggedPolicy:
    """Where the model went: its URI in the run, its registered name and version."""

    model_uri: str
    registered_model: str
    version: int


def example_input(state: pd.DataFrame, rows: int = EXAMPLE_ROWS) -> pd.DataFrame:
    return state.head(rows).reset_index(drop=True)


def log_policy_model(policy_dir: str | Path, scenario: str, state: pd.DataFrame) -> LoggedPolicy:
    """Log ``policy_dir`` into the active MLflow run as a pyfunc model and register it.

    Args:
        policy_dir: an exported policy folder (``policies.export``), verified before use.
        scenario: names the registered model, ``shelflife-<scenario>``.
        state: a state table of that scenario (e.g. ``policies.export.states.
            example_state_table``); its first rows are the input example.
    """
    import mlflow
    from mlflow.models import infer_signature

    example = example_input(state)
    output = suggestions_table(Recommender.load(policy_dir).recommend(table_to_columns(example)))
    with warnings.catch_warnings():  # weekday, day, ages and packs are integers, never missing
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        signature = infer_signature(example, output)
    info = mlflow.pyfunc.log_model(
        name="policy",
        python_model=model_code.__file__,
        artifacts={model_code.POLICY_ARTIFACT: str(policy_dir)},
        code_paths=[str(REPO / "sim"), str(REPO / "policies")],
        signature=signature,
        input_example=example,
        pip_requirements=PIP_REQUIREMENTS,
        registered_model_name=registered_name(scenario),
    )
    return LoggedPolicy(
        model_uri=info.model_uri,
        registered_model=registered_name(scenario),
        version=int(info.registered_model_version),
    )
