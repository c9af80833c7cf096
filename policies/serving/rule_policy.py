"""A tuned replenishment heuristic served from its parameters (no model file).

The manifest names the rule by its config target; only the rules listed in
``RULES`` can be built (no import of arbitrary names, no ``eval``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from policies import heuristics
from policies.serving.catalog import Catalog
from policies.serving.decision import PolicyDecision, Rule
from policies.serving.errors import PolicyFormatError
from policies.serving.rows_view import view_from_rows
from policies.serving.state import StateRows
from sim.store_sku import StoreSkuView

RULES: dict[str, type] = {
    f"policies.heuristics.{name}": getattr(heuristics, name) for name in heuristics.__all__
}


def build_rule(spec: dict[str, Any]) -> Any:
    """The rule object from the manifest's ``heuristic`` section."""
    target = spec.get("target")
    if target not in RULES:
        raise PolicyFormatError(f"heuristic.target {target!r}; allowed: {sorted(RULES)}")
    try:
        return RULES[target](**spec.get("params", {}))
    except (TypeError, ValueError) as err:
        raise PolicyFormatError(f"heuristic.params for {target}: {err}") from err


class RulePolicy:
    """Args:
    spec: the manifest's ``heuristic`` section (target, params, review_days), or a residual
        policy's ``action.base_rule`` of the same shape.
    catalog: the policy's catalog.
    """

    def __init__(self, spec: dict[str, Any], catalog: Catalog) -> None:
        self.rule = build_rule(spec)
        self.review_days = float(spec.get("review_days", 1.0))
        self.catalog = catalog

    def view(self, rows: StateRows) -> StoreSkuView:
        return view_from_rows(rows, self.catalog, review_days=self.review_days)

    def decide(self, rows: StateRows) -> PolicyDecision:
        view = self.view(rows)
        decision = self.rule.decide(view)
        units = np.asarray(decision.units, dtype=np.int64)
        cap = getattr(self.rule, "max_order_units", None)
        rules = (
            np.where(view.blocked, int(Rule.BLOCKED), 0)
            | np.where((units > 0) & (view.pack_units > 1), int(Rule.CASE_PACK_ROUNDING), 0)
        ).astype(np.int64)
        if cap is not None:
            at_cap = units >= np.floor(float(cap) / view.pack_units) * view.pack_units
            rules |= np.where(at_cap & (units > 0), int(Rule.CAP), 0)
        terms = {
            **decision.terms,
            "units": units,
            "packs": units // np.maximum(view.pack_units, 1),
            "on_hand": view.on_hand,
            "on_order": view.on_order,
        }
        return PolicyDecision(
            units=units, rules=rules, reason_template=decision.template, reason_terms=terms
        )
