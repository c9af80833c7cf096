"""Features: the same floats as computed row by row, with or without the ages that hold nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.features import (
    CLIP,
    N_FEATURES,
    OBSERVATION_NAMES,
    OBSERVATION_VERSION,
    ObservationContractError,
    check_observation_contract,
    compute_features,
    feature_rows,
    observation_rows,
)
from sim.store_sku import StoreSkuView


def reference_features(x: StoreSkuView) -> np.ndarray:
    """The features as first written, over ``[n, ages]`` stock."""
    n, n_ages = x.on_hand_by_age.shape
    life = x.shelf_life_days.astype(np.int64)
    scale = x.scale
    remaining = life[:, None] - np.arange(n_ages)[None, :]
    perishable = life > 0
    stock = x.on_hand_by_age
    on_hand = stock.sum(axis=1)
    exp1 = np.where(perishable, (stock * (remaining == 1)).sum(axis=1), 0)
    exp2 = np.where(perishable, (stock * (remaining == 2)).sum(axis=1), 0)
    exp3 = np.where(perishable, (stock * (remaining == 3)).sum(axis=1), 0)
    price = np.maximum(x.price, 1e-9)
    has = stock > 0
    oldest_age = np.where(has.any(axis=1), n_ages - 1 - np.argmax(has[:, ::-1], axis=1), 0)
    oldest_left = np.where(
        perishable & has.any(axis=1), (life - oldest_age) / np.maximum(life, 1), 1.0
    )
    angle = 2.0 * np.pi * x.weekday / 7.0
    lost = np.maximum(x.demand_yesterday - x.sales_yesterday, 0)
    cols = [
        on_hand / scale,
        x.on_shelf / scale,
        exp1 / scale,
        exp2 / scale,
        x.on_order / scale,
        x.arriving_1d / scale,
        x.sales_yesterday / scale,
        x.demand_yesterday / scale,
        lost / scale,
        x.forecast_daily / scale,
        np.full(n, np.sin(angle)),
        np.full(n, np.cos(angle)),
        (x.promotion_price < 1.0).astype(np.float64),
        x.price_multiplier * x.promotion_price,
        life / 30.0,
        oldest_left,
        x.dc_on_hand_per_store / scale,
        x.pack_units / scale,
        x.blocked.astype(np.float64),
        np.log1p(scale),
        (x.price - x.unit_cost) / price,
        (x.unit_cost + x.waste_cost_per_unit) / price,
        100.0 * x.holding_cost_per_day / price,
        x.lead_time_days / 7.0,
        exp3 / scale,
        np.where(perishable, x.dc_life_left_days / np.maximum(life, 1), 1.0),
        x.forecast_error / scale,
    ]
    return np.clip(np.stack(cols, axis=1), -1.0, CLIP).astype(np.float32)


def inputs(rng: np.random.Generator, n: int, n_ages: int, as_int: bool) -> StoreSkuView:
    life = rng.choice([0, 1, 2, 3, 7, 14, 30], n)
    stock = rng.poisson(rng.uniform(0, 40), (n, n_ages)) * (rng.random((n, n_ages)) < 0.6)
    zeros = np.zeros(n)
    return StoreSkuView(
        on_hand=stock.sum(axis=1).astype(float),
        on_hand_by_life=zeros[:, None],
        forecast_sd_daily=zeros,
        lead_time_days=rng.uniform(0, 4, n),
        review_days=zeros,
        facings_units=zeros,
        unit_cost=rng.uniform(0.5, 3, n),
        price=rng.uniform(0.0, 6, n),
        holding_cost_per_day=rng.uniform(0, 0.05, n),
        waste_cost_per_unit=rng.uniform(0, 0.5, n),
        dc_life_left_days=rng.integers(0, 30, n).astype(float),
        forecast_error=rng.uniform(0, 10, n),
        on_hand_by_age=stock if as_int else stock.astype(np.float64),
        on_shelf=rng.poisson(3, n).astype(float),
        on_order=rng.poisson(30, n).astype(float),
        arriving_1d=rng.poisson(1, n).astype(float),
        sales_yesterday=rng.poisson(3, n).astype(float),
        demand_yesterday=rng.poisson(4, n).astype(float),
        forecast_daily=rng.uniform(0, 100, n),
        weekday=int(rng.integers(7)),
        promotion_price=rng.choice([0.7, 1.0], n),
        price_multiplier=rng.choice([0.5, 1.0], n),
        shelf_life_days=life,
        dc_on_hand_per_store=rng.uniform(0, 100, n),
        pack_units=rng.choice([1, 6, 12], n),
        blocked=rng.random(n) < 0.1,
        scale=rng.uniform(1, 50, n),
    )


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    n_ages=st.integers(1, 16),
    as_int=st.booleans(),
)
def test_features_equal_the_row_by_row_computation(seed, n, n_ages, as_int):
    x = inputs(np.random.default_rng(seed), n, n_ages, as_int)
    want = reference_features(x)
    got = compute_features(x)
    assert got.dtype == np.float32 and got.flags.c_contiguous
    assert np.array_equal(got, want)
    assert np.array_equal(feature_rows(x), want.T)
    # the serving policy leaves out the older ages that hold nothing: same features
    held = np.flatnonzero(x.on_hand_by_age.any(axis=0))
    width = held[-1] + 1 if len(held) else 0
    trimmed = x.replace(on_hand_by_age=x.on_hand_by_age[:, :width])
    assert np.array_equal(compute_features(trimmed), want)


def test_observation_rows_append_the_step_entries():
    x = inputs(np.random.default_rng(3), 5, 4, True)
    rows = observation_rows(x, is_order_step=1.0, hour_of_day=9.0)
    assert rows.shape == (len(OBSERVATION_NAMES), 5)
    assert np.array_equal(rows[:N_FEATURES], feature_rows(x))
    assert (rows[N_FEATURES] == 1.0).all() and np.allclose(rows[N_FEATURES + 1], 9.0 / 24.0)


def test_a_view_without_the_feature_arrays_is_refused_by_name():
    x = inputs(np.random.default_rng(4), 3, 2, True).replace(scale=None)
    with pytest.raises(ValueError, match="scale"):
        compute_features(x)


def test_the_contract_accepts_its_own_names_and_version():
    check_observation_contract(list(OBSERVATION_NAMES), OBSERVATION_VERSION, where="obs")


@pytest.mark.parametrize(
    ("names", "version", "message"),
    [
        pytest.param(
            [OBSERVATION_NAMES[1], OBSERVATION_NAMES[0], *OBSERVATION_NAMES[2:]],
            OBSERVATION_VERSION,
            f"obs\\[0\\]: got '{OBSERVATION_NAMES[1]}'; allowed: '{OBSERVATION_NAMES[0]}'",
            id="swapped",
        ),
        pytest.param(
            list(OBSERVATION_NAMES[:-1]),
            OBSERVATION_VERSION,
            f"obs\\[{len(OBSERVATION_NAMES) - 1}\\]: got '\\(missing\\)'",
            id="one-short",
        ),
        pytest.param(
            [*OBSERVATION_NAMES, "extra"], OBSERVATION_VERSION, "no entry after", id="extra"
        ),
        pytest.param(list(OBSERVATION_NAMES), None, "obs.version: got None", id="no-version"),
    ],
)
def test_the_contract_names_the_first_mismatch(names, version, message):
    with pytest.raises(ObservationContractError, match=message):
        check_observation_contract(names, version, where="obs")
