"""Demand from a sales table: load and validate it, then replay or bootstrap it.

A sales table has one row per (date, store, sku) with the units sold and,
optionally, the price and a promotion flag::

    date,store,sku,units,price,promo
    2026-03-02,S01,DAIRY-0001,4,1.29,0

Every row is validated (vectorised, no loop per row); all bad rows are
collected with their 1-based data row number (the header is not counted) and a
reason. By default any bad row raises ``SalesTableError``; with
``BadRowPolicy.REPORT`` the good rows are kept and the rejected ones returned
explicitly beside them, never silently dropped.

Daily units are split over the day's ticks with a multinomial per store-SKU
(drawn as a chain of binomials over ticks, vectorised over store-SKUs) using
the category's hour-of-day profile within the store's opening hours.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.demand.base import check_out, store_units
from sim.demand.spec import BadRowPolicy, OnTickGrid, TickGrid
from sim.enums import Stream
from sim.errors import ConfigError, SalesTableError
from sim.rng import RandomStreams
from sim.spec import NetworkSpec
from sim.validation import WHOLE_UNITS, enum_value, refusal_text, show_ids, whole_units

REQUIRED_COLUMNS = ("date", "store", "sku", "units")
OPTIONAL_COLUMNS = ("price", "promo")
_PROMO_VALUES = {"0": False, "1": True, "0.0": False, "1.0": True, "false": False, "true": True}


@dataclass(frozen=True, eq=False)
class SalesTable:
    """A validated sales table.

    Attributes:
        rows: the good rows, in file order, with columns ``row_number`` (1-based
            data row in the source), ``date`` (datetime64, midnight), ``store``,
            ``sku`` (str), ``units`` (int64), ``price`` (float64, NaN = not
            given), ``promo`` (bool).
        rejected: (row_number, reason) of every rejected row, sorted; empty
            unless loaded with ``BadRowPolicy.REPORT``.
        source: where it came from (path or "<DataFrame>").
    """

    rows: pd.DataFrame
    rejected: tuple[tuple[int, str], ...]
    source: str


def load_sales_table(
    source: str | Path | pd.DataFrame,
    network: NetworkSpec,
    *,
    on_bad_rows: BadRowPolicy | str = BadRowPolicy.RAISE,
) -> SalesTable:
    """Read and validate a sales table (CSV or Parquet) against a network.

    Args:
        source: a ``.csv`` (optionally ``.gz``) or ``.parquet`` file, or a DataFrame.
        network: store and SKU ids must exist in it.
        on_bad_rows: ``BadRowPolicy.RAISE`` (default) or ``REPORT``.

    Returns:
        The good rows and, with ``REPORT``, the rejected ones.

    Raises:
        SalesTableError: listing every bad row (number and reason), or a missing
            required column (reported as row 0, the header).
        ConfigError: an unknown file type or bad-row policy.
    """
    policy = _policy(on_bad_rows)
    frame, name = _read(source)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise SalesTableError(
            name,
            [
                (
                    0,
                    f"missing column(s) {', '.join(missing)}; required: "
                    f"{', '.join(REQUIRED_COLUMNS)}",
                )
            ],
        )
    good, bad, clean = _validate(frame.reset_index(drop=True), network)
    if bad and policy is BadRowPolicy.RAISE:
        raise SalesTableError(name, bad)
    return SalesTable(rows=clean[good].reset_index(drop=True), rejected=tuple(bad), source=name)


class RejectedRowsWarning(UserWarning):
    """A sales table read with ``on_bad_rows: report`` had rows refused (listed in a file)."""


def report_rejected(table: SalesTable, out_path: Path) -> Path | None:
    """Write ``table``'s rejected rows, each source cell as read plus ``row_number`` and
    ``reason`` (one line per reason), to ``out_path`` (CSV, written whole or not at all),
    and warn with the count and the path. Nothing is written when none was rejected.

    Returns:
        The file written, or None.
    """
    if not table.rejected:
        return None
    frame, _ = _read(table.source)
    lines = []
    for row_number, reason in table.rejected:
        cells = frame.iloc[row_number - 1].to_dict() if row_number >= 1 else {}
        lines.append({"row_number": row_number, "reason": reason, **cells})
    out_path = Path(out_path)
    tmp = out_path.with_name(out_path.name + ".tmp")
    pd.DataFrame(lines).to_csv(tmp, index=False)
    os.replace(tmp, out_path)
    rows = len({n for n, _ in table.rejected})
    warnings.warn(
        f"{table.source}: {rows} bad row(s) left out (on_bad_rows: report); "
        f"rows and reasons in {out_path}",
        RejectedRowsWarning,
        stacklevel=2,
    )
    return out_path


def _policy(value: BadRowPolicy | str) -> BadRowPolicy:
    return enum_value(BadRowPolicy, value, "on_bad_rows")


def _read(source: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return source.copy(), "<DataFrame>"
    path = Path(source)
    suffixes = "".join(path.suffixes[-2:]).lower()
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path), str(path)
    if suffixes.endswith((".csv", ".csv.gz")):
        # Everything as text: validation decides what parses, nothing is coerced silently.
        return pd.read_csv(path, dtype=str, keep_default_na=False), str(path)
    raise ConfigError("sales_table", str(path), "a .csv, .csv.gz or .parquet file")


def _text(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The column as stripped text and a [rows] mask of missing cells."""
    missing = series.isna().to_numpy()
    text = series.astype(object).where(~missing, "").astype(str).str.strip()
    missing = missing | (text == "").to_numpy()
    return text, missing


