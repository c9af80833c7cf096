"""Stock-with-ages operations on numpy arrays (no SimPy, no Python loop per SKU).

Stock arrays have ages on their last axis: ``stock[..., sku, age_days]`` with
age 0 the freshest. Every function here conserves units exactly: what it takes
out of one array it returns in another.
"""

from __future__ import annotations

import numpy as np

from sim.enums import IssuingRule
from sim.store_sku import pack_units, round_to_packs


def _take_in_order(stock: np.ndarray, want: np.ndarray, oldest_first: bool) -> np.ndarray:
    """Units taken per age when ``want`` units leave each row, in age order.

    Args:
        stock: [..., ages] non-negative integers.
        want: [...] units to take per row (at most the row total).
        oldest_first: take from the highest age down (FIFO) or from age 0 up (LIFO).

    Returns:
        taken, same shape as ``stock``.
    """
    # One vectorised step per age (a few dozen at most): numpy's cumsum/clip along
    # a short trailing axis pay a per-row overhead that made them 20x slower.
    taken = np.zeros_like(stock)
    remaining = want.astype(stock.dtype, copy=True)
    n_ages = stock.shape[-1]
    for age in range(n_ages - 1, -1, -1) if oldest_first else range(n_ages):
        step = taken[..., age]
        np.minimum(remaining, stock[..., age], out=step)
        remaining -= step
        if not remaining.any():
            break
    return taken


def issue(
    stock: np.ndarray, units: np.ndarray, rule: IssuingRule, fresh_first_share: float = 0.0
) -> np.ndarray:
    """Take ``units`` out of ``stock`` by the issuing rule (in place).

    Args:
        stock: [..., ages] int, modified in place.
        units: [...] int, units to issue per row; must not exceed the row totals.
        rule: FIFO (oldest first), LIFO (freshest first) or MIXED.
        fresh_first_share: with MIXED, the share of each batch taken freshest-first,
            rounded half up per row; the rest is taken oldest-first.

    Returns:
        taken: [..., ages] the units issued per age (sums to ``units``).
    """
    if rule is IssuingRule.FIFO:
        taken = _take_in_order(stock, units, oldest_first=True)
    elif rule is IssuingRule.LIFO:
        taken = _take_in_order(stock, units, oldest_first=False)
    else:
        fresh = np.floor(units * fresh_first_share + 0.5).astype(units.dtype)
        taken = _take_in_order(stock, fresh, oldest_first=False)
        rest = _take_in_order(stock - taken, units - fresh, oldest_first=True)
        taken += rest
    stock -= taken
    return taken


def issue_sparse(
    stock: np.ndarray, units: np.ndarray, rule: IssuingRule, fresh_first_share: float = 0.0
) -> None:
    """``issue`` for a [rows, ages] array, touching only the rows with units to issue.

    Most store-SKUs see no demand within a few hours; gathering the few that do
    costs far less than a pass over every row and age.
    """
    rows = np.flatnonzero(units)
    if len(rows) == 0:
        return
    if len(rows) * 2 > len(units):
        issue(stock, units, rule, fresh_first_share)
        return
    sub = stock[rows]
    issue(sub, units[rows], rule, fresh_first_share)
    stock[rows] = sub


def expire_and_age(stock: np.ndarray, shelf_life_days: np.ndarray) -> np.ndarray:
    """The day boundary: wasting what reaches the end of its life, then ageing (in place).

    A perishable unit with shelf life ``m`` sits at ages ``0..m-1``; the unit at
    age ``m-1`` is wasted now, every other unit moves one age up. Non-perishables
    (shelf life 0) stay in bucket 0.

    Args:
        stock: [nodes, skus, ages] int, modified in place.
        shelf_life_days: [skus] int, 0 for non-perishables.

    Returns:
        wasted: [nodes, skus] units that expired.
    """
    wasted = np.zeros(stock.shape[:2], dtype=stock.dtype)
    # A few distinct shelf lives: each group moves only its own ages, one age at a
    # time from the oldest down, so nothing the size of ``stock`` is copied and
    # non-perishables (bucket 0 only) are not touched at all.
    for life in np.unique(shelf_life_days[shelf_life_days > 0]):
        group = _columns(np.flatnonzero(shelf_life_days == life))
        if isinstance(group, slice):
            stock_group = stock[:, group]  # a view: shifted in place
        else:
            stock_group = stock[:, group, :life]  # a copy: written back below
        wasted[:, group] = stock_group[:, :, life - 1]
        for age in range(life - 1, 0, -1):
            stock_group[:, :, age] = stock_group[:, :, age - 1]
        stock_group[:, :, 0] = 0
        if not isinstance(group, slice):
            stock[:, group, :life] = stock_group
    return wasted


