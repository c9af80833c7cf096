"""Errors that name what was wrong and what is allowed."""

from __future__ import annotations

from typing import Any


class ShelfLifeError(Exception):
    """Base class of the simulator's own errors."""


class FieldError(ValueError):
    """A value refused by name: ``field: got value; allowed: what``.

    The one message shape of every refusal (configs here, served states in
    ``policies.serving``). Imports nothing, so the serving module can share it.

    Args:
        field: where the value was, e.g. ``stores[3].dc`` or ``on_order[7]``.
        value: the value that was given.
        allowed: what would have been accepted, in words.
    """

    value_chars: int | None = None  # the value's repr is cut to this many characters

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        shown = repr(value)
        if self.value_chars is not None and len(shown) > self.value_chars:
            shown = shown[: self.value_chars - 3] + "..."
        super().__init__(f"{field}: got {shown}; allowed: {allowed}")

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled with its own arguments (``args`` holds only the message) and its notes, so
        # the error crosses into the parent of a worker process whole, not as a TypeError
        return type(self), (self.field, self.value, self.allowed), self.__dict__


class ConfigError(ShelfLifeError, FieldError):
    """A configuration value was refused (see ``FieldError`` for the arguments)."""


class ActionError(ShelfLifeError, ValueError):
    """A decision submitted to the simulator was refused (shape, sign, NaN, unknown id)."""


class SalesTableError(ShelfLifeError, ValueError):
    """A sales table had bad rows. ``bad_rows`` lists (row_number, reason), 1-based data rows."""

    def __init__(self, source: str, bad_rows: list[tuple[int, str]]) -> None:
        self.source = source
        self.bad_rows = bad_rows
        shown = "; ".join(f"row {n}: {why}" for n, why in bad_rows[:20])
        more = f" (+{len(bad_rows) - 20} more)" if len(bad_rows) > 20 else ""
        super().__init__(f"{source}: {len(bad_rows)} bad row(s): {shown}{more}")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.source, self.bad_rows), self.__dict__


class ConservationError(ShelfLifeError, AssertionError):
    """Units were created or lost: the ledger does not balance."""
