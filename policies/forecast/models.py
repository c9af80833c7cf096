"""Forecasters: daily demand of many store-SKUs from their history.

Every forecaster is a pure function of a history array ``[days, n]`` (oldest
first; the last row is yesterday) and returns the mean and standard deviation
of demand for the next day: one interface, vectorised over store-SKUs (the
only loops run over days). Histories are usually sales, which are censored by
stock-outs; pass demand (sales + lost) where it is known.

The oracle forecaster is not here: it reads the simulator's true rate
(``policies.runner.oracle_forecast``), the upper bound of what forecasting can give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from sim.errors import ConfigError


@dataclass(frozen=True)
class Forecast:
    """Next-day demand: mean and standard deviation, each [n]."""

    mean: np.ndarray
    sd: np.ndarray


class Forecaster(Protocol):
    def forecast(
        self, history: np.ndarray, features: dict[str, np.ndarray] | None = None
    ) -> Forecast:
        """Args:
        history: [days, n] daily demand (or sales), oldest first.
        features: optional regressors (see ``RegressionForecaster``).
        """
        ...


def _check_history(history: np.ndarray, need: int, who: str) -> np.ndarray:
    h = np.asarray(history, dtype=np.float64)
    if h.ndim != 2 or h.shape[0] < need:
        raise ConfigError(f"{who}.history", h.shape, f"[days >= {need}, store-SKUs]")
    if not np.isfinite(h).all() or (h < 0).any():
        raise ConfigError(f"{who}.history", "NaN/negative values", "finite values >= 0")
    return h


def _residual_sd(history: np.ndarray, fitted: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Std of one-step errors, floored at the Poisson level sqrt(mean)."""
    err = history - fitted
    sd = np.sqrt(np.mean(err**2, axis=0)) if len(err) else np.zeros(history.shape[1])
    return np.maximum(sd, np.sqrt(np.maximum(mean, 0.0)))


@dataclass(frozen=True)
class MovingAverage:
    """Mean of the last ``window`` days."""

    window: int = 7

    def forecast(
        self, history: np.ndarray, features: dict[str, np.ndarray] | None = None
    ) -> Forecast:
        if self.window < 1:
            raise ConfigError("MovingAverage.window", self.window, "an integer >= 1")
        h = _check_history(history, 1, "MovingAverage")
        recent = h[-self.window :]
        mean = recent.mean(axis=0)
        return Forecast(mean, np.maximum(recent.std(axis=0), np.sqrt(mean)))


