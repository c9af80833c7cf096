"""Errors of the serving module; each message names what was wrong and what is allowed."""

from __future__ import annotations

from typing import Any


class ServingError(Exception):
    """Base class of the serving module's errors."""


class PolicyIntegrityError(ServingError):
    """A policy folder's files do not match its manifest (changed, missing or extra)."""


class PolicyFormatError(ServingError):
    """A manifest this version cannot serve (format version, kind, content)."""


class StateError(ServingError, ValueError):
    """A store state was refused.

    Args:
        field: the offending field, with the row where it applies (``on_hand_by_age[3]``).
        value: the value given.
        allowed: what would have been accepted, in words.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: got {_short(value)}; allowed: {allowed}")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
