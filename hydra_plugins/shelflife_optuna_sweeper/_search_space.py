"""Hydra sweep overrides -> Optuna distributions, and sampled values -> overrides.

Pure functions over Hydra's own override parser: no Hydra run, no launcher.

==================================  ==========================================
sweep                               distribution
==================================  ==========================================
``interval(0.5, 2.0)``              ``FloatDistribution(0.5, 2.0)``
``tag(log, interval(1e-5, 1e-3))``  ``FloatDistribution(1e-5, 1e-3, log=True)``
``int(interval(1, 20))``            ``IntDistribution(1, 20)`` (both ends included)
``tag(log, int(interval(8, 512)))`` ``IntDistribution(8, 512, log=True)``
``range(1, 10, 2)``                 ``IntDistribution(1, 9, step=2)`` (stop excluded)
``range(0.1, 0.5, 0.1)``            ``FloatDistribution(0.1, 0.4, step=0.1)``
``choice(a, b)`` or ``a,b``         ``CategoricalDistribution(["a", "b"])``
``shuffle(range(1, 4))``            ``CategoricalDistribution([1, 2, 3])``
==================================  ==========================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import (
    ChoiceSweep,
    Glob,
    IntervalSweep,
    Override,
    RangeSweep,
)
from hydra.errors import HydraException
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from sim.scenario import override_value

from .config import SweeperConfigError

SWEEPS = (
    "a sweep: interval(low, high), int(interval(low, high)), tag(log, interval(low, high)),"
    " choice(a, b, ...) or range(start, stop[, step])"
)
TAGS = frozenset({"log"})


class SearchSpaceError(SweeperConfigError):
    """A search-space entry that is not a supported sweep (field, value, what is allowed)."""


@dataclass(frozen=True)
class SearchSpace:
    """What a trial samples and what every trial gets as given.

    Attributes:
        distributions: ``{dotted.key: distribution}`` sampled by each trial.
        fixed: non-sweep command-line overrides, passed unchanged to every trial,
            ``{key: override text}``.
    """

    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)

    def overrides(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        """The overrides of one trial: the fixed ones, then ``key=value`` per sampled value."""
        return (*self.fixed.values(), *(f"{k}={format_value(v)}" for k, v in params.items()))


format_value = override_value  # a sampled value as override text (sim.scenario)


def distribution_for(override: Override, where: str) -> BaseDistribution:
    """The Optuna distribution of one sweep override.

    Args:
        override: a parsed override whose value is a sweep.
        where: the name used in error messages (config path of the entry).

    Raises:
        SearchSpaceError: not a sweep, an unsupported sweep or tag, or bad bounds.
    """
    value = override.value()
    text = (override.input_line or "").partition("=")[2] or str(value)
    if not override.is_sweep_override():
        raise SearchSpaceError(where, text, SWEEPS)
    if isinstance(value, Glob):
        raise SearchSpaceError(where, text, f"{SWEEPS} (glob() selects config options only)")
    tags = set(getattr(value, "tags", set()))
    unknown = tags - TAGS
    if unknown:
        raise SearchSpaceError(where, text, f"the tag 'log' on interval(...) only; not {unknown}")
    if isinstance(value, IntervalSweep):
        return _interval(value, "log" in tags, where, text)
    if tags:
        raise SearchSpaceError(where, text, "tag(log, ...) on interval(...) sweeps only")
    if isinstance(value, RangeSweep):
        return _range(override, value, where, text)
    if isinstance(value, ChoiceSweep):
        return _categorical(list(value.list), where, text)
    raise SearchSpaceError(where, text, SWEEPS)


def _interval(value: IntervalSweep, log: bool, where: str, text: str) -> BaseDistribution:
    low, high = value.start, value.end
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        raise SearchSpaceError(where, text, "interval(low, high) with finite low and high")
    if not low < high:
        raise SearchSpaceError(where, text, "interval(low, high) with low < high")
    if log and low <= 0:
        raise SearchSpaceError(where, text, "tag(log, interval(low, high)) with 0 < low")
    if isinstance(low, int) and isinstance(high, int):
        return IntDistribution(low, high, log=log)
    return FloatDistribution(float(low), float(high), log=log)


def _range(override: Override, value: RangeSweep, where: str, text: str) -> BaseDistribution:
    values = list(override.sweep_iterator())
    if not values:
        raise SearchSpaceError(where, text, "range(start, stop[, step]) with at least one value")
    if value.shuffle or len(values) == 1:
        return _categorical(values, where, text)
    step = abs(value.step)
    low, n = min(values), len(values)
    if all(isinstance(v, int) for v in values):
        return IntDistribution(int(low), int(low + step * (n - 1)), step=int(step))
    # round the last value so float steps do not leave a remainder Optuna warns about
    return FloatDistribution(float(low), round(low + step * (n - 1), 12), step=float(step))


def _categorical(choices: list[Any], where: str, text: str) -> BaseDistribution:
    if not choices:
        raise SearchSpaceError(where, text, "choice(...) with at least one option")
    for c in choices:
        if not isinstance(c, str | int | float | bool | type(None)):
            raise SearchSpaceError(
                where, text, f"choice(...) of str, int, float, bool or null; not {c!r}"
            )
    return CategoricalDistribution(choices)


def parse_search_space(params: Mapping[str, Any], arguments: Sequence[str] = ()) -> SearchSpace:
    """The search space from the config's ``params`` and the command line.

    Args:
        params: ``hydra.sweeper.params``, ``{dotted.key: sweep text}``; every
            entry must be a sweep.
        arguments: the command-line task overrides. Sweeps among them join (or
            replace) the search space; the others are fixed for every trial, and a
            fixed value for a key of ``params`` takes that key out of the search.

    Raises:
        SearchSpaceError: an entry that is not a supported sweep or does not parse.
    """
    parser = OverridesParser.create()
    space = SearchSpace()
    for key, sweep in params.items():
        where = f"hydra.sweeper.params.{key}"
        if not isinstance(sweep, str):
            raise SearchSpaceError(where, sweep, SWEEPS)
        try:
            override = parser.parse_override(f"{key}={sweep}")
        except HydraException as e:  # the parser's syntax errors
            raise SearchSpaceError(where, sweep, f"{SWEEPS} ({_first_line(e)})") from None
        space.distributions[key] = distribution_for(override, where)
    for arg in arguments:
        try:
            override = parser.parse_override(arg)
        except HydraException as e:  # the parser's syntax errors
            raise SearchSpaceError(
                "command line", arg, f"a Hydra override ({_first_line(e)})"
            ) from None
        key = override.get_key_element()
        if override.is_sweep_override():
            space.distributions[key] = distribution_for(override, f"command line {key}")
            space.fixed.pop(key, None)
        else:
            space.fixed[key] = arg
            space.distributions.pop(override.key_or_group, None)
    return space


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
