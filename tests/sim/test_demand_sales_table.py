"""Sales tables: validation of every row, Parquet, replay and bootstrap."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.demand import (
    BadRowPolicy,
    BootstrapDemand,
    DemandSource,
    ReplayDemand,
    build_demand,
    build_tick_grid,
    load_sales_table,
    split_over_ticks,
)
from sim.demand.sales_table import RejectedRowsWarning
from sim.enums import Category
from sim.errors import ConfigError, SalesTableError
from sim.rng import RandomStreams
from sim.spec import NetworkSpec
from tests.sim.test_demand_fixtures import make_network

Z_999 = 3.2905

BAD_CSV = """date,store,sku,units,price,promo
2026-03-02,S1,milk,4,1.20,0
2026-02-30,S1,milk,3,1.20,0
2026-03-02,S9,milk,3,1.20,0
2026-03-02,S1,caviar,3,1.20,0
2026-03-03,S1,milk,,1.20,0
2026-03-03,S2,milk,-2,1.20,0
2026-03-03,S1,bread,2.5,1.20,0
2026-03-04,S1,milk,abc,1.20,0
2026-03-02,S1,milk,5,1.20,0
2026-03-04,S2,milk,1,0,0
2026-03-04,S1,bread,1,nan,0
2026-03-05,S1,milk,1,1.20,yes
2026-03-05,S2,bread,6,,TRUE
not a date,S7,bread,-1,-3,2
"""
# Each reason has the shape "column: got value; allowed: what" (sim.validation).
EXPECTED_BAD = {
    2: ["date: got '2026-02-30'; allowed: an ISO date"],
    3: ["store: got 'S9'; allowed: a store id of the network (S1, S2)"],
    4: ["sku: got 'caviar'; allowed: a SKU id of the network (milk, bread)"],
    5: ["units: got ''; allowed: a whole number of units in [0, 1e+15]"],
    6: ["units: got '-2'"],
    7: ["units: got '2.5'"],
    8: ["units: got 'abc'"],
    9: ["date, store, sku: got '2026-03-02, S1, milk'", "a duplicate of row 1"],
    10: ["price: got '0'; allowed: a number > 0"],
    11: ["price: got 'nan'"],
    12: ["promo: got 'yes'; allowed: 0, 1, true, false"],
    14: [
        "date: got 'not a date'",
        "store: got 'S7'",
        "units: got '-1'",
        "price: got '-3'",
        "promo: got '2'",
    ],
}


@pytest.fixture
def network() -> NetworkSpec:
    return make_network(
        (Category.DAIRY, Category.BAKERY),
        ((8, 20), (10, 18)),
        sku_ids=["milk", "bread"],
        store_ids=["S1", "S2"],
    )


def write(tmp_path: Path, text: str, name: str = "sales.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def history(days: int = 28, start: str = "2026-03-02", seed: int = 0) -> pd.DataFrame:
    """A clean table: every store-SKU on most days, some pairs absent."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    rows = [
        (d, s, k, int(rng.poisson(6 if k == "milk" else 3)), 1.5, bool(rng.random() < 0.1))
        for d in dates
        for s in ("S1", "S2")
        for k in ("milk", "bread")
        if rng.random() > 0.15
    ]
    return pd.DataFrame(rows, columns=["date", "store", "sku", "units", "price", "promo"])


def test_every_bad_row_is_named_with_its_reason(tmp_path: Path, network: NetworkSpec) -> None:
    path = write(tmp_path, BAD_CSV)
    with pytest.raises(SalesTableError) as err:
        load_sales_table(path, network)
    bad = err.value.bad_rows
    assert sorted({n for n, _ in bad}) == sorted(EXPECTED_BAD)
    for row, reasons in EXPECTED_BAD.items():
        got = [why for n, why in bad if n == row]
        for reason in reasons:
            assert any(reason in g for g in got), f"row {row}: {reason!r} not in {got}"
    assert err.value.source == str(path)
    assert "row 9: date, store, sku: got" in str(err.value)


