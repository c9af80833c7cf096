"""An exported policy folder as an MLflow pyfunc model (MLflow's "models from code").

MLflow runs this file when it loads the model, so nothing is unpickled: the model is this
code plus the policy folder as an artifact, which ``Recommender.load`` verifies by its
manifest's SHA-256 sums as our own server does. Input: a state table (one row per store-SKU,
the columns of ``policies.serving.tables``); output: the suggestions table of the batch CLI.
``experiments.model_registry.log_policy_model`` logs and registers it;
``mlflow models serve -m models:/shelflife-<scenario>/<version> --env-manager local`` then
answers ``POST /invocations`` with ``{"dataframe_split": ...}`` bodies.
"""

from __future__ import annotations

from typing import Any

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel

from policies.serving import Recommender
from policies.serving.tables import suggestions_table, table_to_columns

POLICY_ARTIFACT = "policy"


class ShelfLifePolicyModel(PythonModel):
    """The verified policy folder behind MLflow's pyfunc interface."""

    def load_context(self, context: Any) -> None:
        self.recommender = Recommender.load(context.artifacts[POLICY_ARTIFACT])

    # pd.DataFrame hints: the one kind MLflow accepts for a table in, a table out; the logged
    # signature (inferred from an example state table) names the columns
    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return suggestions_table(self.recommender.recommend(table_to_columns(model_input)))


mlflow.models.set_model(ShelfLifePolicyModel())