def _numbers(text: pd.Series, missing: np.ndarray) -> np.ndarray:
    """Parsed numbers: NaN where the cell is empty, inf where it is text that is no number."""
    values = pd.to_numeric(text.where(~missing, None), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    return np.where(~missing & ~np.isfinite(values), np.inf, values)


def _schema(network: NetworkSpec) -> Any:
    """The table's rules as a pandera schema over the parsed columns; each check's
    ``error`` is the allowed text of its column's messages (``_ALLOWED``)."""
    import pandera.pandas as pa  # only where tables are read: the import costs 0.25 s

    allowed = _allowed(network)
    store_ids = [s.store_id for s in network.stores]

    def column(key: str, check: Any, *, nullable: bool = False) -> Any:
        return pa.Column(None, pa.Check(check, error=allowed[key]), nullable=nullable)

    return pa.DataFrameSchema(
        {
            "date": pa.Column(None, nullable=False),
            "store": column("store", lambda s: s.isin(store_ids)),
            "sku": column("sku", lambda s: s.isin(network.skus.ids)),
            "units": column(
                "units",
                lambda s: pd.Series(
                    whole_units(s.to_numpy(dtype=np.float64, na_value=np.nan)), index=s.index
                ),
            ),
            "price": column("price", lambda s: np.isfinite(s) & (s > 0), nullable=True),
            "promo": column("promo", lambda s: s.str.lower().isin([*_PROMO_VALUES, ""])),
        }
    )


def _allowed(network: NetworkSpec) -> dict[str, str]:
    return {
        "date": "an ISO date YYYY-MM-DD",
        "store": f"a store id of the network ({show_ids(s.store_id for s in network.stores)})",
        "sku": f"a SKU id of the network ({show_ids(network.skus.ids)})",
        "units": WHOLE_UNITS,
        "price": "a number > 0, or empty (not given)",
        "promo": "0, 1, true, false (any case), or empty",
    }


def _validate(
    frame: pd.DataFrame, network: NetworkSpec
) -> tuple[np.ndarray, list[tuple[int, str]], pd.DataFrame]:
    """Check every row at once. Returns (good mask, sorted bad rows, parsed columns).

    The columns are parsed first (text → dates, numbers), then checked by a
    pandera schema; each failing cell becomes ``(row, "column: got value;
    allowed: what")``, the value as written in the source.
    """
    import pandera.pandas as pa

    row_number = np.arange(1, len(frame) + 1)
    shown: dict[str, pd.Series] = {}

    # date: ISO 8601 text (2026-03-02) or an already typed datetime column (Parquet)
    raw_date = frame["date"]
    shown["date"], date_missing = _text(raw_date)
    if pd.api.types.is_datetime64_any_dtype(raw_date):
        dates = raw_date.dt.tz_localize(None) if raw_date.dt.tz is not None else raw_date
    else:
        dates = pd.to_datetime(
            shown["date"].where(~date_missing, None), format="ISO8601", errors="coerce"
        )
    dates = pd.Series(dates).dt.normalize()
    shown["store"], _ = _text(frame["store"])
    shown["sku"], _ = _text(frame["sku"])
    shown["units"], units_missing = _text(frame["units"])
    units = _numbers(shown["units"], units_missing)
    price = np.full(len(frame), np.nan)
    if "price" in frame.columns:
        shown["price"], price_missing = _text(frame["price"])
        price = _numbers(shown["price"], price_missing)
    promo_text = pd.Series([""] * len(frame), dtype=object)
    if "promo" in frame.columns:
        shown["promo"], _ = _text(frame["promo"])
        promo_text = shown["promo"]
    parsed = pd.DataFrame(
        {
            "date": dates,
            "store": shown["store"],
            "sku": shown["sku"],
            "units": units,
            "price": price,
            "promo": promo_text,
        }
    )
    allowed = _allowed(network)
    failures: dict[tuple[int, int], str] = {}  # (row index, column order) → reason
    order = {name: k for k, name in enumerate(parsed.columns)}
    try:
        _schema(network).validate(parsed, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases.dropna(subset=["index"])
        for index, name in zip(cases["index"], cases["column"], strict=True):
            i = int(index)
            failures[(i, order[name])] = refusal_text(name, shown[name].iloc[i], allowed[name])
    bad_any = np.zeros(len(frame), dtype=bool)
    if failures:
        bad_any[[i for i, _ in failures]] = True

    # duplicates of (date, store, sku) among rows whose key parsed
    keyed = ~pd.isna(dates).to_numpy()
    keyed &= shown["store"].isin([s.store_id for s in network.stores]).to_numpy()
    keyed &= shown["sku"].isin(network.skus.ids).to_numpy()
    key = pd.DataFrame({"date": dates, "store": shown["store"], "sku": shown["sku"]})[keyed]
    key["row"] = row_number[keyed]
    dup = key.duplicated(["date", "store", "sku"], keep="first").to_numpy()
    if dup.any():
        first = key.groupby(["date", "store", "sku"], sort=False)["row"].transform("first")
        for i, r in zip(np.flatnonzero(keyed)[dup], first.to_numpy()[dup], strict=True):
            failures[(int(i), len(order))] = refusal_text(
                "date, store, sku",
                f"{shown['date'].iloc[i]}, {shown['store'].iloc[i]}, {shown['sku'].iloc[i]}",
                f"one row per (date, store, sku); a duplicate of row {r}",
            )
            bad_any[i] = True
    bad = [(i + 1, why) for (i, _), why in sorted(failures.items())]
    lowered = promo_text.str.lower()
    clean = pd.DataFrame(
        {
            "row_number": row_number,
            "date": dates,
            "store": shown["store"],
            "sku": shown["sku"],
            "units": np.where(bad_any, 0, np.nan_to_num(units)).astype(np.int64),
            "price": np.where(np.isfinite(price), price, np.nan),
            "promo": lowered.isin([k for k, on in _PROMO_VALUES.items() if on]).to_numpy(),
        }
    )
    return ~bad_any, bad, clean


class _DailySales:
    """The table as sparse days: for calendar day i, rows offsets[i]:offsets[i+1]
    hold (flat store·skus + sku index, units)."""

    def __init__(self, table: SalesTable, network: NetworkSpec) -> None:
        rows = table.rows
        if rows.empty:
            raise SalesTableError(table.source, [(0, "no valid rows to build demand from")])
        n_skus = network.n_skus
        store_index = pd.Index([s.store_id for s in network.stores]).get_indexer(rows["store"])
        sku_index = pd.Index(network.skus.ids).get_indexer(rows["sku"])
        days64 = rows["date"].to_numpy().astype("datetime64[D]")
        first = days64.min()
        day = (days64 - first).astype(np.int64)
        flat = store_index.astype(np.int64) * n_skus + sku_index
        order = np.lexsort((flat, day))
        self.first_date: dt.date = first.astype(dt.date)
        self.n_days = int(day.max()) + 1
        self.day = day[order]
        self.flat = flat[order]
        self.units = rows["units"].to_numpy(dtype=np.int64)[order]
        self.offsets = np.searchsorted(self.day, np.arange(self.n_days + 1))
        self.shape = (network.n_stores, n_skus)

    def rows_of(self, calendar_day: int) -> slice:
        return slice(int(self.offsets[calendar_day]), int(self.offsets[calendar_day + 1]))

    def dense(self, calendar_day: int) -> np.ndarray:
        """[stores, skus] int64 units of one calendar day of the table."""
        out = np.zeros(self.shape[0] * self.shape[1], dtype=np.int64)
        rows = self.rows_of(calendar_day)
        out[self.flat[rows]] = self.units[rows]
        return out.reshape(self.shape)

    def present_days(self) -> np.ndarray:
        """Calendar days that have at least one row."""
        return np.flatnonzero(np.diff(self.offsets) > 0)


def split_over_ticks(
    flat_index: np.ndarray,
    units: np.ndarray,
    grid: TickGrid,
    category: np.ndarray,
    shape: tuple[int, int],
    gen: np.random.Generator,
) -> np.ndarray:
    """Spread known daily units over ticks: one multinomial per store-SKU.

    Drawn as a chain of binomials over ticks (tick k gets Binomial(remaining,
    share_k / share_{k..})), vectorised over the store-SKUs, so the ticks always
    add up to the daily units exactly.

    Args:
        flat_index: store · n_skus + sku of each store-SKU with units.   [n] int64
        units: its daily units.                                            [n] int64
        grid: the tick grid with each store's share per category.
        category: category of every SKU.                                   [skus]
        shape: (stores, skus).
        gen: the day's demand generator.

    Returns:
        int64 [stores, ticks, skus].
    """
    n_stores, n_skus = shape
    out = np.zeros((n_stores, grid.n_ticks, n_skus), dtype=np.int64)
    if flat_index.size == 0:
        return out
    store_i, sku_i = np.divmod(flat_index, n_skus)
    cond = grid.conditional_share()[store_i, :, np.asarray(category)[sku_i]]  # [n, ticks]
    remaining = np.asarray(units, dtype=np.int64).copy()
    for k in range(grid.n_ticks - 1):
        drawn = gen.binomial(remaining, cond[:, k])
        out[store_i, k, sku_i] = drawn
        remaining -= drawn
    out[store_i, grid.n_ticks - 1, sku_i] = remaining
    return out


class _TableDemand(OnTickGrid):
    """Shared plumbing of replay and bootstrap."""

    start_date: dt.date

    def __init__(self, table: SalesTable, network: NetworkSpec, grid: TickGrid) -> None:
        self.table = table
        self._days = _DailySales(table, network)
        self._grid = grid
        self._category = network.skus.category.astype(np.int64)

    def _draw_calendar_day(
        self, calendar_day: int, day: int, streams: RandomStreams, out: np.ndarray | None
    ) -> np.ndarray:
        rows = self._days.rows_of(calendar_day)
        units = split_over_ticks(
            self._days.flat[rows],
            self._days.units[rows],
            self._grid,
            self._category,
            self._days.shape,
            streams.for_day(Stream.DEMAND, day),
        )
        return units if out is None else store_units(check_out(out, units.shape), units)


class ReplayDemand(_TableDemand):
    """Replays a sales table day by day (implements ``DemandSource``).

    Day 0 is the table's first date; the calendar runs without gaps to its last
    date (a date with no rows has zero demand) and then wraps around. Store-SKU
    pairs absent on a date have 0 units. Prices in the table are not used:
    history is replayed as it happened, whatever the markdown.

    Args:
        table: a validated sales table.
        network: the network the table was validated against.
        grid: the tick grid (hour profiles within opening hours).
    """

    def __init__(self, table: SalesTable, network: NetworkSpec, grid: TickGrid) -> None:
        super().__init__(table, network, grid)
        self.start_date: dt.date = self._days.first_date

    @property
    def n_days(self) -> int:
        """Length of the replayed calendar before it wraps."""
        return self._days.n_days

    def draw_day(
        self,
        day: int,
        streams: RandomStreams,
        price_multiplier: np.ndarray,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        return self._draw_calendar_day(day % self._days.n_days, day, streams, out)

    def expected_daily_units(
        self, day: int, streams: RandomStreams, price_multiplier: np.ndarray
    ) -> np.ndarray:
        """The table's units of that day (known exactly), float64 [stores, skus]."""
        return self._days.dense(day % self._days.n_days).astype(np.float64)


class BootstrapDemand(_TableDemand):
    """Each simulated day is one historical day with the same weekday, sampled
    whole (every store-SKU together, keeping their correlation) (implements
    ``DemandSource``).

    Only dates with at least one row are candidates (a missing date is more
    likely missing data than a day without sales). The pick for day ``d`` uses
    ``streams.for_day(Stream.BOOTSTRAP, d)``; the split over ticks uses
    ``Stream.DEMAND``.

    Args:
        table: a validated sales table.
        network: the network the table was validated against.
        grid: the tick grid.
        start_date: calendar date of simulated day 0 (its weekday matters);
            default: the table's first date.

    Raises:
        SalesTableError: a weekday without any historical date.
    """

    def __init__(
        self,
        table: SalesTable,
        network: NetworkSpec,
        grid: TickGrid,
        start_date: dt.date | None = None,
    ) -> None:
        super().__init__(table, network, grid)
        self.start_date = self._days.first_date if start_date is None else start_date
        present = self._days.present_days()
        first_weekday = self._days.first_date.weekday()
        weekday = (first_weekday + present) % 7
        self._candidates = [present[weekday == w] for w in range(7)]
        empty = [w for w in range(7) if self._candidates[w].size == 0]
        if empty:
            names = ", ".join(dt.date(2024, 1, 1 + w).strftime("%A") for w in empty)
            raise SalesTableError(
                table.source,
                [(0, f"no date on {names}; bootstrap needs every weekday at least once")],
            )
        self._weekday_means: dict[int, np.ndarray] = {}

    def _weekday(self, day: int) -> int:
        return (self.start_date + dt.timedelta(days=int(day))).weekday()

    def sampled_day(self, day: int, streams: RandomStreams) -> int:
        """Calendar day index (0 = the table's first date) replayed on ``day``."""
        candidates = self._candidates[self._weekday(day)]
        pick = streams.for_day(Stream.BOOTSTRAP, day).integers(candidates.size)
        return int(candidates[pick])

    def sampled_date(self, day: int, streams: RandomStreams) -> dt.date:
        """The historical date replayed on ``day``."""
        return self._days.first_date + dt.timedelta(days=self.sampled_day(day, streams))

    def draw_day(
        self,
        day: int,
        streams: RandomStreams,
        price_multiplier: np.ndarray,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        return self._draw_calendar_day(self.sampled_day(day, streams), day, streams, out)

    def expected_daily_units(
        self, day: int, streams: RandomStreams, price_multiplier: np.ndarray
    ) -> np.ndarray:
        """Mean units over the historical dates with ``day``'s weekday, [stores, skus]."""
        weekday = self._weekday(day)
        mean = self._weekday_means.get(weekday)
        if mean is None:
            days = self._days
            chosen = np.isin(days.day, self._candidates[weekday])
            size = days.shape[0] * days.shape[1]
            totals = np.bincount(days.flat[chosen], weights=days.units[chosen], minlength=size)
            mean = (totals / self._candidates[weekday].size).reshape(days.shape)
            mean.flags.writeable = False
            self._weekday_means[weekday] = mean
        return mean.copy()