def test_report_keeps_good_rows_and_lists_rejected(tmp_path: Path, network: NetworkSpec) -> None:
    table = load_sales_table(write(tmp_path, BAD_CSV), network, on_bad_rows="report")
    assert table.rows["row_number"].tolist() == [1, 13]
    assert table.rows["units"].tolist() == [4, 6]
    assert table.rows["promo"].tolist() == [False, True]
    assert math.isnan(table.rows["price"].iloc[1])  # empty price = not given
    assert {n for n, _ in table.rejected} == set(EXPECTED_BAD)
    assert list(table.rejected) == sorted(table.rejected, key=lambda r: r[0])


def test_missing_column_and_bad_policy(tmp_path: Path, network: NetworkSpec) -> None:
    with pytest.raises(SalesTableError, match="missing column"):
        load_sales_table(write(tmp_path, "date,store,units\n2026-03-02,S1,3\n"), network)
    with pytest.raises(ConfigError, match="raise, report"):
        load_sales_table(write(tmp_path, BAD_CSV), network, on_bad_rows="drop")
    with pytest.raises(ConfigError, match=r"\.parquet"):
        load_sales_table(write(tmp_path, "x", "sales.xlsx"), network)


def test_parquet_round_trip(tmp_path: Path, network: NetworkSpec) -> None:
    frame = history()
    frame.to_parquet(tmp_path / "sales.parquet")
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(
        tmp_path / "sales.csv", index=False
    )
    from_parquet = load_sales_table(tmp_path / "sales.parquet", network).rows
    from_csv = load_sales_table(tmp_path / "sales.csv", network).rows
    pd.testing.assert_frame_equal(from_parquet, from_csv, check_dtype=False)
    assert from_parquet["units"].dtype == np.int64
    assert from_parquet["units"].sum() == frame["units"].sum()


def test_parquet_with_typed_bad_values(tmp_path: Path, network: NetworkSpec) -> None:
    frame = history(days=3)
    frame.loc[1, "units"] = -4
    frame.loc[2, "price"] = 0.0  # (a NaN in a float column reads as "not given", like "")
    frame.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(SalesTableError) as err:
        load_sales_table(tmp_path / "bad.parquet", network)
    assert [n for n, _ in err.value.bad_rows] == [2, 3]


# -- splitting a day over ticks ----------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(units=st.lists(st.integers(0, 60), min_size=4, max_size=4), seed=st.integers(0, 10**6))
def test_split_preserves_units_and_respects_opening_hours(units: list[int], seed: int) -> None:
    net = make_network((Category.DAIRY, Category.BAKERY), ((8, 20), (10, 18)))
    grid = build_tick_grid(net, {}, 1.0)
    flat = np.arange(4)
    out = split_over_ticks(
        flat, np.array(units), grid, net.skus.category, (2, 2), np.random.default_rng(seed)
    )
    np.testing.assert_array_equal(out.sum(axis=1).ravel(), units)
    closed = (grid.start_hours < 10) | (grid.start_hours >= 18)
    assert (out[1, closed, :] == 0).all()


def test_split_follows_hour_profile_on_average(network: NetworkSpec) -> None:
    profile = [0.0] * 8 + [3.0, 1.0, 1.0, 1.0] + [1.0] * 12
    grid = build_tick_grid(network, {Category.DAIRY: tuple(profile)}, 2.0)
    n, draws = 10, 3000
    share = grid.share[0, :, int(Category.DAIRY)]  # store S1, 8-20: [4, 2, 2, 2, 2, 2] / 14
    np.testing.assert_allclose(share, np.array([4, 2, 2, 2, 2, 2]) / 14)
    rng = np.random.default_rng(1)
    # One store-SKU (S1, milk) with n units, split many times independently.
    out = np.stack(
        [
            split_over_ticks(np.array([0]), np.array([n]), grid, network.skus.category, (2, 2), rng)
            for _ in range(draws)
        ]
    )
    totals = out[:, 0, :, 0].sum(axis=0)
    for k, p in enumerate(share):
        expected, var = n * draws * p, n * draws * p * (1 - p)
        assert abs(totals[k] - expected) < Z_999 * math.sqrt(var), f"tick {k}"


