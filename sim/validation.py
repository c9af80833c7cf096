"""The one validation layer: pydantic v2 types for configs, one translation to ``ConfigError``.

Every config block (``sim.config``, ``sim.demand.config``) is a ``Block``
(``extra="forbid"``, ``strict=True``) whose fields use the annotated types
below, so "integer", "positive", "probability" or "hour of the day" mean the
same thing everywhere. ``validate`` runs a model and turns the first
``pydantic.ValidationError`` into ``ConfigError(field, value, allowed)``, the
message shape ``field: got value; allowed: what``, with ``field`` the dotted
path with list indices (``stores[3].dc``, ``skus[12].shelf_life_days``,
``couriers.speed_kmh``).

The rules, once for all configs:

* **Integers.** An ``int`` (numpy integers too), or a float that holds a whole
  number: ``3`` and ``3.0`` are accepted, ``3.5``, ``True`` and ``"3"`` are
  refused. YAML writes ``3.0`` for a whole number as readily as ``3``, and
  refusing it would only be pedantic; a fraction or a boolean is a real error.
* **Numbers.** An ``int`` or ``float`` (numpy ones too) that is finite: NaN,
  infinities, booleans and strings are refused.
* **Booleans.** ``true`` or ``false`` only (not ``"yes"``, not ``1``).
* **Names of enum members** are matched case-insensitively (``DAIRY``,
  ``dairy``, ``Shifted_Poisson``); integers are refused: configs name things.
* **Unknown keys** are refused by name, with a "did you mean" suggestion.
* **null** is the same as leaving the key out (the default applies), except
  for the keys a block lists in ``keep_null``.

Validators refuse a value by raising ``refuse(allowed, value, *at)``; ``at``
is the path below the field being validated (``refuse(..., 1)`` for the
second element of a list field). Errors raised by dataclasses
(``ConfigError`` with a field name relative to themselves) inside a
validator are prefixed with the validator's path too.

Imports only numpy, pydantic and ``sim.errors`` / ``sim.enums``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import Enum
from typing import Annotated, Any, ClassVar, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from sim.enums import Category
from sim.errors import ConfigError, FieldError

__all__ = [
    "MAX_UNITS",
    "WHOLE_UNITS",
    "Block",
    "CategoryName",
    "Flag",
    "HourOfDay",
    "IsoDate",
    "Name",
    "NonNegativeFloat",
    "NonNegativeInt",
    "PositiveFloat",
    "PositiveInt",
    "Probability",
    "Real",
    "Span",
    "StoreHour",
    "WholeDays",
    "by_name",
    "category_items",
    "check_integer",
    "check_real",
    "enum_value",
    "interval",
    "lookup",
    "lookup_many",
    "plain",
    "refusal_text",
    "refuse",
    "show_ids",
    "under",
    "unique",
    "validate",
]

E = TypeVar("E", bound=Enum)

# Unit counts above this are refused: float64 would round counts beyond 2**53 without a word.
MAX_UNITS = 1e15
M = TypeVar("M", bound=BaseModel)

_ERROR_TYPE = "shelflife"


# --------------------------------------------------------------------------------------
# Refusing a value, and translating pydantic's errors in one place.


def refuse(allowed: str, value: Any, *at: str | int) -> PydanticCustomError:
    """The error a validator raises: ``value`` refused, ``allowed`` in words.

    Args:
        allowed: what would have been accepted.
        value: the refused value (shown in the message).
        at: keys and list indices below the field being validated.
    """
    context = {"allowed": allowed, "value": value, "at": at}
    return PydanticCustomError(_ERROR_TYPE, "{allowed}", context)


# pydantic's own error types that can still occur (strict containers), in words.
_BUILTIN_ALLOWED = {
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "extra_forbidden": "no such key",
}


def path_of(loc: Iterable[str | int], prefix: str = "") -> str:
    """``("stores", 3, "dc")`` → ``stores[3].dc``; union tags (``<list>``) and ``[key]`` dropped."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]" or (part.startswith("<") and part.endswith(">")):
            continue
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def config_error(err: ValidationError, prefix: str = "") -> ConfigError:
    """The first error of a ``ValidationError`` as ``ConfigError(field, value, allowed)``.

    Args:
        err: what pydantic raised.
        prefix: the dotted path of the validated value inside the whole config.
    """
    first = err.errors(include_url=False)[0]
    loc = list(first["loc"])
    ctx = first.get("ctx") or {}
    kind = first["type"]
    if kind == _ERROR_TYPE:
        return ConfigError(path_of([*loc, *ctx["at"]], prefix), ctx["value"], ctx["allowed"])
    inner = ctx.get("error")
    if isinstance(inner, FieldError):  # a dataclass's own check, relative to itself
        return ConfigError(path_of(loc, prefix) + "." + inner.field, inner.value, inner.allowed)
    if kind == "missing":
        return ConfigError(path_of(loc, prefix), None, f"a value for the required key {loc[-1]!r}")
    allowed = _BUILTIN_ALLOWED.get(kind, first["msg"])
    return ConfigError(path_of(loc, prefix) or prefix or "<config>", first.get("input"), allowed)