def _columns(index: np.ndarray) -> slice | np.ndarray:
    """A slice when the SKU columns are contiguous (a view, moved in place), else the index."""
    if index.size and index[-1] - index[0] + 1 == index.size:
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def advance_ages(
    qty: np.ndarray, days: int, shelf_life_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Age a shipment by ``days`` day boundaries (travel across midnights).

    Args:
        qty: [skus, ages] units by age at departure.
        days: number of day boundaries crossed (>= 0).
        shelf_life_days: [skus] 0 for non-perishables.

    Returns:
        (aged [skus, ages], wasted [skus]): units that expired on the way are
        removed from ``aged`` and counted in ``wasted``.
    """
    if days <= 0:
        return qty.copy(), np.zeros(qty.shape[0], dtype=qty.dtype)
    ages = np.arange(qty.shape[1])
    perishable = shelf_life_days > 0
    expires = perishable[:, None] & (ages[None, :] + days >= shelf_life_days[:, None])
    wasted = np.where(expires, qty, 0).sum(axis=1)
    kept = np.where(expires, 0, qty)
    aged = np.zeros_like(qty)
    if days < qty.shape[1]:
        aged[:, days:] = kept[:, :-days]
    aged = np.where(perishable[:, None], aged, kept)
    return aged, wasted


def round_up_to_packs(units: np.ndarray, pack: np.ndarray, break_pack: np.ndarray) -> np.ndarray:
    """Round whole-unit quantities up to whole packs where breaking packs is not allowed."""
    return round_to_packs(units, pack_units(pack, break_pack))


def allocate_fair(requested: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Share scarce stock among requesters in proportion to what each asked for.

    Integer largest-remainder allocation per column: each requester gets the
    floor of its proportional share, and the leftover units go one each to the
    largest remainders (ties to the lower row index). Columns with enough stock
    are filled completely.

    Args:
        requested: [requesters, items] non-negative int (e.g. packs per store per SKU).
        available: [items] non-negative int.

    Returns:
        allocated: [requesters, items], never above ``requested``; column sums
        equal ``min(requested.sum(0), available)``.
    """
    requested = requested.astype(np.int64)
    available = available.astype(np.int64)
    total = requested.sum(axis=0)
    cols = np.flatnonzero(total > available)  # only short columns need sharing out
    out = requested.copy()
    if len(cols) == 0:
        return out
    req = requested[:, cols]
    avail = available[cols]
    numer = req * avail[None, :]
    base = numer // total[cols][None, :]
    remainder = numer % total[cols][None, :]
    leftover = avail - base.sum(axis=0)
    # rank rows by remainder, largest first; stable sort keeps ties in row order
    order = np.argsort(-remainder, axis=0, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(req.shape[0])[:, None], axis=0)
    out[:, cols] = base + (rank < leftover[None, :])
    return out


def scale_to_capacity(lines_units: np.ndarray, pack: np.ndarray, capacity_units: int) -> np.ndarray:
    """Cut picking lines so their total fits the DC's pick capacity.

    Every line gets the same share of its packs, rounded down; the capacity the
    rounding leaves is then handed out one pack at a time to the lines with the
    largest remainders (ties to the earlier line, in store-major order) while
    it fits. So thousands of one-case lines are not all rounded down to zero.

    Args:
        lines_units: [stores, skus] units to pick (multiples of ``pack``).
        pack: [skus] the unit each line is picked in (1 for break-pack SKUs).
        capacity_units: most units to pick.

    Returns:
        [stores, skus] units to pick, total <= ``capacity_units``.
    """
    total = int(lines_units.sum())
    if total <= capacity_units:
        return lines_units
    pack_2d = np.broadcast_to(pack[None, :], lines_units.shape).astype(np.int64)
    packs = lines_units // pack_2d
    numer = packs * capacity_units
    kept = numer // total
    remainder = (numer % total).ravel()
    leftover = capacity_units - int((kept * pack_2d).sum())
    candidates = np.flatnonzero(remainder > 0)
    order = candidates[np.argsort(-remainder[candidates], kind="stable")]
    fits = np.cumsum(pack_2d.ravel()[order]) <= leftover
    extra = np.zeros(packs.size, dtype=np.int64)
    extra[order[fits]] = 1
    return (kept + extra.reshape(packs.shape)) * pack_2d
