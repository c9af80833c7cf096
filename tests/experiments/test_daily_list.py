"""The daily list on Ray by store blocks (a real local cluster on 127.0.0.1): the same
row for every store-SKU as the one-process list, Parquet and CSV, and clear refusals."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from policies.serving import Recommender
from policies.serving.errors import StateError
from policies.serving.tables import recommend_file, state_stores, store_blocks
from sim.errors import ConfigError
from tests.exported_policies import REPO


@pytest.fixture(scope="module")
def ray_cluster():
    from experiments.ray_executor import ensure_ray  # before ray: the loopback-only flag

    ray = pytest.importorskip("ray")
    ensure_ray(num_cpus=2)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def state_table(tmp_path_factory):
    from policies.export.states import example_state_table

    path = tmp_path_factory.mktemp("state") / "state.parquet"
    table = example_state_table("city_fresh", 7)
    table.to_parquet(path, index=False, row_group_size=300)  # several row groups
    return path


def test_store_blocks_cover_every_store_once_in_order():
    stores = [f"s{i}" for i in range(7)]
    blocks = store_blocks(stores, 3)
    assert [s for b in blocks for s in b] == stores and len(blocks) == 3
    assert [len(b) for b in blocks] == [2, 3, 2]
    assert store_blocks(stores[:2], 5) == [["s0"], ["s1"]]
    with pytest.raises(ValueError, match="blocks: got 0; allowed: an integer >= 1"):
        store_blocks(stores, 0)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_the_list_on_ray_equals_the_one_process_list(
    ray_cluster, base_stock_policy_dir, state_table, tmp_path, suffix
):
    from experiments.daily_list import daily_list_on_ray

    state = state_table
    if suffix == ".csv":
        state = tmp_path / "state.csv"
        pd.read_parquet(state_table).to_csv(state, index=False)
    here = tmp_path / f"here{suffix}"
    there = tmp_path / f"ray{suffix}"
    recommender = Recommender.load(base_stock_policy_dir)
    local = recommend_file(recommender, state, here, batch_rows=500)
    on_ray = daily_list_on_ray(base_stock_policy_dir, state, there, blocks=3, batch_rows=500)
    assert on_ray["blocks"] == 3 and on_ray["rows"] == local["rows"]
    assert on_ray["units_suggested"] == local["units_suggested"] > 0
    read = pd.read_parquet if suffix == ".parquet" else pd.read_csv
    pd.testing.assert_frame_equal(read(there), read(here))
    assert not there.with_name(there.name + ".parts").exists()  # parts cleaned up
    assert len(state_stores(state)) >= 3


def test_the_list_on_ray_alerts_against_the_whole_chains_means(
    ray_cluster, base_stock_policy_dir, state_table, tmp_path
):
    """One block per store: each block's time-on-shelf alert must still compare with the
    chain's category means, not its own store's (the list equals the one-process one)."""
    from experiments.daily_list import daily_list_on_ray

    here, there = tmp_path / "here.parquet", tmp_path / "ray.parquet"
    recommend_file(Recommender.load(base_stock_policy_dir), state_table, here)
    blocks = len(state_stores(state_table))
    daily_list_on_ray(base_stock_policy_dir, state_table, there, blocks=blocks)
    ours, theirs = pd.read_parquet(there), pd.read_parquet(here)
    pd.testing.assert_frame_equal(ours, theirs)


def test_the_list_on_ray_names_a_bad_row_before_any_task(
    ray_cluster, base_stock_policy_dir, state_table, tmp_path
):
    from experiments.daily_list import daily_list_on_ray

    table = pd.read_parquet(state_table)
    table.loc[611, "on_order"] = -2
    bad = tmp_path / "bad.parquet"
    table.to_parquet(bad, index=False)
    out = tmp_path / "out.parquet"
    with pytest.raises(StateError, match=r"on_order\[611\]: got -2"):
        daily_list_on_ray(base_stock_policy_dir, bad, out, blocks=2)
    assert not out.exists()


def test_a_transfer_policy_is_refused_on_ray(
    ray_cluster, transfer_policy_dir, state_table, tmp_path
):
    from experiments.daily_list import daily_list_on_ray

    with pytest.raises(ConfigError, match=r"^executor: got 'ray'; allowed: local for a policy"):
        daily_list_on_ray(transfer_policy_dir, state_table, tmp_path / "o.parquet", blocks=2)


def test_the_cli_runs_the_list_on_ray(base_stock_policy_dir, state_table, tmp_path):
    out = tmp_path / "list.parquet"
    done = subprocess.run(
        [sys.executable, "scripts/recommend.py", "--policy", str(base_stock_policy_dir),
         "--state", str(state_table), "--out", str(out), "--executor", "ray", "--blocks", "2"],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["blocks"] == 2 and summary["rows"] == len(pd.read_parquet(out))
    refused = subprocess.run(
        [sys.executable, "scripts/recommend.py", "--policy", str(base_stock_policy_dir),
         "--state", str(state_table), "--out", str(out), "--blocks", "2"],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert refused.returncode == 2 and "allowed only with --executor ray" in refused.stderr
