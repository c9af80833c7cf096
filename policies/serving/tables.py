"""The chain's state and suggestions as tables (one row per store-SKU), for the batch CLI
(``scripts/recommend.py``) and the MLflow model (``policies/export/mlflow_model.py``).

A state table has the columns of ``policies.serving.state`` with ``store_id`` and ``sku_id``
per row, ``on_hand_by_age`` as a list column or as ``on_hand_age_0``, ``on_hand_age_1``, ...
columns, and ``weekday`` and ``day`` the same on every row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from policies.serving.errors import StateError

if TYPE_CHECKING:
    from policies.serving.recommender import Recommendations, Recommender

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


def recommend_file(
    recommender: Recommender, state: Path, out: Path, *, batch_rows: int = 250_000
) -> dict[str, Any]:
    """The chain's daily list from a state table file (``.parquet`` or ``.csv``) to a
    suggestions file (either), ``batch_rows`` rows at a time.

    Memory stays bounded by a batch whatever the chain's size: Parquet is read by row
    groups (``iter_batches``) and written by one ``ParquetWriter``, CSV in chunks. Orders
    are decided row by row; the time-on-shelf alert compares a row's stock age with its
    category's mean over the whole chain, so a first pass over the batches (validated
    the same way) takes those means, and the list equals the one-batch list row for
    row. A transfer policy plans between stores, so it reads the whole table at once.
    ``weekday`` and ``day`` must be the same in every batch. The output is written
    beside ``out`` and moved into place when complete: a refused row leaves no
    partial list.

    Raises:
        StateError: a refused row, named by its row in the whole table.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if batch_rows < 1:
        raise ValueError(f"batch_rows: got {batch_rows}; allowed: an integer >= 1")
    whole = recommender.transfers is not None  # transfers pair stores: one batch
    mean_age = None if whole else _chain_mean_age(recommender, state, batch_rows)
    tmp = out.with_name(out.name + ".tmp")
    writer: Any = None
    scalars: dict[str, Any] = {}
    rows = units = transferred = batches = 0
    try:
        for table in _state_batches(state, None if whole else batch_rows):
            columns = table_to_columns(table)
            for name in SCALAR_COLUMNS:
                if name in columns and scalars.setdefault(name, columns[name]) != columns[name]:
                    raise StateError(name, columns[name], f"{scalars[name]}, as in the rows before")
            try:
                result = recommender.recommend(columns, mean_age=mean_age)
            except StateError as err:
                raise _in_table(err, rows) from None
            suggestions = suggestions_table(result)
            if out.suffix.lower() == ".parquet":
                batch = pa.Table.from_pandas(suggestions, preserve_index=False)
                writer = writer or pq.ParquetWriter(tmp, batch.schema)
                writer.write_table(batch)
            else:
                first = batches == 0
                suggestions.to_csv(tmp, index=False, mode="w" if first else "a", header=first)
            rows += result.n
            units += int(result.order_units.sum())
            if result.transfers is not None:
                transferred += int(result.transfers.units.sum())
            batches += 1
        if writer is not None:
            writer.close()
            writer = None
        tmp.replace(out)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    summary = {"rows": rows, "units_suggested": units, "batches": batches}
    return summary | ({"units_transferred": transferred} if whole else {})


def _chain_mean_age(
    recommender: Recommender, state: Path, batch_rows: int
) -> dict[int, float] | None:
    """Category -> mean stock age over the whole state table (None: one batch holds it)."""
    from policies.serving.alerts import average_age, category_mean_age

    ages, categories = [], []
    first = 0
    for table in _state_batches(state, batch_rows):
        try:
            rows = recommender.parse(table_to_columns(table))
        except StateError as err:
            raise _in_table(err, first) from None
        first += rows.n
        ages.append(average_age(rows))
        categories.append(recommender.catalog["category"][rows.sku])
    if len(ages) <= 1:
        return None
    return category_mean_age(np.concatenate(categories), np.concatenate(ages))


def _state_batches(path: Path, batch_rows: int | None) -> Iterator[pd.DataFrame]:
    """The state table in batches of ``batch_rows`` rows (None: all at once)."""
    import pyarrow.parquet as pq

    if path.suffix.lower() == ".parquet":
        if batch_rows is None:
            yield pd.read_parquet(path)
            return
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            yield batch.to_pandas()
    elif batch_rows is None:
        yield pd.read_csv(path)
    else:
        yield from pd.read_csv(path, chunksize=batch_rows)


_ROW_FIELD = re.compile(r"^(?P<column>.*)\[(?P<row>\d+)\]$")


def _in_table(err: StateError, first_row: int) -> StateError:
    """``err`` of a batch whose first row is ``first_row``, its row counted in the table."""
    match = _ROW_FIELD.match(err.field)
    if match is None or first_row == 0:
        return err
    field = f"{match['column']}[{int(match['row']) + first_row}]"
    return StateError(field, err.value, err.allowed)
