"""Local features of one store-SKU: what a shared per-(store, SKU) policy sees.

A pure function of arrays, so the serving module can compute the same
features from a store's state table. Quantities are divided by the store-SKU's
``scale`` (its expected daily demand at the start, at least 1) so one policy
fits fast and slow movers; every feature is clipped to ``[-1, CLIP]``
(documented in FEATURES).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
)
N_FEATURES = len(FEATURES)


@dataclass(frozen=True)
class FeatureInputs:
    """Arrays behind the features; all [n] over the store-SKUs described.

    ``on_hand_by_age`` is [n, ages] (age 0 freshest).
    """

    on_hand_by_age: np.ndarray
    on_shelf: np.ndarray
    on_order: np.ndarray
    arriving_1d: np.ndarray
    sales_yesterday: np.ndarray
    demand_yesterday: np.ndarray
    forecast: np.ndarray
    weekday: int
    promotion_price: np.ndarray
    price_multiplier: np.ndarray
    shelf_life_days: np.ndarray
    dc_on_hand_per_store: np.ndarray
    case_pack: np.ndarray
    blocked: np.ndarray
    scale: np.ndarray


def compute_features(x: FeatureInputs) -> np.ndarray:
    """[n, N_FEATURES] float32."""
    return np.ascontiguousarray(feature_rows(x).T)


def feature_rows(x: FeatureInputs, out: np.ndarray | None = None) -> np.ndarray:
    """[N_FEATURES, n] float32: ``compute_features`` with one row per feature.

    Works on the stock transposed to ``[ages, n]``, so the sums and maxima over
    a store-SKU's few ages are vector operations across the store-SKUs. Stock is
    in whole units, so each sum is exact, whatever its order. Each feature is
    rounded to float32 and then clipped: the same as clipping first, since the
    bounds are float32 numbers and rounding keeps the order.

    Args:
        out: a [N_FEATURES, n] float32 array to write into (default: a new one).
    """
    n, n_ages = x.on_hand_by_age.shape
    life = x.shelf_life_days.astype(np.int64)
    scale = x.scale
    ages = np.arange(n_ages)[:, None]
    remaining = life[None, :] - ages  # [ages, n] life left of each age bucket (perishables)
    perishable = life > 0
    stock = np.ascontiguousarray(x.on_hand_by_age.T)  # [ages, n]
    on_hand = stock.sum(axis=0)
    exp1 = np.where(perishable, (stock * (remaining == 1)).sum(axis=0), 0)
    exp2 = np.where(perishable, (stock * (remaining == 2)).sum(axis=0), 0)
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
        x.forecast / scale,
        np.full(n, np.sin(angle)),
        np.full(n, np.cos(angle)),
        (x.promotion_price < 1.0).astype(np.float64),
        x.price_multiplier * x.promotion_price,
        life / 30.0,
        oldest_left,
        x.dc_on_hand_per_store / scale,
        x.case_pack / scale,
        x.blocked.astype(np.float64),
        np.log1p(scale),
    ]
    if out is None:
        out = np.empty((N_FEATURES, n), dtype=np.float32)
    for i, row in enumerate(rows):
        out[i] = row
    return np.clip(out, -1.0, CLIP, out=out)
