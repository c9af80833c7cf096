"""The batch CLI: a chain's state table in, the daily suggestion list out."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from tests.exported_policies import REPO


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/recommend.py", *args], cwd=REPO, capture_output=True, text=True
    )


def test_batch_cli_writes_one_suggestion_per_store_sku(base_stock_policy_dir, tmp_path):
    state = tmp_path / "state.parquet"
    made = run("--example-state", str(state), "--scenario", "city_fresh")
    assert made.returncode == 0, made.stderr
    out = tmp_path / "suggestions.csv"
    done = run("--policy", str(base_stock_policy_dir), "--state", str(state), "--out", str(out))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    table = pd.read_parquet(state)
    suggestions = pd.read_csv(out)
    assert summary["rows"] == len(table) == len(suggestions)
    assert list(suggestions[["store_id", "sku_id"]].itertuples(index=False)) == list(
        table[["store_id", "sku_id"]].itertuples(index=False)
    )
    assert (suggestions.order_units >= 0).all() and suggestions.reason.notna().all()


def test_batch_cli_lists_the_transfers_of_a_transfer_policy(transfer_policy_dir, tmp_path):
    state = tmp_path / "state.parquet"
    assert run("--example-state", str(state), "--scenario", "city_fresh").returncode == 0
    out = tmp_path / "suggestions.csv"
    done = run("--policy", str(transfer_policy_dir), "--state", str(state), "--out", str(out))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    suggestions = pd.read_csv(out, keep_default_na=False)
    sent = suggestions[suggestions["transfer_units"] > 0]
    assert summary["units_transferred"] == int(sent["transfer_units"].sum()) > 0
    assert (sent["transfer_to"] != sent["store_id"]).all() and (sent["transfer_to"] != "").all()
    assert sent["transfer_reasons"].str.startswith("send ").all()


def test_batch_cli_stops_on_a_bad_row_and_names_it(base_stock_policy_dir, tmp_path):
    state = tmp_path / "state.parquet"
    assert run("--example-state", str(state), "--scenario", "city_fresh").returncode == 0
    table = pd.read_parquet(state)
    table.loc[17, "on_order"] = -2
    table.to_parquet(state, index=False)
    out = tmp_path / "o.csv"
    done = run("--policy", str(base_stock_policy_dir), "--state", str(state), "--out", str(out))
    assert done.returncode == 2
    assert "on_order[17]: got -2" in done.stderr
    assert not out.exists()


def test_the_format_follows_the_suffix_and_other_suffixes_are_refused(
    base_stock_policy_dir, tmp_path
):
    """--example-state s.csv writes CSV and --out x.parquet writes Parquet (each used to be
    the other's bytes under the wrong name); a suffix that is neither is refused by name
    before any work."""
    state = tmp_path / "state.csv"
    assert run("--example-state", str(state), "--scenario", "city_fresh").returncode == 0
    table = pd.read_csv(state)  # really CSV
    assert len(table) > 0 and state.read_bytes()[:4] != b"PAR1"
    out = tmp_path / "suggestions.parquet"
    done = run("--policy", str(base_stock_policy_dir), "--state", str(state), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert len(pd.read_parquet(out)) == len(table)  # really Parquet
    for args, option in (
        (["--example-state", str(tmp_path / "s.xlsx")], "--example-state"),
        (["--policy", str(base_stock_policy_dir), "--state", str(state), "--out",
          str(tmp_path / "o.txt")], "--out"),
    ):  # fmt: skip
        refused = run(*args)
        assert refused.returncode != 0
        assert f"{option} " in refused.stderr and "allowed: .parquet, .csv" in refused.stderr
    assert not (tmp_path / "s.xlsx").exists() and not (tmp_path / "o.txt").exists()


def test_a_huge_forecast_stops_the_batch_with_its_name_not_a_wrapped_order(
    base_stock_policy_dir, tmp_path
):
    """A 1e300 forecast used to give order_units = -2**63 with exit code 0."""
    state = tmp_path / "state.parquet"
    assert run("--example-state", str(state), "--scenario", "city_fresh").returncode == 0
    table = pd.read_parquet(state)
    table.loc[3, "forecast"] = 1e300
    table.to_parquet(state, index=False)
    out = tmp_path / "o.csv"
    done = run("--policy", str(base_stock_policy_dir), "--state", str(state), "--out", str(out))
    assert done.returncode == 2 and "forecast[3]: got" in done.stderr
    assert "allowed: units/day >= 0 and <= 1e+15" in done.stderr and not out.exists()


def test_batches_give_the_same_list_and_a_bad_row_is_named_in_the_whole_table(
    base_stock_policy_dir, tmp_path
):
    """Rows are decided a batch at a time (here 500 of city_fresh's 2,400): the list is
    the one-batch list row for row, Parquet or CSV, and a refused row in a later batch
    is named by its row in the whole table; nothing is left at --out."""
    state = tmp_path / "state.parquet"
    assert run("--example-state", str(state), "--scenario", "city_fresh").returncode == 0
    whole, batched = tmp_path / "whole.parquet", tmp_path / "batched.parquet"
    policy = ("--policy", str(base_stock_policy_dir), "--state", str(state))
    assert run(*policy, "--out", str(whole), "--batch-rows", "100000").returncode == 0
    done = run(*policy, "--out", str(batched), "--batch-rows", "500")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["batches"] == 5
    pd.testing.assert_frame_equal(pd.read_parquet(batched), pd.read_parquet(whole))
    as_csv = tmp_path / "batched.csv"
    assert run(*policy, "--out", str(as_csv), "--batch-rows", "700").returncode == 0
    assert (
        pd.read_csv(as_csv)["order_units"].tolist()
        == pd.read_parquet(whole)["order_units"].tolist()
    )

    table = pd.read_parquet(state)
    table.loc[1234, "on_order"] = -2
    table.to_parquet(state, index=False)
    bad = tmp_path / "bad.parquet"
    done = run(*policy, "--out", str(bad), "--batch-rows", "500")
    assert done.returncode == 2
    assert "on_order[1234]: got -2" in done.stderr
    assert not bad.exists() and not (tmp_path / "bad.parquet.tmp").exists()
