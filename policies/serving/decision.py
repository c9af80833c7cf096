"""What a served policy returns for a batch of store-SKU rows, and how reasons read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntFlag

import numpy as np

BLOCKED_REASON = "blocked: not ordered"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Rule(IntFlag):
    """Business rules that shaped a suggestion (several may apply)."""

    NONE = 0
    BLOCKED = 1  # the store may not order the SKU: suggestion forced to 0
    CASE_PACK_ROUNDING = 2  # the order is a whole number of case packs
    CAP = 4  # the order sits at the policy's maximum per order


RULE_NAMES = {Rule.BLOCKED: "blocked", Rule.CASE_PACK_ROUNDING: "case_pack", Rule.CAP: "cap"}


def rule_names(flags: int) -> list[str]:
    return [name for flag, name in RULE_NAMES.items() if flags & flag]


@dataclass(frozen=True)
class PolicyDecision:
    """Per row: units to order, rule flags, and the reason as a template plus its numbers.

    ``reason_template`` holds ``{name}`` placeholders filled from ``reason_terms``
    (one [n] array per name) and reads, e.g., "order {units} = {packs} packs: up to
    {level} ..."; rows flagged BLOCKED read ``BLOCKED_REASON`` instead.
    """

    units: np.ndarray  # [n] int64 whole packs
    rules: np.ndarray  # [n] int64 Rule flags
    reason_template: str
    reason_terms: dict[str, np.ndarray]


def display_values(values: np.ndarray) -> list[int | float]:
    """A column as people read it: whole numbers without decimals, others to 2 decimals."""
    arr = np.asarray(values, dtype=np.float64)
    if np.all(arr == np.round(arr)):
        return arr.astype(np.int64).tolist()
    return np.round(arr, 2).tolist()


def render_reasons(template: str, terms: dict[str, np.ndarray], rules: np.ndarray) -> list[str]:
    """One sentence per row: the template filled with the row's numbers."""
    names = _PLACEHOLDER.findall(template)
    # one %-format per row: the cheapest per-row text Python has
    pattern = _PLACEHOLDER.sub("%s", template.replace("%", "%%"))
    columns = [display_values(terms[name]) for name in names]
    n = len(rules)
    reasons = [pattern % row for row in zip(*columns, strict=True)] if names else [pattern] * n
    for i in np.flatnonzero(rules & Rule.BLOCKED).tolist():
        reasons[i] = BLOCKED_REASON
    return reasons
