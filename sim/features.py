"""The observation contract: what a shared per-(store, SKU) policy sees.

One numpy-only module at the ground floor, so the environments that train a
policy and the serving module that runs it compute the same numbers:

* ``OBSERVATION_NAMES``: the ordered names of the observation entries and
  ``OBSERVATION_VERSION``, a string bumped whenever a name, its order or its
  meaning changes. The export manifest records both; serving refuses a policy
  whose names, order or version differ (``check_observation_contract``).
* ``feature_rows`` / ``compute_features``: the one function from a
  ``StoreSkuView`` to the store-SKU features; ``observation_rows`` adds the
  step entries (``STEP_FEATURES``) the SKU-agent env appends.

Quantities are divided by the store-SKU's ``scale`` (its expected daily demand
at the start, at least 1) so one policy fits fast and slow movers; every
feature is clipped to ``[-1, CLIP]`` (documented in FEATURES).
"""

from __future__ import annotations

import numpy as np

from sim.errors import FieldError
from sim.store_sku import StoreSkuView, life_left_by_age

CLIP = 50.0

# name, meaning (units before scaling)
FEATURES: tuple[tuple[str, str], ...] = (
    ("on_hand", "units on hand / scale"),
    ("on_shelf", "units on the shelf / scale"),
    ("expiring_1d", "units with 1 day of life left / scale"),
    ("expiring_2d", "units with 2 days of life left / scale"),
    ("on_order", "units ordered, not received / scale"),
    ("arriving_1d", "units arriving today or tomorrow / scale"),
    ("sales_yesterday", "units sold yesterday / scale"),
    ("demand_yesterday", "units demanded yesterday (sold + lost) / scale"),
    ("lost_yesterday", "units lost yesterday / scale"),
    ("forecast", "exponentially smoothed daily demand / scale"),
    ("dow_sin", "sin(2π weekday / 7)"),
    ("dow_cos", "cos(2π weekday / 7)"),
    ("promo", "1 if on promotion today"),
    ("price", "price paid / regular price"),
    ("shelf_life", "shelf life days / 30 (0 = non-perishable)"),
    ("oldest_life_left", "life left of the oldest unit / shelf life (1 if none or non-perishable)"),
    ("dc_on_hand", "units at the DC / (scale × stores it serves)"),
    ("case_pack", "units per case / scale"),
    ("blocked", "1 if the store may not order the SKU"),
    ("log_scale", "log(1 + scale)"),
    # economics (version 2): what a unit earns and costs, how long it takes to come, how sure
    ("margin", "(price - unit cost) / price"),
    ("waste_cost", "(unit cost + disposal cost) / price: what an expired unit loses"),
    ("holding_cost", "holding cost per day / price × 100"),
    ("lead_time", "days from ordering to the units on the shelf / 7"),
    ("expiring_3d", "units with 3 days of life left / scale"),
    (
        "dc_life_left",
        "life left of the DC's oldest unit / shelf life (1 if none or non-perishable)",
    ),
    ("forecast_error", "smoothed |demand - forecast| / scale"),
)
N_FEATURES = len(FEATURES)


# entries the SKU-agent env appends after FEATURES (a served policy sees the daily order step)
STEP_FEATURES: tuple[tuple[str, str], ...] = (
    ("is_order_step", "1 at the daily ordering step (always 1 when served)"),
    ("hour_of_day", "hour of the decision / 24"),
)
OBSERVATION: tuple[tuple[str, str], ...] = (*FEATURES, *STEP_FEATURES)
OBSERVATION_NAMES: tuple[str, ...] = tuple(name for name, _ in OBSERVATION)
N_OBSERVATION = len(OBSERVATION)
OBSERVATION_VERSION = "2"  # 2: economics (margin, waste and holding cost, lead time, ...)

_NEEDED = (
    "on_hand_by_age", "on_shelf", "arriving_1d", "sales_yesterday", "demand_yesterday",
    "promotion_price", "price_multiplier", "dc_on_hand_per_store", "scale", "unit_cost",
    "price", "waste_cost_per_unit", "holding_cost_per_day", "lead_time_days",
    "dc_life_left_days", "forecast_error",
)  # fmt: skip


class ObservationContractError(FieldError):
    """A policy was trained on another observation than this code computes."""


