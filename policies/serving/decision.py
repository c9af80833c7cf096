"""What a served policy returns for a batch of store-SKU rows, and how reasons read."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntFlag
from itertools import repeat
from typing import Any

import numpy as np
import pydantic_core

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
    return display_array(values).tolist()


def display_array(values: np.ndarray) -> np.ndarray:
    """``display_values`` as an array: int64 when all are whole, else float64 to 2 decimals."""
    arr = np.asarray(values, dtype=np.float64)
    if np.all(arr == np.round(arr)):
        return arr.astype(np.int64)
    return np.round(arr, 2)


@dataclass(frozen=True)
class _Writer:
    """How reasons are written: as ``str`` rows, or as the UTF-8 of JSON strings.

    Numbers are written as ``str()`` writes them. Small whole numbers and
    hundredths are looked up rather than formatted: ``str(i)`` for ``i < 4096``,
    and ``str(k // 100)`` + "." + the decimals of ``k % 100`` for ``k / 100``, the
    shortest repr Python writes (a test checks every ``k``); others are formatted.
    Each table entry carries the template's text that follows the number, so a
    row is a join of a few pieces (tables are built once per text, and are small).
    Numbers need no JSON escaping.
    """

    text: Callable[[str], Any]  # the template's text as written (escaped for JSON)
    quote: Any  # around each row
    whole: np.ndarray  # object [4096]: str(i)
    decimals: np.ndarray  # object [100]: "." and the decimals of str(k / 100): ".0", ".01", ".5"
    number: Callable[[Any], Any]  # str(), for the numbers not looked up
    join: Callable[[Iterable[Any]], Any]
    tables: dict[tuple[Any, bool], np.ndarray] = field(default_factory=dict)

    @classmethod
    def make(cls, as_json: bool) -> _Writer:
        whole = [str(i) for i in range(4096)]
        decimals = [str(k / 100)[1:] for k in range(100)]
        if not as_json:
            return cls(str, "", _objects(whole), _objects(decimals), str, "".join)
        return cls(
            text=lambda t: pydantic_core.to_json(t)[1:-1],
            quote=b'"',
            whole=_objects([w.encode() for w in whole]),
            decimals=_objects([d.encode() for d in decimals]),
            number=lambda v: str(v).encode(),
            join=b"".join,
        )

    def _table(self, after: Any, decimals: bool) -> np.ndarray:
        """``whole`` (or ``decimals``) with ``after`` appended to every entry."""
        table = self.tables.get((after, decimals))
        if table is None:
            if len(self.tables) > 64:  # templates are few; never let the tables pile up
                self.tables.clear()
            table = _objects([t + after for t in (self.decimals if decimals else self.whole)])
            self.tables[after, decimals] = table
        return table

    def numbers(self, values: np.ndarray, after: Any = None) -> list[Iterable[Any]]:
        """Each of ``display_values(values)`` as written and followed by ``after``.

        In pieces (columns of strings) to join row by row.
        """
        after = self.quote[:0] if after is None else after  # "" or b""
        arr = np.asarray(values, dtype=np.float64)
        if np.all(arr == np.round(arr)):
            whole = arr.astype(np.int64)
            if len(whole) and 0 <= whole.min() and whole.max() < len(self.whole):
                return [self._table(after, False)[whole].tolist()]
            return [list(map(self.number, whole.tolist())), repeat(after)]
        k = np.rint(arr * 100)  # np.round(arr, 2) is k / 100
        if not np.signbit(k).any() and k.max() < 100 * len(self.whole):  # no -0.0 either
            k = k.astype(np.int64)
            return [self.whole[k // 100].tolist(), self._table(after, True)[k % 100].tolist()]
        return [list(map(self.number, np.round(arr, 2).tolist())), repeat(after)]

    def rows(self, template: str, terms: dict[str, np.ndarray], rules: np.ndarray) -> list[Any]:
        """One row per entry of ``rules``: a join over the template's text and the numbers.

        (Cheaper than formatting each row.) Blocked rows read ``BLOCKED_REASON``.
        """
        pieces = _PLACEHOLDER.split(template)  # text, name, text, name, ..., text
        text = [self.text(p) for p in pieces[0::2]]
        if len(pieces) == 1:
            rows = [self.quote + text[0] + self.quote] * len(rules)
        else:
            text[0], text[-1] = self.quote + text[0], text[-1] + self.quote
            columns: list[Iterable[Any]] = [repeat(text[0])]
            for name, after in zip(pieces[1::2], text[1:], strict=True):
                columns += self.numbers(terms[name], after)
            rows = list(map(self.join, zip(*columns, strict=False)))  # repeat() never ends
        blocked = self.quote + self.text(BLOCKED_REASON) + self.quote
        for i in np.flatnonzero(rules & Rule.BLOCKED).tolist():
            rows[i] = blocked
        return rows


def _objects(items: list[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


_TEXT = _Writer.make(as_json=False)
_JSON = _Writer.make(as_json=True)


def render_reasons(template: str, terms: dict[str, np.ndarray], rules: np.ndarray) -> list[str]:
    """One sentence per row: the template filled with the row's numbers."""
    return _TEXT.rows(template, terms, rules)


def reasons_json(template: str, terms: dict[str, np.ndarray], rules: np.ndarray) -> bytes:
    """``render_reasons`` as a JSON array: the bytes ``pydantic_core.to_json`` writes for it."""
    return b"[" + b",".join(_JSON.rows(template, terms, rules)) + b"]"
