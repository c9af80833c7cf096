"""Intervals and win shares by hand."""

import pytest

from experiments.stats import mean_ci, paired_difference, win_shares


def test_t_interval_by_hand():
    # mean 2, sd 1, n 3: t(0.975, 2) = 4.3027 -> half width 4.3027 / sqrt(3) = 2.4841
    ci = mean_ci([1.0, 2.0, 3.0])
    assert ci["mean"] == 2.0
    assert ci["ci_high"] - 2.0 == pytest.approx(2.4841, abs=1e-4)


def test_paired_difference_removes_the_shared_noise():
    a = [10.0, 20.0, 30.0]
    b = [9.0, 19.0, 29.0]
    d = paired_difference(a, b)
    assert d["mean"] == 1.0 and d["ci_low"] == d["ci_high"] == 1.0


def test_win_shares_split_ties():
    shares = win_shares({"x": [1.0, 5.0, 2.0], "y": [2.0, 5.0, 1.0]})
    assert shares == {"x": pytest.approx(0.5), "y": pytest.approx(0.5)}
