"""What a replenishment rule needs to know about a set of store-SKUs.

Heuristics are pure functions of a ``ReplenishmentView`` (arrays over ``n``
store-SKUs), so the same rule runs on a simulator snapshot, on the
single-SKU env's observation, and in the serving module from a store's state
table. Quantities are units; times are days.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ReplenishmentView:
    """State and parameters of ``n`` store-SKUs at a decision.

    Attributes:
        on_hand: units on hand (sellable).                                  [n]
        on_order: units ordered and not received.                            [n]
        on_hand_by_life: units by remaining life in days, index r-1 = r days
            left (perishables; non-perishables put everything in the last column). [n, R]
        forecast_daily: expected demand per day over the coming days.        [n]
        forecast_sd_daily: standard deviation of daily demand.               [n]
        lead_time_days: days from ordering to the units being sellable.      [n]
        review_days: days until the next ordering opportunity.               [n]
        shelf_life_days: 0 for non-perishables.                              [n]
        pack_units: units per orderable pack (1 when packs may be broken).   [n]
        facings_units: display minimum of the shelf.                         [n]
        blocked: True where the SKU may not be ordered.                      [n]
        unit_cost, price, holding_cost_per_day, waste_cost_per_unit: money.  [n]
        lead_time_sd_days: standard deviation of the lead time.              [n]
        on_promotion: True where a promotion runs.                           [n]
        day: the day of the decision (periodic-review schedules).
        ids: optional labels for explanations (store/SKU).
    """

    on_hand: np.ndarray
    on_order: np.ndarray
    on_hand_by_life: np.ndarray
    forecast_daily: np.ndarray
    forecast_sd_daily: np.ndarray
    lead_time_days: np.ndarray
    review_days: np.ndarray
    shelf_life_days: np.ndarray
    pack_units: np.ndarray
    facings_units: np.ndarray
    blocked: np.ndarray
    unit_cost: np.ndarray
    price: np.ndarray
    holding_cost_per_day: np.ndarray
    waste_cost_per_unit: np.ndarray
    lead_time_sd_days: np.ndarray | None = None
    on_promotion: np.ndarray | None = None
    day: int = 0
    ids: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return len(self.on_hand)

    @property
    def position(self) -> np.ndarray:
        """Inventory position: on hand + on order."""
        return self.on_hand + self.on_order

    def expiring_before(self, days: np.ndarray) -> np.ndarray:
        """[n] units on hand whose remaining life is at most ``days`` (per row)."""
        life_left = np.arange(1, self.on_hand_by_life.shape[1] + 1)[None, :]
        perishable = (self.shelf_life_days > 0)[:, None]
        soon = perishable & (life_left <= np.asarray(days)[:, None])
        return (self.on_hand_by_life * soon).sum(axis=1)


@dataclass(frozen=True)
class OrderDecision:
    """Units to order per store-SKU, with the numbers behind them.

    Attributes:
        units: [n] int64 units (whole packs).
        terms: named [n] arrays the rule computed (target, safety, ...), so
            ``explain`` can say why without recomputing.
        template: how one row reads, formatted with the row's values of
            ``terms`` plus ``units``, ``packs``, ``on_hand``, ``on_order``.
    """

    units: np.ndarray
    terms: dict[str, np.ndarray]
    template: str

    def explain(self, view: ReplenishmentView, rows: np.ndarray | None = None) -> list[str]:
        """One sentence per requested row (all rows by default), e.g.
        "order 24 = 2 packs: forecast 3.1/day × 5 days + safety 6 − on hand 4 − on order 0"."""
        idx = np.arange(view.n) if rows is None else np.asarray(rows)
        out = []
        for i in idx:
            values = {k: _num(v[i]) for k, v in self.terms.items()}
            values.update(
                units=int(self.units[i]),
                packs=int(self.units[i] // view.pack_units[i]),
                on_hand=_num(view.on_hand[i]),
                on_order=_num(view.on_order[i]),
            )
            text = "blocked: not ordered" if view.blocked[i] else self.template.format(**values)
            out.append((f"{view.ids[i]}: " if view.ids else "") + text)
        return out


def _num(value: object) -> float | int:
    v = float(value)
    return int(v) if v.is_integer() else round(v, 2)


def round_to_packs(units: np.ndarray, pack_units: np.ndarray, *, up: bool = True) -> np.ndarray:
    """Whole packs: up (never short of the target) or to the nearest."""
    units = np.maximum(units, 0.0)
    packs = np.ceil(units / pack_units - 1e-9) if up else np.floor(units / pack_units + 0.5)
    return (packs * pack_units).astype(np.int64)


def on_hand_by_remaining_life(stock_by_age: np.ndarray, shelf_life_days: np.ndarray) -> np.ndarray:
    """[..., skus, ages] by age -> [..., skus, R] by remaining life (index r-1 = r days left).

    Non-perishables (life 0) go to the last column (they never expire).
    """
    n_ages = stock_by_age.shape[-1]
    life = np.broadcast_to(shelf_life_days.astype(np.int64), stock_by_age.shape[:-1])[..., None]
    # remaining life r (column r-1) is held by the units of age life - r
    age = life - 1 - np.arange(n_ages)
    valid = (life > 0) & (age >= 0) & (age < n_ages)
    idx = np.broadcast_to(np.clip(age, 0, n_ages - 1), stock_by_age.shape)
    out = np.where(valid, np.take_along_axis(stock_by_age, idx, axis=-1), 0).astype(
        stock_by_age.dtype
    )
    out[..., -1] += np.where(life[..., 0] == 0, stock_by_age.sum(axis=-1), 0).astype(out.dtype)
    return out