# -- replay ---------------------------------------------------------------------------


def test_replay_reproduces_daily_units_and_wraps(tmp_path: Path, network: NetworkSpec) -> None:
    frame = history(days=10)
    frame = frame[frame["date"] != pd.Timestamp("2026-03-05")]  # a date with no rows at all
    frame.to_csv(tmp_path / "sales.csv", index=False)
    d = build_demand({"kind": "replay", "sales_table": "sales.csv"}, network, base_dir=tmp_path)
    assert isinstance(d, ReplayDemand) and isinstance(d, DemandSource)
    assert d.n_days == 10 and d.start_date == dt.date(2026, 3, 2)
    streams, price = RandomStreams(0), np.ones((2, 2))
    stores, skus = {"S1": 0, "S2": 1}, {"milk": 0, "bread": 1}
    for day in range(25):
        date = pd.Timestamp("2026-03-02") + pd.Timedelta(days=day % 10)
        expected = np.zeros((2, 2), dtype=np.int64)
        for row in frame[frame["date"] == date].itertuples():
            expected[stores[row.store], skus[row.sku]] = row.units
        drawn = d.draw_day(day, streams, price)
        assert drawn.dtype == np.int64 and drawn.shape == (2, len(d.tick_start_hours), 2)
        np.testing.assert_array_equal(drawn.sum(axis=1), expected)
        np.testing.assert_array_equal(d.expected_daily_units(day, streams, price), expected)
    assert d.draw_day(3, streams, price).sum() == 0  # the empty date


# -- bootstrap ----------------------------------------------------------------------


def test_bootstrap_samples_whole_same_weekday_days(tmp_path: Path, network: NetworkSpec) -> None:
    frame = history(days=35)
    frame.to_parquet(tmp_path / "sales.parquet")
    cfg = {
        "kind": "bootstrap",
        "sales_table": str(tmp_path / "sales.parquet"),
        "start_date": "2026-06-03",
    }  # a Wednesday
    d = build_demand(cfg, network)
    assert isinstance(d, BootstrapDemand)
    table = frame.pivot_table(
        index="date", columns=["store", "sku"], values="units", aggfunc="sum", fill_value=0
    )
    price = np.ones((2, 2))
    seen: dict[int, set[dt.date]] = {w: set() for w in range(7)}
    for day in range(140):
        streams = RandomStreams(day % 3)
        date = d.sampled_date(day, streams)
        weekday = (dt.date(2026, 6, 3) + dt.timedelta(days=day)).weekday()
        assert date.weekday() == weekday
        seen[weekday].add(date)
        units = d.draw_day(day, streams, price).sum(axis=1)
        row = table.loc[pd.Timestamp(date)]
        expected = np.array(
            [
                [row.get(("S1", "milk"), 0), row.get(("S1", "bread"), 0)],
                [row.get(("S2", "milk"), 0), row.get(("S2", "bread"), 0)],
            ]
        )
        np.testing.assert_array_equal(units, expected)
    assert all(len(dates) >= 3 for dates in seen.values())  # it does move between weeks
    # The oracle mean of a Wednesday is the mean over the table's Wednesdays.
    wednesdays = table[table.index.day_of_week == 2]
    mean = d.expected_daily_units(0, RandomStreams(0), price)
    assert mean[0, 0] == pytest.approx(wednesdays[("S1", "milk")].mean())


def test_bootstrap_needs_every_weekday(tmp_path: Path, network: NetworkSpec) -> None:
    history(days=5).to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(SalesTableError, match="every weekday"):
        build_demand({"kind": "bootstrap", "sales_table": "short.csv"}, network, base_dir=tmp_path)