@dataclass(frozen=True)
class SeasonalNaive:
    """Tomorrow = the same weekday last week (``season`` days back); averaged over ``weeks``."""

    season: int = 7
    weeks: int = 1

    def forecast(
        self, history: np.ndarray, features: dict[str, np.ndarray] | None = None
    ) -> Forecast:
        h = _check_history(history, self.season, "SeasonalNaive")
        weeks = min(self.weeks, h.shape[0] // self.season)
        same_day = np.stack([h[-self.season * k] for k in range(1, weeks + 1)])
        mean = same_day.mean(axis=0)
        fitted = h[: -self.season] if h.shape[0] > self.season else h[:0]
        return Forecast(mean, _residual_sd(h[self.season :], fitted, mean))


@dataclass(frozen=True)
class HoltWinters:
    """Additive Holt-Winters with weekly seasonality (level, trend, season).

    Initialised from the first two seasons (or one, flat trend), updated day by
    day over the history, all store-SKUs at once.
    """

    alpha: float = 0.3
    beta: float = 0.05
    gamma: float = 0.2
    season: int = 7

    def forecast(
        self, history: np.ndarray, features: dict[str, np.ndarray] | None = None
    ) -> Forecast:
        for name in ("alpha", "beta", "gamma"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"HoltWinters.{name}", v, "a number in [0, 1]")
        h = _check_history(history, self.season, "HoltWinters")
        m = self.season
        level = h[:m].mean(axis=0)
        trend = (
            (h[m : 2 * m].mean(axis=0) - level) / m if h.shape[0] >= 2 * m else np.zeros(h.shape[1])
        )
        seasonal = h[:m] - level  # [m, n]
        sq_err = np.zeros(h.shape[1])
        count = 0
        for t in range(m, h.shape[0]):  # one step per day, vectorised over store-SKUs
            s = seasonal[t % m]
            predicted = level + trend + s
            sq_err += (h[t] - predicted) ** 2
            count += 1
            new_level = self.alpha * (h[t] - s) + (1 - self.alpha) * (level + trend)
            trend = self.beta * (new_level - level) + (1 - self.beta) * trend
            seasonal[t % m] = self.gamma * (h[t] - new_level) + (1 - self.gamma) * s
            level = new_level
        mean = np.maximum(level + trend + seasonal[h.shape[0] % m], 0.0)
        sd = np.sqrt(sq_err / count) if count else np.zeros(h.shape[1])
        return Forecast(mean, np.maximum(sd, np.sqrt(mean)))


@dataclass(frozen=True)
class RegressionForecaster:
    """Least squares on calendar, promotion, price and temperature features.

    ``features`` holds, for every day of the history plus tomorrow (``days + 1``
    rows), arrays of shape ``[days + 1, n]`` or ``[days + 1]``:
    ``weekday`` (0..6, required), and any of ``promo`` (0/1), ``price``
    (price multiplier), ``temperature_c``. The model is fitted per store-SKU
    on log(1 + demand) with a ridge penalty ``ridge`` (vectorised: one solve
    of a small [features × features] system per store-SKU batch).
    """

    ridge: float = 1.0

    def forecast(
        self, history: np.ndarray, features: dict[str, np.ndarray] | None = None
    ) -> Forecast:
        h = _check_history(history, 8, "RegressionForecaster")
        days, n = h.shape
        if not features or "weekday" not in features:
            raise ConfigError(
                "RegressionForecaster.features", sorted(features or {}), "at least 'weekday'"
            )
        cols = []
        weekday = np.broadcast_to(
            np.asarray(features["weekday"]).reshape(days + 1, -1), (days + 1, n)
        )
        for d in range(1, 7):
            cols.append((weekday == d).astype(np.float64))
        for name in ("promo", "price", "temperature_c"):
            if name in features:
                x = np.broadcast_to(
                    np.asarray(features[name], dtype=np.float64).reshape(days + 1, -1),
                    (days + 1, n),
                )
                cols.append(x - x[:days].mean(axis=0))
        design = np.stack([np.ones((days + 1, n)), *cols], axis=2)  # [days + 1, n, k]
        x_fit, x_next = design[:days], design[days]
        y = np.log1p(h)
        xtx = np.einsum("dnk,dnj->nkj", x_fit, x_fit) + self.ridge * np.eye(design.shape[2])[None]
        xty = np.einsum("dnk,dn->nk", x_fit, y)
        coef = np.linalg.solve(xtx, xty[..., None])[..., 0]
        fitted = np.expm1(np.einsum("dnk,nk->dn", x_fit, coef))
        mean = np.maximum(np.expm1(np.einsum("nk,nk->n", x_next, coef)), 0.0)
        return Forecast(mean, _residual_sd(h, fitted, mean))


class HistoryForecast:
    """A forecaster in the decision path: ``run_rule``'s ``forecast`` from the simulator's
    daily demand history.

    Once a day it appends yesterday's demand (sold + lost, per store-SKU) to a history of
    at most ``window`` days and forecasts today with ``forecaster``; until the history
    holds ``min_days`` days it uses ``fallback`` (the smoothed daily demand). It scores
    itself on the days it forecast (``accuracy``: the sums of WAPE and bias), counted
    from ``reset_accuracy`` (the KPI period's start).

    Args:
        forecaster: any ``Forecaster`` (moving average, seasonal naive, Holt-Winters).
        fallback: the forecast until the history is long enough.
        min_days: history needed before the forecaster takes over (at least a season).
        window: most days kept (memory: window × stores × SKUs floats).
    """

    def __init__(
        self, forecaster: Forecaster, fallback: Any, min_days: int = 14, window: int = 56
    ) -> None:
        if not 1 <= min_days <= window:
            raise ConfigError(
                "forecaster.min_days/window", (min_days, window), "1 <= min_days <= window"
            )
        self.forecaster, self.fallback = forecaster, fallback
        self.min_days, self.window = min_days, window
        self._rows: list[np.ndarray] = []
        self._day = -1
        self._today: np.ndarray | None = None
        self._scored: np.ndarray | None = None  # today's forecast, if the forecaster made it
        self.reset_accuracy()

    def reset_accuracy(self) -> None:
        self.abs_error = self.error = self.actual = 0.0

    def __call__(self, sim: Any) -> np.ndarray:
        if sim.day == self._day and self._today is not None:
            return self._today
        base = self.fallback(sim)
        if self._day >= 0:  # yesterday's demand, and the score of yesterday's forecast
            snap = sim.snapshot()
            demand = snap.demand_yesterday.astype(np.float64).reshape(-1)
            if self._scored is not None:
                self.abs_error += float(np.abs(self._scored - demand).sum())
                self.error += float((self._scored - demand).sum())
                self.actual += float(demand.sum())
            self._rows = [*self._rows, demand][-self.window :]
        self._day = sim.day
        if len(self._rows) >= self.min_days:
            mean = self.forecaster.forecast(np.stack(self._rows)).mean
            self._scored = mean
            self._today = mean.reshape(np.shape(base))
        else:
            self._scored = None
            self._today = base
        return self._today

    def accuracy(self) -> dict[str, float]:
        """The sums behind WAPE and bias of the days the forecaster made, since
        ``reset_accuracy`` (sums, so that regions add up): ``forecast_abs_error``,
        ``forecast_error`` (forecast − actual) and ``forecast_demand``; empty before any."""
        if self.actual <= 0:
            return {}
        return {
            "forecast_abs_error": self.abs_error,
            "forecast_error": self.error,
            "forecast_demand": self.actual,
        }
