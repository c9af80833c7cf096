"""Confidence intervals for replicated experiments (t-intervals over replications)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

LEVEL = 0.95


def mean_ci(values: Sequence[float], level: float = LEVEL) -> dict[str, float]:
    """{"mean", "ci_low", "ci_high"}: Student-t interval over independent replications."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return {"mean": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    mean = float(arr.mean())
    if arr.size < 2:
        return {"mean": mean, "ci_low": mean, "ci_high": mean}
    half = float(stats.t.ppf(0.5 + level / 2, arr.size - 1) * arr.std(ddof=1) / math.sqrt(arr.size))
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half}


def paired_difference(
    a: Sequence[float], b: Sequence[float], level: float = LEVEL
) -> dict[str, float]:
    """Interval of mean(a − b) over paired replications (same seeds: common random numbers)."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return mean_ci(diff, level)


def win_shares(
    objective: Mapping[str, Sequence[float]], higher_is_better: bool = True
) -> dict[str, float]:
    """Share of replications each policy is best on (ties shared equally)."""
    names = list(objective)
    table = np.array([objective[n] for n in names], dtype=np.float64)  # [policies, replications]
    best = table.max(axis=0) if higher_is_better else table.min(axis=0)
    winners = np.isclose(table, best[None, :], rtol=0.0, atol=1e-9)
    share = (winners / winners.sum(axis=0, keepdims=True)).mean(axis=1)
    return {n: float(s) for n, s in zip(names, share, strict=True)}
