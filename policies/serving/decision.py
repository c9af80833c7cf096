"""What a served policy returns for a batch of store-SKU rows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

import numpy as np


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
    """Per row: units to order, rule flags, and a sentence a store manager can read."""

    units: np.ndarray  # [n] int64 whole packs
    rules: np.ndarray  # [n] int64 Rule flags
    reasons: list[str]
