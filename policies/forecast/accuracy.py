"""Forecast accuracy: MAPE, WAPE and bias, overall and per category."""

from __future__ import annotations

import numpy as np

from sim.enums import Category


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Sum of absolute errors / sum of actuals (robust to zero days)."""
    total = float(np.sum(actual))
    return float(np.sum(np.abs(actual - forecast)) / total) if total > 0 else float("nan")


def mape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute percentage error over entries with actual > 0."""
    mask = actual > 0
    return (
        float(np.mean(np.abs(actual[mask] - forecast[mask]) / actual[mask]))
        if mask.any()
        else float("nan")
    )


def bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """(sum of forecasts − sum of actuals) / sum of actuals: > 0 over-forecasts."""
    total = float(np.sum(actual))
    return float((np.sum(forecast) - total) / total) if total > 0 else float("nan")


def accuracy_by_category(
    actual: np.ndarray, forecast: np.ndarray, category: np.ndarray
) -> dict[str, dict[str, float]]:
    """{category name: {"mape", "wape", "bias"}} plus "all".

    Args:
        actual, forecast: [days, n] or [n].
        category: [n] ``Category`` values of the columns.
    """
    out = {
        "all": {
            "mape": mape(actual, forecast),
            "wape": wape(actual, forecast),
            "bias": bias(actual, forecast),
        }
    }
    for cat in np.unique(category):
        cols = category == cat
        a, f = actual[..., cols], forecast[..., cols]
        out[Category(int(cat)).name.lower()] = {
            "mape": mape(a, f),
            "wape": wape(a, f),
            "bias": bias(a, f),
        }
    return out
