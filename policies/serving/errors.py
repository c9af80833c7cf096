"""Errors of the serving module; each message names what was wrong and what is allowed."""

from __future__ import annotations

from sim.errors import FieldError


class ServingError(Exception):
    """Base class of the serving module's errors."""


class PolicyIntegrityError(ServingError):
    """A policy folder's files do not match its manifest (changed, missing or extra)."""


class PolicyFormatError(ServingError):
    """A manifest this version cannot serve (format version, kind, content)."""


class StateError(ServingError, FieldError):
    """A store state was refused.

    Args:
        field: the offending field, with the row where it applies (``on_hand_by_age[3]``).
        value: the value given (shown up to 80 characters).
        allowed: what would have been accepted, in words.
    """

    value_chars = 80
