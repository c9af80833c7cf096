"""Forecasters on histories whose answer is known."""

import numpy as np
import pytest

from policies.forecast import (
    HoltWinters,
    MovingAverage,
    RegressionForecaster,
    SeasonalNaive,
    accuracy_by_category,
    bias,
    mape,
    wape,
)
from sim.errors import ConfigError

WEEK = np.array([10, 12, 14, 16, 18, 30, 20], dtype=float)  # Monday .. Sunday


def weekly(weeks: int, n: int = 3) -> np.ndarray:
    return np.tile(WEEK, weeks)[:, None] * np.arange(1, n + 1)[None, :]


def test_moving_average_of_the_last_window():
    h = np.array([[1.0], [2.0], [3.0], [6.0]])
    assert MovingAverage(window=3).forecast(h).mean.tolist() == [pytest.approx(11 / 3)]


def test_seasonal_naive_repeats_last_week():
    h = weekly(3)  # the next day is a Monday
    assert SeasonalNaive().forecast(h).mean.tolist() == [10.0, 20.0, 30.0]


def test_holt_winters_learns_a_stable_weekly_pattern():
    h = weekly(8)
    f = HoltWinters(alpha=0.2, beta=0.0, gamma=0.3).forecast(h)
    np.testing.assert_allclose(f.mean, [10.0, 20.0, 30.0], rtol=1e-6)


def test_regression_recovers_weekday_and_promotion_effects():
    gen = np.random.default_rng(0)
    days = 56
    weekday = np.arange(days + 1) % 7
    promo = (gen.random(days + 1) < 0.2).astype(float)
    truth = np.tile(WEEK, 9)[: days + 1] * (1 + promo)  # promotions double demand
    h = truth[:days, None]
    promo[-1] = 1.0
    f = RegressionForecaster(ridge=1e-6).forecast(h, {"weekday": weekday, "promo": promo})
    expected = WEEK[days % 7] * 2  # tomorrow's weekday, on promotion
    assert f.mean[0] == pytest.approx(expected, rel=0.02)


def test_bad_history_is_refused():
    with pytest.raises(ConfigError, match="history"):
        MovingAverage().forecast(np.array([[1.0], [np.nan]]))


def test_accuracy_measures_by_hand():
    actual = np.array([[10.0, 0.0], [20.0, 5.0]])
    forecast = np.array([[12.0, 1.0], [18.0, 5.0]])
    # WAPE = (2 + 1 + 2 + 0) / 35; MAPE over actual > 0 = (0.2 + 0.1 + 0) / 3; bias = (36 - 35) / 35
    assert wape(actual, forecast) == pytest.approx(5 / 35)
    assert mape(actual, forecast) == pytest.approx(0.1)
    assert bias(actual, forecast) == pytest.approx(1 / 35)
    per = accuracy_by_category(actual, forecast, np.array([2, 5]))
    assert set(per) == {"all", "dairy", "ambient"}
    assert per["dairy"]["wape"] == pytest.approx(4 / 30)
