"""A store's (or a chain's) state for one daily decision, as validated numpy columns.

One row per store-SKU. Every entry point (Python API, batch CLI, HTTP) goes
through ``parse_state``, so a bad value is refused the same way everywhere,
with the field, the row and what is allowed; nothing is clipped or dropped.

Columns (units are whole units, days are days):

=================  ========  ====================================================
column             required  meaning
=================  ========  ====================================================
store_id           one of    the store of every row (a single store's request)
store_ids          one of    the store of each row (a chain's table)
weekday            yes       0 = Monday ... 6 = Sunday, the decision's day
day                no        days since the review schedule's origin (periodic review; 0)
sku_ids            yes       SKU of each row
on_hand_by_age     yes       [rows][ages] units on hand by age in days (0 = freshest)
on_order           yes       units ordered and not yet received
sales_yesterday    yes       units sold yesterday
demand_yesterday   yes       units demanded yesterday (sold + lost sales)
forecast           yes       expected demand per day, units
on_shelf           no        units on the shelf (default: all on hand)
arriving_1d        no        of on_order, units arriving today or tomorrow (default 0)
promotion_price    no        promotional price / regular price (default 1)
price_multiplier   no        markdown multiplier on the price (default 1)
dc_on_hand         no        units at the store's DC (default 0)
scale              no        expected daily demand (default: the catalog's)
lead_time_days     no        days to delivery (default: the catalog's for the weekday)
=================  ========  ====================================================
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from policies.serving.catalog import Catalog
from policies.serving.errors import StateError

UNIT_COLUMNS = ("on_order", "sales_yesterday", "demand_yesterday")
OPTIONAL_UNIT_COLUMNS = ("on_shelf", "arriving_1d", "dc_on_hand")
RATIO_COLUMNS = ("promotion_price", "price_multiplier")
KNOWN_COLUMNS = frozenset(
    {
        "store_id",
        "store_ids",
        "weekday",
        "day",
        "sku_ids",
        "on_hand_by_age",
        "forecast",
        "scale",
        "lead_time_days",
        *UNIT_COLUMNS,
        *OPTIONAL_UNIT_COLUMNS,
        *RATIO_COLUMNS,
    }
)


@dataclass(frozen=True)
class StateRows:
    """Validated state of ``n`` store-SKU rows; indices refer to the catalog."""

    store: np.ndarray  # [n] int64
    sku: np.ndarray  # [n] int64
    weekday: int
    day: int
    on_hand_by_age: np.ndarray  # [n, catalog ages] float64 whole units
    on_shelf: np.ndarray
    on_order: np.ndarray
    arriving_1d: np.ndarray
    sales_yesterday: np.ndarray
    demand_yesterday: np.ndarray
    forecast: np.ndarray
    promotion_price: np.ndarray
    price_multiplier: np.ndarray
    dc_on_hand: np.ndarray
    scale: np.ndarray
    lead_time_days: np.ndarray

    @property
    def n(self) -> int:
        return len(self.sku)

    @property
    def on_hand(self) -> np.ndarray:
        return self.on_hand_by_age.sum(axis=1)


def _column(columns: Mapping[str, Any], name: str, n: int) -> np.ndarray:
    values = columns[name]
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise StateError(name, values, f"a list of {n} numbers") from err
    if arr.shape != (n,):
        raise StateError(name, f"shape {arr.shape}", f"{n} numbers, one per row of sku_ids")
    return arr


def _first_bad(name: str, arr: np.ndarray, bad: np.ndarray, allowed: str) -> None:
    if bad.any():
        i = int(np.argmax(bad))
        raise StateError(f"{name}[{i}]", _num(arr.flat[i]), allowed)


def _num(v: float) -> float | int:
    return int(v) if np.isfinite(v) and float(v).is_integer() else float(v)


def _units(name: str, arr: np.ndarray) -> np.ndarray:
    _first_bad(name, arr, ~np.isfinite(arr), "a finite number of units")
    _first_bad(name, arr, arr < 0, "units >= 0")
    _first_bad(name, arr, arr != np.floor(arr), "whole units")
    return arr


def _ids(columns: Mapping[str, Any], name: str, index: dict[str, int], what: str) -> np.ndarray:
    values = columns[name]
    if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
        raise StateError(name, values, f"a list of {what} ids")
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    try:  # itemgetter: one C-level lookup pass over the ids
        found = operator.itemgetter(*values)(index)
    except (KeyError, TypeError):
        row = next(i for i, v in enumerate(values) if not isinstance(v, str) or v not in index)
        bad = values[row]
        known = list(index)
        shown = ", ".join(known[:5]) + (f", ... ({len(known)} in all)" if len(known) > 5 else "")
        raise StateError(
            f"{name}[{row}]", bad, f"a {what} id of the policy's catalog: {shown}"
        ) from None
    return np.array(found if len(values) > 1 else (found,), dtype=np.int64)


def parse_state(columns: Mapping[str, Any], catalog: Catalog) -> StateRows:
    """Validate a state given as columns (lists, arrays or a table's columns).

    Raises:
        StateError: naming the column (and row) that was refused and what is allowed.
    """
    unknown = sorted(set(columns) - KNOWN_COLUMNS)
    if unknown:
        raise StateError(unknown[0], "(an unknown column)", f"columns {sorted(KNOWN_COLUMNS)}")
    for name in ("weekday", "sku_ids", "on_hand_by_age", "forecast", *UNIT_COLUMNS):
        if name not in columns:
            raise StateError(name, "(missing)", "a required column")
    sku = _ids(columns, "sku_ids", catalog.sku_index, "SKU")
    n = len(sku)
    if n == 0:
        raise StateError("sku_ids", [], "at least one SKU")
    if ("store_id" in columns) == ("store_ids" in columns):
        raise StateError("store_id", "(both or neither)", "store_id for one store or store_ids")
    if "store_id" in columns:
        store_id = columns["store_id"]
        if not isinstance(store_id, str) or store_id not in catalog.store_index:
            known = list(catalog.store_index)[:5]
            raise StateError("store_id", store_id, f"a store id of the policy's catalog: {known}")
        store = np.full(n, catalog.store_index[store_id], dtype=np.int64)
    else:
        store = _ids(columns, "store_ids", catalog.store_index, "store")
        if len(store) != n:
            raise StateError("store_ids", f"{len(store)} ids", f"{n}, one per row of sku_ids")
    pair = store * catalog.n_skus + sku
    if len(np.unique(pair)) != n:
        first = int(np.flatnonzero(np.bincount(pair) > 1)[0]) if n else 0
        row = int(np.flatnonzero(pair == first)[1])
        raise StateError(f"sku_ids[{row}]", columns["sku_ids"][row], "each store-SKU once")
    weekday = columns["weekday"]
    if (
        isinstance(weekday, bool)
        or not isinstance(weekday, int | np.integer)
        or not 0 <= weekday <= 6
    ):
        raise StateError("weekday", weekday, "an integer 0 (Monday) ... 6 (Sunday)")
    day = columns.get("day", 0)
    if isinstance(day, bool) or not isinstance(day, int | np.integer) or day < 0:
        raise StateError("day", day, "an integer >= 0")

    ages = catalog.n_ages
    raw = columns["on_hand_by_age"]
    try:
        by_age = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise StateError("on_hand_by_age", raw, f"{n} rows of up to {ages} numbers each") from err
    if by_age.ndim != 2 or by_age.shape[0] != n or not 1 <= by_age.shape[1] <= ages:
        raise StateError(
            "on_hand_by_age", f"shape {by_age.shape}", f"{n} rows of 1 to {ages} numbers each"
        )
    _units("on_hand_by_age", by_age)
    life = catalog["shelf_life_days"][sku]
    cols = np.arange(by_age.shape[1])[None, :]
    expired = (life[:, None] > 0) & (cols >= life[:, None]) & (by_age > 0)
    if expired.any():
        row = int(np.argmax(expired.any(axis=1)))
        raise StateError(
            f"on_hand_by_age[{row}]",
            by_age[row].tolist(),
            f"no stock at ages >= the shelf life ({int(life[row])} days): it has expired",
        )
    if by_age.shape[1] < ages:
        by_age = np.pad(by_age, ((0, 0), (0, ages - by_age.shape[1])))
    on_hand = by_age.sum(axis=1)

    values: dict[str, np.ndarray] = {}
    for name in UNIT_COLUMNS:
        values[name] = _units(name, _column(columns, name, n))
    defaults = {"on_shelf": on_hand, "arriving_1d": np.zeros(n), "dc_on_hand": np.zeros(n)}
    for name in OPTIONAL_UNIT_COLUMNS:
        values[name] = (
            _units(name, _column(columns, name, n)) if name in columns else defaults[name]
        )
    for name in RATIO_COLUMNS:
        if name in columns:
            arr = _column(columns, name, n)
            _first_bad(name, arr, ~np.isfinite(arr) | (arr <= 0), "a finite ratio > 0")
            values[name] = arr
        else:
            values[name] = np.ones(n)
    forecast = _column(columns, "forecast", n)
    _first_bad("forecast", forecast, ~np.isfinite(forecast) | (forecast < 0), "units/day >= 0")
    if "scale" in columns:
        scale = _column(columns, "scale", n)
        _first_bad("scale", scale, ~np.isfinite(scale) | (scale < 1), "a finite number >= 1")
    else:
        scale = catalog["scale"][store, sku].astype(np.float64)
    if "lead_time_days" in columns:
        lead = _column(columns, "lead_time_days", n)
        _first_bad("lead_time_days", lead, ~np.isfinite(lead) | (lead < 0), "days >= 0")
    else:
        lead = catalog["lead_time_days_by_weekday"][store, weekday].astype(np.float64)

    _first_bad(
        "on_shelf", values["on_shelf"], values["on_shelf"] > on_hand, "at most the units on hand"
    )
    _first_bad(
        "arriving_1d",
        values["arriving_1d"],
        values["arriving_1d"] > values["on_order"],
        "at most on_order (arrivals are part of it)",
    )
    _first_bad(
        "sales_yesterday",
        values["sales_yesterday"],
        values["sales_yesterday"] > values["demand_yesterday"],
        "at most demand_yesterday (demand = sales + lost sales)",
    )
    return StateRows(
        store=store,
        sku=sku,
        weekday=int(weekday),
        day=int(day),
        on_hand_by_age=by_age,
        forecast=forecast,
        scale=scale,
        lead_time_days=lead,
        **values,
    )
