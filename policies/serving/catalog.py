"""Master data of the stores and SKUs a policy serves, read from ``catalog.npz``.

Static per-SKU and per-store-SKU facts (case pack, shelf life, blocked list,
demand scale, costs, lead time by weekday) travel with the exported policy so
that a request carries only the day's state. Loaded with
``allow_pickle=False``: only plain numeric and string arrays are accepted.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from policies.serving.errors import PolicyFormatError

# name -> (shape in terms of S stores and K SKUs, meaning)
CATALOG_ARRAYS: dict[str, tuple[str, str]] = {
    "store_ids": ("S", "store identifiers"),
    "sku_ids": ("K", "SKU identifiers"),
    "shelf_life_days": ("K", "shelf life in days, 0 = non-perishable"),
    "pack_units": ("K", "units per orderable pack (1 when packs may be broken)"),
    "category": ("K", "category code (sim.enums.Category)"),
    "unit_cost": ("K", "purchase cost per unit"),
    "price": ("K", "regular selling price per unit"),
    "holding_cost_per_day": ("K", "holding cost per unit and day"),
    "waste_cost_per_unit": ("K", "disposal cost per wasted unit"),
    "blocked": ("SK", "True where the store may not order the SKU"),
    "scale": ("SK", "expected daily demand in units (feature scale, at least 1)"),
    "facings_units": ("SK", "display minimum of the shelf in units"),
    "lead_time_days_by_weekday": ("S7", "days from the daily decision to delivery, per weekday"),
    "dc_stores_served": ("S", "stores served by the store's DC (shares the DC's stock)"),
    "n_ages": ("", "age buckets of stock on hand (days)"),
}


# name -> (low, high, whole numbers only, the allowed range in words) of every numeric array
CATALOG_VALUES: dict[str, tuple[float, float, bool, str]] = {
    "shelf_life_days": (0, 3650, True, "whole days 0..3650 (0 = non-perishable)"),
    "pack_units": (1, 1e6, True, "whole units 1..1e6"),
    "category": (0, 1000, True, "a category code 0..1000"),
    "unit_cost": (0, 1e9, False, "a finite cost 0..1e9"),
    "price": (0, 1e9, False, "a finite price 0..1e9"),
    "holding_cost_per_day": (0, 1e9, False, "a finite cost 0..1e9"),
    "waste_cost_per_unit": (0, 1e9, False, "a finite cost 0..1e9"),
    "blocked": (0, 1, True, "True or False"),
    "scale": (1, 1e15, False, "a finite number of units 1..1e15"),
    "facings_units": (0, 1e15, True, "whole units 0..1e15"),
    "lead_time_days_by_weekday": (0, 366, False, "days 0..366"),
    "dc_stores_served": (1, 1e6, True, "a whole number of stores 1..1e6"),
    "n_ages": (1, 3651, True, "a whole number of age buckets 1..3651"),
}


class RecentIdLists:
    """The catalog rows of the id lists looked up lately, found again by equality.

    A store sends the same SKUs in the same order request after request. Looking
    up 1,000 freshly parsed ids in a 10,000-entry dict costs 0.1-0.6 ms under
    load (each id is hashed, then compared with a key elsewhere in memory). A
    list is remembered as one string, its ids joined by NUL (``key``): joining
    and finding it again costs about 0.03 ms, and the request's own id strings
    are not kept alive (keeping 128 lists of 1,000 small strings slowed every
    request down). The join is exact: a list with a NUL inside an id is not
    remembered, so equal keys mean equal lists. The least recently used list
    is forgotten first, beyond ``size`` lists or ``max_chars`` characters of keys
    in all (a long-running process fed big tables keeps a few MB, not GB).
    Safe to share between threads.
    """

    SEPARATOR = "\x00"

    def __init__(self, size: int = 128, max_chars: int = 4_000_000) -> None:
        self.size = size
        self.max_chars = max_chars
        self._rows: OrderedDict[str, np.ndarray] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def key(self, ids: list[Any]) -> str | None:
        """``ids`` as one string, or None when it cannot be remembered (no memory, a
        NUL inside an id, an id that is not a string)."""
        if self.size <= 0 or len(ids) > self.max_chars:
            return None
        try:
            joined = self.SEPARATOR.join(ids)
        except TypeError:
            return None
        exact = joined.count(self.SEPARATOR) == len(ids) - 1
        return joined if exact and len(joined) <= self.max_chars else None

    def get(self, key: str) -> np.ndarray | None:
        """The rows of the list with this ``key`` when it was remembered, else None."""
        with self._lock:
            rows = self._rows.get(key)
            if rows is not None:
                self._rows.move_to_end(key)
            return rows

    def remember(self, key: str, rows: np.ndarray) -> np.ndarray:
        """Keep ``rows`` (made read-only, and returned) under the list's ``key``."""
        rows.flags.writeable = False
        with self._lock:
            if key not in self._rows:
                self._chars += len(key)
            self._rows[key] = rows
            self._rows.move_to_end(key)
            while len(self._rows) > self.size or self._chars > self.max_chars:
                forgotten, _ = self._rows.popitem(last=False)
                self._chars -= len(forgotten)
        return rows


