"""The chain's state and suggestions as tables (one row per store-SKU), for the batch CLI
(``scripts/recommend.py``) and the MLflow model (``policies/export/mlflow_model.py``).

A state table has the columns of ``policies.serving.state`` with ``store_id`` and ``sku_id``
per row, ``on_hand_by_age`` as a list column or as ``on_hand_age_0``, ``on_hand_age_1``, ...
columns, and ``weekday`` and ``day`` the same on every row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from policies.serving.errors import StateError

if TYPE_CHECKING:
    from policies.serving.recommender import Recommendations

SCALAR_COLUMNS = ("weekday", "day")
AGE_PREFIX = "on_hand_age_"
TRANSFER_COLUMNS = ("transfer_units", "transfer_to", "transfer_reasons")


def table_to_columns(table: pd.DataFrame) -> dict[str, Any]:
    """The table as ``parse_state`` columns (one state for the whole chain).

    Raises:
        StateError: a scalar column (``weekday``, ``day``) differs between rows.
    """
    columns: dict[str, Any] = {}
    age_cols = sorted(
        (c for c in table.columns if str(c).startswith(AGE_PREFIX)),
        key=lambda c: int(str(c).rsplit("_", 1)[1]),
    )
    for name in table.columns:
        if name in age_cols:
            continue
        if name in SCALAR_COLUMNS:
            values = table[name].unique()
            if len(values) != 1:
                raise StateError(name, values[:5].tolist(), "one value for every row")
            columns[name] = int(values[0])
        elif name == "store_id":
            columns["store_ids"] = table[name].astype(str).to_numpy()
        elif name == "sku_id":
            columns["sku_ids"] = table[name].astype(str).to_numpy()
        elif name == "on_hand_by_age":
            columns[name] = np.stack(table[name].to_numpy())
        else:
            columns[name] = table[name].to_numpy()
    if age_cols:
        columns["on_hand_by_age"] = table[age_cols].to_numpy(dtype=np.float64)
    return columns


def suggestions_table(result: Recommendations) -> pd.DataFrame:
    """One row per store-SKU: store_id, sku_id, order_units, order_packs, alert,
    alert_response, rules (``;``-joined), reason, and for a policy that plans transfers
    transfer_units, transfer_to and transfer_reasons (empty where nothing is sent)."""
    cols = result.to_columns()
    return pd.DataFrame(
        {
            "store_id": cols["store_ids"],
            "sku_id": cols["sku_ids"],
            "order_units": cols["order_units"],
            "order_packs": cols["order_packs"],
            "alert": cols["alerts"],
            "alert_response": cols["alert_responses"],
            "rules": [";".join(r) for r in cols["rules"]],
            "reason": cols["reasons"],
            **{name: cols[name] for name in TRANSFER_COLUMNS if name in cols},
        }
    )