def refusal_text(field: str, value: Any, allowed: str) -> str:
    """``field: got value; allowed: what``, for refusals that are listed rather than
    raised (the bad rows of a table): the same words as ``ConfigError``."""
    return str(FieldError(field, value, allowed))


def validate(model: type[M], value: Any, prefix: str = "", context: Any = None) -> M:
    """``model.model_validate(value)``, refusing with ``ConfigError`` (see ``config_error``)."""
    try:
        return model.model_validate(value, context=context)
    except ValidationError as err:
        raise config_error(err, prefix) from None


@contextmanager
def under(prefix: str) -> Iterator[None]:
    """Re-raise a dataclass's ``ConfigError`` (its field relative to itself) under ``prefix``."""
    try:
        yield
    except ConfigError as err:
        if err.field.startswith(prefix):
            raise
        raise ConfigError(f"{prefix}.{err.field}", err.value, err.allowed) from err


def plain(value: Any) -> Any:
    """Mappings and sequences (a Hydra ``DictConfig`` too) → plain dicts and lists.

    Reading a ``DictConfig`` key by key resolves its interpolations, so this
    needs no OmegaConf import.
    """
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(item) for item in value]
    return value


# --------------------------------------------------------------------------------------
# The base model.


class Block(BaseModel):
    """A config block: unknown keys refused by name, no coercion, null = absent.

    Attributes:
        keep_null: keys for which ``null`` is a value of its own (kept, not dropped).
    """

    model_config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)
    keep_null: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        keys = list(cls.model_fields)
        if not isinstance(data, Mapping):
            raise refuse("a mapping with keys " + ", ".join(keys), data)
        for key in data:
            if key not in cls.model_fields:
                hint = difflib.get_close_matches(str(key), keys, n=1)
                guess = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise refuse("one of the keys " + ", ".join(keys) + guess, data[key], str(key))
        return {k: v for k, v in data.items() if v is not None or k in cls.keep_null}


