"""Demand forecasters behind one interface, and forecast accuracy."""

from policies.forecast.accuracy import accuracy_by_category, bias, mape, wape
from policies.forecast.models import (
    Forecast,
    Forecaster,
    HistoryForecast,
    HoltWinters,
    MovingAverage,
    RegressionForecaster,
    SeasonalNaive,
)

__all__ = [
    "Forecast",
    "Forecaster",
    "HistoryForecast",
    "HoltWinters",
    "MovingAverage",
    "RegressionForecaster",
    "SeasonalNaive",
    "accuracy_by_category",
    "bias",
    "mape",
    "wape",
]