def test_report_policy_from_config(tmp_path: Path, network: NetworkSpec) -> None:
    """The rejected rows are not dropped silently: they go, with their reasons and cells,
    to sales.csv.rejected.csv beside the table, and a warning gives the count and path."""
    write(tmp_path, BAD_CSV)
    with pytest.warns(RejectedRowsWarning, match=rf"{len(EXPECTED_BAD)} bad row\(s\) left out"):
        d = build_demand(
            {"kind": "replay", "sales_table": "sales.csv", "on_bad_rows": "report"},
            network,
            base_dir=tmp_path,
        )
    assert isinstance(d, ReplayDemand)
    assert {n for n, _ in d.table.rejected} == set(EXPECTED_BAD)
    report = pd.read_csv(tmp_path / "sales.csv.rejected.csv", dtype=str, keep_default_na=False)
    assert set(report["row_number"].astype(int)) == set(EXPECTED_BAD)
    assert len(report) == len(d.table.rejected)  # one line per reason
    source = pd.read_csv(tmp_path / "sales.csv", dtype=str, keep_default_na=False)
    for _, line in report.iterrows():
        original = source.iloc[int(line["row_number"]) - 1]
        assert all(line[c] == original[c] for c in source.columns)
    assert not list(tmp_path.glob("*.tmp"))
    assert BadRowPolicy("report") is BadRowPolicy.REPORT


_DEFECTS = {
    "date": ("date", "2026-02-31", "date: got '2026-02-31'"),
    "store": ("store", "S404", "store: got 'S404'"),
    "sku": ("sku", "ghost", "sku: got 'ghost'"),
    "units_missing": ("units", "", "units: got ''"),
    "units_negative": ("units", "-1", "units: got '-1'"),
    "units_fraction": ("units", "0.5", "units: got '0.5'"),
    "units_huge": ("units", "2e15", "units: got '2e15'"),
    "price": ("price", "-0.5", "price: got '-0.5'"),
    "promo": ("promo", "maybe", "promo: got 'maybe'"),
}


@settings(max_examples=40, deadline=None)
@given(defects=st.lists(st.sampled_from([None, *_DEFECTS]), min_size=1, max_size=25))
def test_exactly_the_injected_rows_are_rejected(defects: list[str | None]) -> None:
    network = make_network(
        (Category.DAIRY, Category.BAKERY),
        ((8, 20), (10, 18)),
        sku_ids=["milk", "bread"],
        store_ids=["S1", "S2"],
    )
    rows = []
    for n, defect in enumerate(defects):
        # Distinct keys: one row per (date, store, sku), so no accidental duplicates.
        row = {
            "date": str(dt.date(2026, 1, 1) + dt.timedelta(days=n)),
            "store": "S1",
            "sku": "milk",
            "units": "3",
            "price": "1.5",
            "promo": "0",
        }
        if defect is not None:
            column, value, _ = _DEFECTS[defect]
            row[column] = value
        rows.append(row)
    frame = pd.DataFrame(rows)
    table = load_sales_table(frame, network, on_bad_rows=BadRowPolicy.REPORT)
    expected = [(n + 1, _DEFECTS[d][2]) for n, d in enumerate(defects) if d is not None]
    assert [n for n, _ in table.rejected] == [n for n, _ in expected]
    for (_, got), (_, want) in zip(table.rejected, expected, strict=True):
        assert got.startswith(want)
    assert len(table.rows) == defects.count(None)


@pytest.mark.parametrize(
    "units", ["9223372036854775808", "18446744073709551616", "1000000000000001", "1e300"]
)
def test_units_beyond_1e15_are_refused_by_name_not_wrapped(
    tmp_path: Path, network: NetworkSpec, units: str
) -> None:
    """2**63 and more used to be read as -2**63 (negative demand); every count above 1e15 is
    refused with the row and the allowed range, in CSV and in Parquet."""
    text = f"date,store,sku,units,price,promo\n2026-03-02,S1,milk,{units},1.20,0\n"
    with pytest.raises(SalesTableError, match=r"row 1: units: got .*allowed: a whole number"):
        load_sales_table(write(tmp_path, text), network)
    frame = pd.read_csv(write(tmp_path, text), dtype=str)
    frame.to_parquet(tmp_path / "sales.parquet")
    with pytest.raises(SalesTableError, match=r"row 1: units: got"):
        load_sales_table(tmp_path / "sales.parquet", network)