def check_observation_contract(names: object, version: object, *, where: str) -> None:
    """Refuse observation names or a version other than this code's, naming the first mismatch.

    Raises:
        ObservationContractError: ``where`` plus the first differing entry and what is allowed.
    """
    if version != OBSERVATION_VERSION:
        raise ObservationContractError(
            f"{where}.version", version, f"observation contract version {OBSERVATION_VERSION!r}"
        )
    got = list(names) if isinstance(names, (list, tuple)) else names
    if not isinstance(got, list):
        raise ObservationContractError(where, got, f"the list {list(OBSERVATION_NAMES)}")
    for i, expected in enumerate(OBSERVATION_NAMES):
        if i >= len(got) or got[i] != expected:
            have = got[i] if i < len(got) else "(missing)"
            raise ObservationContractError(f"{where}[{i}]", have, repr(expected))
    if len(got) > N_OBSERVATION:
        raise ObservationContractError(
            f"{where}[{N_OBSERVATION}]", got[N_OBSERVATION], f"no entry after {N_OBSERVATION}"
        )


def compute_features(x: StoreSkuView) -> np.ndarray:
    """[n, N_FEATURES] float32."""
    return np.ascontiguousarray(feature_rows(x).T)


def observation_rows(
    x: StoreSkuView, *, is_order_step: float, hour_of_day: float, out: np.ndarray | None = None
) -> np.ndarray:
    """[N_OBSERVATION, n] float32: the features, then the step entries (``STEP_FEATURES``)."""
    if out is None:
        out = np.empty((N_OBSERVATION, x.n), dtype=np.float32)
    feature_rows(x, out=out[:N_FEATURES])
    out[N_FEATURES] = is_order_step
    out[N_FEATURES + 1] = hour_of_day / 24.0
    return out


def observations(
    x: StoreSkuView, *, is_order_step: float, hour_of_day: float, rows: np.ndarray | None = None
) -> np.ndarray:
    """[n or len(rows), N_OBSERVATION] float32: one observation per store-SKU (``rows`` only)."""
    feats = compute_features(x)
    if rows is not None:
        feats = feats[rows]
    out = np.empty((len(feats), N_OBSERVATION), dtype=np.float32)
    out[:, :N_FEATURES] = feats
    out[:, N_FEATURES] = is_order_step
    out[:, N_FEATURES + 1] = hour_of_day / 24.0
    return out


def feature_rows(x: StoreSkuView, out: np.ndarray | None = None) -> np.ndarray:
    """[N_FEATURES, n] float32: ``compute_features`` with one row per feature.

    Works on the stock transposed to ``[ages, n]``, so the sums and maxima over
    a store-SKU's few ages are vector operations across the store-SKUs. Stock is
    in whole units, so each sum is exact, whatever its order. Each feature is
    rounded to float32 and then clipped: the same as clipping first, since the
    bounds are float32 numbers and rounding keeps the order.

    Args:
        out: a [N_FEATURES, n] float32 array to write into (default: a new one).
    """
    missing = [name for name in _NEEDED if getattr(x, name) is None]
    if missing:
        raise ValueError(f"observation features need {missing} in the store-SKU view")
    n, n_ages = x.on_hand_by_age.shape
    life = x.shelf_life_days.astype(np.int64)
    scale = x.scale
    ages = np.arange(n_ages)[:, None]
    remaining = life_left_by_age(life, n_ages).T  # [ages, n] life left of each age bucket
    perishable = life > 0
    stock = np.ascontiguousarray(x.on_hand_by_age.T)  # [ages, n]
    on_hand = stock.sum(axis=0)
    exp1 = np.where(perishable, (stock * (remaining == 1)).sum(axis=0), 0)
    exp2 = np.where(perishable, (stock * (remaining == 2)).sum(axis=0), 0)
    exp3 = np.where(perishable, (stock * (remaining == 3)).sum(axis=0), 0)
    price = np.maximum(x.price, 1e-9)  # a free item: its ratios stay finite (then clipped)
    has = stock > 0
    oldest_age = (has * ages).max(axis=0, initial=0)  # 0 when nothing is held
    oldest_left = np.where(
        perishable & has.any(axis=0), (life - oldest_age) / np.maximum(life, 1), 1.0
    )
    angle = 2.0 * np.pi * x.weekday / 7.0
    lost = np.maximum(x.demand_yesterday - x.sales_yesterday, 0)
    rows = [
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
    if out is None:
        out = np.empty((N_FEATURES, n), dtype=np.float32)
    for i, row in enumerate(rows):
        out[i] = row
    return np.clip(out, -1.0, CLIP, out=out)
