"""The chain's daily list on Ray, one task per block of stores.

``scripts/recommend.py --executor ray`` (and ``daily_list_on_ray`` from Python). The
driver reads the state table once, validating every row and taking each category's mean
stock age over the whole chain (the time-on-shelf alert's reference); each task then
loads the exported policy itself (verified by its hashes, never unpickled), reads only
its stores' rows (Parquet row groups whose statistics exclude them are skipped) and
writes its part of the list; the driver joins the parts in block order into ``out``.
Each row gets what the one-process list gives it; the rows come grouped by store block
(the same order as the one-process list when the state table is grouped by store, as
exports are).

What is shipped per task: the policy folder's path, the state table's path, the block's
store ids and the category means (a few hundred numbers). On a real cluster the policy,
the state table and the parts folder must be on storage every node can read (a shared
file system or a mounted bucket); the speed-up per node is that of its cores, since the
blocks share nothing.

A policy that plans transfers pairs stores across blocks, so it is refused here: it runs
in one process (``--executor local``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from policies.serving import Recommender
from policies.serving.tables import (
    chain_mean_age,
    concatenate_tables,
    recommend_file,
    state_stores,
    store_blocks,
)
from sim.errors import ConfigError


def _block_task(task: tuple[Path, Path, Path, list[str], dict, int]) -> dict[str, Any]:
    policy, state, part, stores, mean_age, batch_rows = task
    recommender = Recommender.load(policy)
    summary = recommend_file(
        recommender, state, part, batch_rows=batch_rows, stores=stores, mean_age=mean_age
    )
    return summary | {"stores": len(stores)}


def daily_list_on_ray(
    policy: Path,
    state: Path,
    out: Path,
    *,
    blocks: int | None = None,
    batch_rows: int = 250_000,
    address: str | None = None,
    num_cpus: int | None = None,
) -> dict[str, Any]:
    """Write the chain's daily list from ``state`` to ``out`` (``.parquet`` or ``.csv``) as
    Ray tasks over ``blocks`` blocks of stores (default: two per CPU of the cluster).

    Returns:
        rows, units_suggested, batches (summed over the blocks), blocks.

    Raises:
        ConfigError: a policy that plans transfers (it needs the whole chain at once), or
            ``blocks`` below 1.
        StateError: a refused row, named by its row in the whole table (before any task).
        TaskFailures: blocks that failed on their retry too; ``out`` is not written.
    """
    from experiments.ray_executor import ensure_ray, ray_map

    if blocks is not None and blocks < 1:
        raise ConfigError("blocks", blocks, "an integer >= 1 (or None: two per CPU)")
    recommender = Recommender.load(policy)
    if recommender.transfers is not None:
        raise ConfigError(
            "executor", "ray", "local for a policy that plans transfers (its plans pair"
            " stores across blocks, so it reads the whole chain in one process)"
        )  # fmt: skip
    mean_age = chain_mean_age(recommender, state, batch_rows) or {}
    del recommender  # the tasks load their own
    stores = state_stores(state)
    if blocks is None:
        import ray

        ensure_ray(address, num_cpus)
        blocks = 2 * int(ray.cluster_resources().get("CPU", os.cpu_count() or 1))
    parts_dir = out.with_name(out.name + ".parts")
    shutil.rmtree(parts_dir, ignore_errors=True)
    parts_dir.mkdir(parents=True)
    try:
        groups = store_blocks(stores, blocks)
        parts = [parts_dir / f"part-{i:05d}{out.suffix}" for i in range(len(groups))]
        tasks = [
            (policy, state, part, group, mean_age, batch_rows)
            for part, group in zip(parts, groups, strict=True)
        ]
        summaries = ray_map(
            _block_task, tasks, address=address, num_cpus=num_cpus, desc="daily list",
            unit="store block", labels=[f"store block {i} ({g[0]}..{g[-1]})"
                                        for i, g in enumerate(groups)],
        )  # fmt: skip
        concatenate_tables(parts, out)
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)
    return {
        "rows": sum(s["rows"] for s in summaries),
        "units_suggested": sum(s["units_suggested"] for s in summaries),
        "batches": sum(s["batches"] for s in summaries),
        "blocks": len(groups),
    }