# --------------------------------------------------------------------------------------
# Scalars: the checks, and the annotated types built on them.


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def interval(
    low: float | None,
    high: float | None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> str:
    """``a number in [0, 1)``, ``an integer >= 1``, ``a finite number``: bounds in words."""
    kind = "an integer" if integer else "a number"
    if low is not None and high is not None:
        return f"{kind} in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{kind} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{kind} {'<' if high_open else '<='} {high:g}"
    return f"a finite {kind.split()[1]}"


def check_real(
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    allowed: str | None = None,
    at: Sequence[str | int] = (),
) -> float:
    """A finite number within the bounds, as float; else ``refuse``."""
    text = allowed or interval(low, high, low_open=low_open, high_open=high_open)
    if not _is_real(value) or not math.isfinite(float(value)):
        raise refuse(text, value, *at)
    number = float(value)
    if low is not None and (number < low or (low_open and number == low)):
        raise refuse(text, value, *at)
    if high is not None and (number > high or (high_open and number == high)):
        raise refuse(text, value, *at)
    return number


def check_integer(
    value: Any,
    low: int | None = None,
    high: int | None = None,
    *,
    allowed: str | None = None,
    at: Sequence[str | int] = (),
) -> int:
    """An integer (or a float holding a whole number) within the bounds; else ``refuse``."""
    text = allowed or interval(low, high, integer=True)
    if not _is_real(value) or not math.isfinite(float(value)) or not float(value).is_integer():
        raise refuse(text, value, *at)
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise refuse(text, value, *at)
    return number


def Real(
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    allowed: str | None = None,
) -> Any:
    """A float type with bounds: ``Real(0, 1, high_open=True)`` is [0, 1)."""

    def check(value: Any) -> float:
        return check_real(value, low, high, low_open=low_open, high_open=high_open, allowed=allowed)

    return Annotated[float, PlainValidator(check)]


def Integer(low: int | None = None, high: int | None = None, *, allowed: str | None = None) -> Any:
    """An int type with inclusive bounds (the integer rule in the module docstring)."""

    def check(value: Any) -> int:
        return check_integer(value, low, high, allowed=allowed)

    return Annotated[int, PlainValidator(check)]


def Span(
    low: float | None = None,
    high: float | None = None,
    *,
    high_open: bool = False,
    integer: bool = False,
) -> Any:
    """A value or a range ``[low, high]`` (low <= high) within the bounds → ``(low, high)``."""
    one = interval(low, high, high_open=high_open, integer=integer)
    allowed = f"{one}, or a range [low, high]"

    def check_one(value: Any, *at: str | int) -> float:
        if integer:
            return float(check_integer(value, low, high, allowed=allowed, at=at))  # type: ignore[arg-type]
        return check_real(value, low, high, high_open=high_open, allowed=allowed, at=at)

    def check(value: Any) -> tuple[float, float]:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise refuse(f"a range [low, high] of two values, each {one}", value)
            lo, hi = check_one(value[0], 0), check_one(value[1], 1)
            if lo > hi:
                raise refuse(f"a range [low, high] with low <= high, each {one}", value)
            return lo, hi
        single = check_one(value)
        return single, single

    return Annotated[tuple[float, float], PlainValidator(check)]


def _flag(value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise refuse("true or false", value)
    return bool(value)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise refuse("a non-empty string", value)
    return value


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise refuse("an ISO date YYYY-MM-DD", value) from None


def _display(member: Enum) -> str:
    return member.value.lower() if isinstance(member.value, str) else member.name.lower()


def by_name(enum_cls: type[E], members: Sequence[E] | None = None) -> Callable[[Any], E]:
    """A parser of ``enum_cls`` members by name or string value, case-insensitive."""
    allowed_members = tuple(members) if members is not None else tuple(enum_cls)
    allowed = "one of " + ", ".join(_display(m) for m in allowed_members)

    def parse(value: Any) -> E:
        if isinstance(value, enum_cls) and value in allowed_members:
            return value
        if isinstance(value, str):
            lowered = value.lower()
            for member in allowed_members:
                if lowered in (member.name.lower(), _display(member)):
                    return member
        raise refuse(allowed, value)

    return parse


def EnumName(enum_cls: type[E], members: Sequence[E] | None = None) -> Any:
    """An enum member given by name (case-insensitive), limited to ``members`` if given."""
    return Annotated[enum_cls, PlainValidator(by_name(enum_cls, members))]


def enum_value(enum_cls: type[E], value: Any, field: str) -> E:
    """Parse an enum member by name outside a model; ``ConfigError`` naming ``field``."""
    try:
        return by_name(enum_cls)(value)
    except PydanticCustomError as err:
        raise ConfigError(field, value, str(err)) from None


def real_value(
    value: Any, field: str, low: float | None = None, high: float | None = None,
    *, allowed: str | None = None,
) -> float:  # fmt: skip
    """The number rule outside a model (policy and report settings); ``ConfigError`` names
    ``field`` and says ``allowed`` (default: the interval)."""
    try:
        return check_real(value, low, high, allowed=allowed)
    except PydanticCustomError as err:
        raise ConfigError(field, value, allowed or str(err)) from None


def integer_value(value: Any, field: str, low: int | None = None, high: int | None = None) -> int:
    """The integer rule outside a model (env, solver arguments); ``ConfigError`` names it."""
    try:
        return check_integer(value, low, high)
    except PydanticCustomError as err:
        raise ConfigError(field, value, str(err)) from None


# --------------------------------------------------------------------------------------
# Arrays of units: the same rules, one vectorised test each (sales tables, served states).


def whole_units(arr: np.ndarray) -> np.ndarray:
    """[...] bool: a whole number of units in [0, ``MAX_UNITS``] (NaN and infinities fail)."""
    arr = np.asarray(arr, dtype=np.float64)
    return (arr >= 0) & (arr <= MAX_UNITS) & (np.floor(arr) == arr)


WHOLE_UNITS = f"a whole number of units in [0, {MAX_UNITS:.0e}]"


NonNegativeFloat = Real(0.0)
PositiveFloat = Real(0.0, low_open=True)
Probability = Real(0.0, 1.0)
HourOfDay = Real(0.0, 24.0, high_open=True)  # an hour of the day, [0, 24)
StoreHour = Real(0.0, 24.0)  # opening and closing: 24 is midnight at the day's end
NonNegativeInt = Integer(0)
PositiveInt = Integer(1)
WholeDays = Integer(0)  # a whole number of days
Flag = Annotated[bool, PlainValidator(_flag)]
Name = Annotated[str, PlainValidator(_name)]  # ids and names: a non-empty string
IsoDate = Annotated[dt.date, PlainValidator(_date)]
CategoryName = EnumName(Category)


def category_items(mapping: Mapping[str, Any]) -> list[tuple[Category, str, Any]]:
    """``{category name: value}`` → ``[(Category, key as written, value)]``.

    For ``AfterValidator``s and builders alike: refuses an unknown name or a
    category given twice (``dairy`` and ``Dairy``) at that key.
    """
    parse = by_name(Category)
    seen: set[Category] = set()
    out = []
    for key, value in mapping.items():
        try:
            category = parse(key)
        except PydanticCustomError as err:
            raise refuse(str(err), key, key) from None
        if category in seen:
            raise refuse("each category at most once", key, key)
        seen.add(category)
        out.append((category, key, value))
    return out


def unique(items: Sequence[Any], key: str = "id") -> None:
    """Refuse the second use of an item's ``key`` (``refuse`` at ``[i].key``)."""
    first: dict[Any, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, key)
        if value in first:
            raise refuse(f"a unique {key} (already used by [{first[value]}])", value, i, key)
        first[value] = i


# --------------------------------------------------------------------------------------
# References by id, resolved after validation.


def show_ids(ids: Iterable[str], limit: int = 20) -> str:
    """A readable, bounded list of ids for an error message."""
    ids = list(ids)
    shown = ", ".join(ids[:limit])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > limit else "")


def lookup(value: Any, field: str, index: Mapping[str, int], what: str) -> int:
    """Index of a known id, or ``ConfigError`` naming ``field`` and listing the known ids."""
    if not isinstance(value, str) or value not in index:
        raise ConfigError(field, value, f"a {what} id, one of: {show_ids(index)}")
    return index[value]


def lookup_many(value: Any, field: str, index: Mapping[str, int], what: str) -> np.ndarray:
    """Indices of one id or a list of ids (a bad one named ``field[i]``)."""
    if isinstance(value, list | tuple):
        found = [lookup(v, f"{field}[{i}]", index, what) for i, v in enumerate(value)]
    else:
        found = [lookup(value, field, index, what)]
    return np.array(found, dtype=np.int64)
