"""The chain's state and suggestions as tables (one row per store-SKU), for the batch CLI
(``scripts/recommend.py``) and the MLflow model (``policies/export/mlflow_model.py``).

A state table has the columns of ``policies.serving.state`` with ``store_id`` and ``sku_id``
per row, ``on_hand_by_age`` as a list column or as ``on_hand_age_0``, ``on_hand_age_1``, ...
columns, and ``weekday`` and ``day`` the same on every row.
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Collection, Iterator
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
    recommender: Recommender,
    state: Path,
    out: Path,
    *,
    batch_rows: int = 250_000,
    stores: Collection[str] | None = None,
    mean_age: dict[int, float] | None = None,
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

    A block of a bigger run (``experiments.daily_list`` on Ray) passes ``stores``: only
    their rows are read (Parquet row groups whose statistics exclude them are skipped),
    and ``mean_age``: the whole chain's category means (``chain_mean_age``), so that the
    block's rows get what the whole list would give them.

    Raises:
        StateError: a refused row, named by its row in the whole table.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if batch_rows < 1:
        raise ValueError(f"batch_rows: got {batch_rows}; allowed: an integer >= 1")
    whole = recommender.transfers is not None  # transfers pair stores: one batch
    if whole and stores is not None:
        raise ValueError("stores: a policy that plans transfers reads the whole chain at once")
    if mean_age is None and not whole:
        mean_age = chain_mean_age(recommender, state, batch_rows, whole_only=stores is None)
    tmp = out.with_name(out.name + ".tmp")
    writer: Any = None
    scalars: dict[str, Any] = {}
    rows = units = transferred = batches = 0
    try:
        for table in _state_batches(state, None if whole else batch_rows, stores):
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


def chain_mean_age(
    recommender: Recommender, state: Path, batch_rows: int, *, whole_only: bool = False
) -> dict[int, float] | None:
    """Category -> mean stock age over the whole state table, every row validated on the
    way (a refused row is named by its row in the table). ``whole_only``: None when one
    batch holds the table (``recommend`` then takes the means itself)."""
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
    if whole_only and len(ages) <= 1:
        return None
    return category_mean_age(np.concatenate(categories), np.concatenate(ages))


def state_stores(state: Path, batch_rows: int = 1_000_000) -> list[str]:
    """The state table's store ids in order of first appearance, read one column a batch
    at a time."""
    import pyarrow.parquet as pq

    seen: dict[str, None] = {}
    if state.suffix.lower() == ".parquet":
        file = pq.ParquetFile(state)
        for batch in file.iter_batches(batch_size=batch_rows, columns=["store_id"]):
            seen |= dict.fromkeys(batch.column(0).cast("string").unique().to_pylist())
    else:
        for chunk in pd.read_csv(state, usecols=["store_id"], chunksize=batch_rows, dtype=str):
            seen |= dict.fromkeys(chunk["store_id"].unique().tolist())
    return list(seen)


def store_blocks(stores: list[str], blocks: int) -> list[list[str]]:
    """``stores`` in at most ``blocks`` contiguous blocks of near-equal size (none empty)."""
    if blocks < 1:
        raise ValueError(f"blocks: got {blocks}; allowed: an integer >= 1")
    edges = np.linspace(0, len(stores), min(blocks, len(stores)) + 1).round().astype(int)
    return [stores[a:b] for a, b in itertools.pairwise(edges)]


def concatenate_tables(parts: list[Path], out: Path) -> None:
    """Write the suggestion tables ``parts`` (all Parquet or all CSV, like ``out``) one
    after the other into ``out``, a row group or chunk at a time, atomically."""
    import pyarrow.parquet as pq

    tmp = out.with_name(out.name + ".tmp")
    try:
        if out.suffix.lower() == ".parquet":
            writer: Any = None
            try:
                for part in parts:
                    file = pq.ParquetFile(part)
                    for group in range(file.num_row_groups):
                        table = file.read_row_group(group)
                        writer = writer or pq.ParquetWriter(tmp, table.schema)
                        writer.write_table(table)
            finally:
                if writer is not None:
                    writer.close()
        else:
            with tmp.open("wb") as sink:
                for i, part in enumerate(parts):
                    with part.open("rb") as source:
                        header = source.readline()
                        if i == 0:
                            sink.write(header)
                        shutil.copyfileobj(source, sink)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def _state_batches(
    path: Path, batch_rows: int | None, stores: Collection[str] | None = None
) -> Iterator[pd.DataFrame]:
    """The state table in batches of ``batch_rows`` rows (None: all at once), only the
    rows of ``stores`` when given (empty batches skipped)."""
    import pyarrow.parquet as pq

    if stores is not None:
        yield from _store_batches(path, batch_rows or 1_000_000, stores)
    elif path.suffix.lower() == ".parquet":
        if batch_rows is None:
            yield pd.read_parquet(path)
            return
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            yield batch.to_pandas()
    elif batch_rows is None:
        yield pd.read_csv(path)
    else:
        yield from pd.read_csv(path, chunksize=batch_rows)


def _store_batches(path: Path, batch_rows: int, stores: Collection[str]) -> Iterator[pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.dataset as ds

    if path.suffix.lower() == ".parquet":
        dataset = ds.dataset(path, format="parquet")
        id_type = dataset.schema.field("store_id").type
        wanted = ds.field("store_id").isin(pa.array(list(stores), pa.string()).cast(id_type))
        for batch in dataset.to_batches(filter=wanted, batch_size=batch_rows):
            if batch.num_rows:
                yield batch.to_pandas()
        return
    wanted_ids = set(stores)
    for chunk in pd.read_csv(path, chunksize=batch_rows):
        chunk = chunk[chunk["store_id"].astype(str).isin(wanted_ids)]
        if len(chunk):
            yield chunk.reset_index(drop=True)


_ROW_FIELD = re.compile(r"^(?P<column>.*)\[(?P<row>\d+)\]$")


def _in_table(err: StateError, first_row: int) -> StateError:
    """``err`` of a batch whose first row is ``first_row``, its row counted in the table."""
    match = _ROW_FIELD.match(err.field)
    if match is None or first_row == 0:
        return err
    field = f"{match['column']}[{int(match['row']) + first_row}]"
    return StateError(field, err.value, err.allowed)
