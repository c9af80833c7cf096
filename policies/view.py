"""What a replenishment rule decides: units per store-SKU with the numbers behind them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.store_sku import StoreSkuView


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

    def explain(self, view: StoreSkuView, rows: np.ndarray | None = None) -> list[str]:
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


def _num(value: object) -> float | int:
    v = float(value)
    return int(v) if v.is_integer() else round(v, 2)
