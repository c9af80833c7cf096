"""Stock-with-ages operations on numpy arrays (no SimPy, no Python loop per SKU).

Stock arrays have ages on their last axis: ``stock[..., sku, age_days]`` with
age 0 the freshest. Every function here conserves units exactly: what it takes
out of one array it returns in another.
"""

from __future__ import annotations

import numpy as np

from sim.enums import IssuingRule


def _take_in_order(stock: np.ndarray, want: np.ndarray, oldest_first: bool) -> np.ndarray:
    """Units taken per age when ``want`` units leave each row, in age order.

    Args:
        stock: [..., ages] non-negative integers.
        want: [...] units to take per row (at most the row total).
        oldest_first: take from the highest age down (FIFO) or from age 0 up (LIFO).

    Returns:
        taken, same shape as ``stock``.
    """
    ordered = stock[..., ::-1] if oldest_first else stock
    before = np.cumsum(ordered, axis=-1) - ordered  # units ahead of each bucket
    taken = np.clip(want[..., None] - before, 0, ordered)
    return taken[..., ::-1] if oldest_first else taken


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
    # a few distinct shelf lives: gather each group's last age instead of the whole array
    for life in np.unique(shelf_life_days[shelf_life_days > 0]):
        group = np.flatnonzero(shelf_life_days == life)
        wasted[:, group] = stock[:, group, life - 1]
        stock[:, group, life - 1] = 0
    if stock.shape[2] > 1:
        stock[:, :, 1:] = stock[:, :, :-1].copy()
        stock[:, :, 0] = 0
        keep = np.flatnonzero(shelf_life_days <= 0)
        if len(keep):  # non-perishables were moved to age 1: put them back
            stock[:, keep, 0] = stock[:, keep, 1]
            stock[:, keep, 1] = 0
    return wasted


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
    """Round positive quantities up to whole packs where breaking packs is not allowed."""
    packs = -(-units // pack)
    return np.where(break_pack, units, packs * pack)


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
    short = total > available
    if not short.any():
        return requested.copy()
    safe_total = np.where(total > 0, total, 1)
    numer = requested * np.where(short, available, total)[None, :]
    base = numer // safe_total[None, :]
    remainder = numer % safe_total[None, :]
    leftover = np.where(short, available, total) - base.sum(axis=0)
    # rank rows by remainder, largest first; stable sort keeps ties in row order
    order = np.argsort(-remainder, axis=0, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(requested.shape[0])[:, None], axis=0)
    extra = (rank < leftover[None, :]).astype(np.int64)
    return np.where(short[None, :], base + extra, requested)


def scale_to_capacity(lines_units: np.ndarray, pack: np.ndarray, capacity_units: int) -> np.ndarray:
    """Cut picking lines so their total fits the DC's pick capacity.

    Every line keeps the same share of its units (rounded down to whole packs),
    so no store is favoured; capacity left by the rounding stays unused.

    Args:
        lines_units: [stores, skus] units to pick (multiples of ``pack``).
        pack: [skus] the unit each line is picked in (1 for break-pack SKUs).
        capacity_units: most units to pick.

    Returns:
        [stores, skus] units to pick.
    """
    total = int(lines_units.sum())
    if total <= capacity_units:
        return lines_units
    packs = lines_units // pack[None, :]
    kept_packs = (packs * capacity_units) // total
    return kept_packs * pack[None, :]
