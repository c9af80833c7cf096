"""Reasons: the same sentences as one %-format per row, as text and as JSON."""

from __future__ import annotations

import re

import numpy as np
import pydantic_core
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.serving.decision import (
    BLOCKED_REASON,
    Rule,
    _Writer,
    display_array,
    display_values,
    reasons_json,
    render_reasons,
)

TEMPLATES = [
    "order {units} = {packs} × {pack_units}; forecast {forecast}/day, on hand {on_hand}",
    'he said "{a}" \\ {b}% {{c}}\n\t{a}',
    "no numbers at all",
    "{a}{b}",
    "ünïcode {a} ☃",
]


def reference_reasons(template: str, terms: dict, rules: np.ndarray) -> list[str]:
    """The reasons as first written: one %-format per row of ``display_values``."""
    placeholder = re.compile(r"\{(\w+)\}")
    names = placeholder.findall(template)
    pattern = placeholder.sub("%s", template.replace("%", "%%"))
    columns = [display_values(terms[name]) for name in names]
    n = len(rules)
    reasons = [pattern % row for row in zip(*columns, strict=True)] if names else [pattern] * n
    for i in np.flatnonzero(rules & Rule.BLOCKED).tolist():
        reasons[i] = BLOCKED_REASON
    return reasons


numbers = st.one_of(
    st.integers(-5, 10**6).map(float),
    st.floats(0, 5000).map(lambda x: round(x, 1)),
    st.floats(0, 5000).map(lambda x: round(x, 3)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e-3, 1e-3),
    st.sampled_from([0.005, 0.015, 40.955, 4095.995, 4095.994, 1e16, 2.5e-5]),
)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), template=st.sampled_from(TEMPLATES), n=st.integers(0, 20))
def test_reasons_read_as_one_format_per_row(data, template, n):
    names = sorted(set(re.findall(r"\{(\w+)\}", template)))
    terms = {}
    for name in names:
        whole = data.draw(st.booleans())
        values = data.draw(st.lists(numbers, min_size=n, max_size=n))
        terms[name] = np.round(np.array(values)) if whole else np.array(values)
    rules = np.array(data.draw(st.lists(st.integers(0, 7), min_size=n, max_size=n)), dtype=int)
    with np.errstate(all="ignore"):  # huge numbers overflow and infinities cast to garbage: alike
        want = reference_reasons(template, terms, rules)
        assert render_reasons(template, terms, rules) == want
        assert reasons_json(template, terms, rules) == pydantic_core.to_json(want)


def test_the_lookup_tables_write_every_number_as_str_does():
    writer = _Writer.make(as_json=False)
    k = np.arange(100 * len(writer.whole))
    pieces = writer.numbers(k / 100, "")  # every hundredth the table covers
    written = list(map("".join, zip(*(p.tolist() for p in pieces), strict=True)))
    assert written == [str(x) for x in np.round(k / 100, 2).tolist()]
    whole = writer.numbers(np.arange(len(writer.whole), dtype=float), " units")
    assert whole[0].tolist() == [f"{i} units" for i in range(len(writer.whole))]


def test_display_array_is_display_values_as_an_array():
    cases = [([1.0, 2.0], np.int64), ([1.5, 2.0], np.float64), ([1.005, 2.6751], np.float64)]
    for values, dtype in cases:
        arr = display_array(np.array(values))
        assert arr.dtype == dtype
        assert arr.tolist() == display_values(np.array(values))