@dataclass(frozen=True)
class Catalog:
    """The catalog's arrays plus id lookups."""

    arrays: dict[str, np.ndarray]
    store_index: dict[str, int]
    sku_index: dict[str, int]
    recent_sku_lists: RecentIdLists = field(
        default_factory=RecentIdLists, compare=False, repr=False
    )

    @property
    def n_stores(self) -> int:
        return len(self.store_index)

    @property
    def n_skus(self) -> int:
        return len(self.sku_index)

    @property
    def n_ages(self) -> int:
        return int(self.arrays["n_ages"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]


def catalog_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """The catalog as ``.npz`` bytes, after checking every array is present with its shape."""
    check_catalog(arrays, "catalog")
    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(arrays[k]) for k in CATALOG_ARRAYS})
    return buffer.getvalue()


def load_catalog(path: Path | io.BytesIO, where: str | None = None) -> Catalog:
    """The catalog in ``path`` (a file or its bytes), checked; ``where`` names it in errors."""
    where = where or str(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as err:  # object arrays need pickle: refused
        raise PolicyFormatError(f"{where}: not a plain-array catalog ({err})") from err
    check_catalog(arrays, where)
    stores = [str(s) for s in arrays["store_ids"]]
    skus = [str(s) for s in arrays["sku_ids"]]
    return Catalog(
        arrays=arrays,
        store_index={s: i for i, s in enumerate(stores)},
        sku_index={s: i for i, s in enumerate(skus)},
    )


def check_catalog(arrays: dict[str, np.ndarray], where: str) -> None:
    missing = sorted(set(CATALOG_ARRAYS) - set(arrays))
    if missing:
        raise PolicyFormatError(f"{where}: catalog arrays missing: {missing}")
    n_st, n_sku = len(arrays["store_ids"]), len(arrays["sku_ids"])
    dims = {"S": (n_st,), "K": (n_sku,), "SK": (n_st, n_sku), "S7": (n_st, 7), "": ()}
    for name, (dim, _) in CATALOG_ARRAYS.items():
        shape = np.shape(arrays[name])
        if shape != dims[dim]:
            raise PolicyFormatError(
                f"{where}: catalog {name} has shape {shape}; expected {dims[dim]}"
            )
    for name in ("store_ids", "sku_ids"):
        ids = [str(s) for s in arrays[name]]
        if len(set(ids)) != len(ids):
            raise PolicyFormatError(f"{where}: catalog {name} has duplicates")
    # values too, after the hash check: a re-hashed catalog is still refused by name, never
    # served into a crash or a nonsense order
    for name, (low, high, whole, allowed) in CATALOG_VALUES.items():
        arr = np.asarray(arrays[name])
        if arr.dtype.kind not in "iuf" + ("b" if name == "blocked" else ""):
            raise PolicyFormatError(
                f"{where}: catalog {name} has dtype {arr.dtype}; allowed: {allowed}"
            )
        values = arr.astype(np.float64)
        bad = ~np.isfinite(values) | (values < low) | (values > high)
        if whole:
            bad |= values != np.floor(values)
        if bad.any():
            first = np.argwhere(bad)[0] if arr.ndim else ()
            at = "".join(f"[{int(i)}]" for i in first)
            raise PolicyFormatError(
                f"{where}: catalog {name}{at} = {arr[tuple(first)].item()!r}; allowed: {allowed}"
            )
