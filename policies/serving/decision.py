"""What a served policy returns for a batch of store-SKU rows, and how reasons read."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntFlag
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
    tables: dict[tuple[Any, bool], np.ndarray] = field(default_factory=dict)

    @classmethod
    def make(cls, as_json: bool) -> _Writer:
        whole = [str(i) for i in range(4096)]
        decimals = [str(k / 100)[1:] for k in range(100)]
        if not as_json:
            return cls(str, "", _objects(whole), _objects(decimals), str)
        return cls(
            text=lambda t: pydantic_core.to_json(t)[1:-1],
            quote=b'"',
            whole=_objects([w.encode() for w in whole]),
            decimals=_objects([d.encode() for d in decimals]),
            number=lambda v: str(v).encode(),
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

    def numbers(self, values: np.ndarray, after: Any) -> list[Any]:
        """Each of ``display_values(values)`` as written and followed by ``after``.

        As columns of pieces (object arrays, or one piece for every row) to join row by row.
        """
        arr = np.asarray(values)
        if arr.dtype.kind not in "iu":
            arr = arr.astype(np.float64, copy=False)
            if np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
        if arr.dtype.kind in "iu":
            if len(arr) and 0 <= arr.min() and arr.max() < len(self.whole):
                return [self._table(after, False)[arr]]
            return [_objects(list(map(self.number, arr.tolist()))), after]
        k = np.rint(arr * 100)  # np.round(arr, 2) is k / 100
        if not np.signbit(k).any() and k.max() < 100 * len(self.whole):  # no -0.0 either
            k = k.astype(np.int64)
            return [self.whole[k // 100], self._table(after, True)[k % 100]]
        return [_objects(list(map(self.number, np.round(arr, 2).tolist()))), after]

    def pieces(
        self, template: str, terms: dict[str, np.ndarray], rules: np.ndarray, end: Any
    ) -> np.ndarray:
        """[n, pieces] object: row ``i`` joined is reason ``i`` (quoted), then ``end``.

        The template's text is appended to the number before it (a table per
        text), so a row is a few pieces. Blocked rows read ``BLOCKED_REASON``.
        """
        parts = _PLACEHOLDER.split(template)  # text, name, text, name, ..., text
        text = [self.text(p) for p in parts[0::2]]
        text[0] = self.quote + text[0]
        text[-1] = text[-1] + self.quote + end  # the same piece when there are no numbers
        columns: list[Any] = [text[0]]
        for name, after in zip(parts[1::2], text[1:], strict=True):
            columns += self.numbers(terms[name], after)
        out = np.empty((len(rules), len(columns)), dtype=object)
        for j, column in enumerate(columns):
            out[:, j] = column
        blocked = (rules & Rule.BLOCKED) != 0
        if blocked.any():
            out[blocked, 0] = self.quote + self.text(BLOCKED_REASON) + self.quote + end
            out[blocked, 1:] = self.quote[:0]  # "" or b""
        return out


def _objects(items: list[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


_TEXT = _Writer.make(as_json=False)
_JSON = _Writer.make(as_json=True)


def render_reasons(template: str, terms: dict[str, np.ndarray], rules: np.ndarray) -> list[str]:
    """One sentence per row: the template filled with the row's numbers."""
    return list(map("".join, _TEXT.pieces(template, terms, rules, "").tolist()))


def reasons_json(template: str, terms: dict[str, np.ndarray], rules: np.ndarray) -> bytes:
    """``render_reasons`` as a JSON array: the bytes ``pydantic_core.to_json`` writes for it.

    One join over every row's pieces, each row ending in ``,`` (the last one dropped).
    """
    if len(rules) == 0:
        return b"[]"
    return b"[" + b"".join(_JSON.pieces(template, terms, rules, b",").ravel().tolist())[:-1] + b"]"
