"""Standing replenishment rules a scenario can run by itself (no learning).

Environments that leave replenishment to a baseline (e.g. the transfer env)
and the policies package both use these, so the rule exists once.
"""

from __future__ import annotations

import numpy as np


def order_up_to(
    on_hand: np.ndarray,
    on_order: np.ndarray,
    daily_forecast: np.ndarray,
    cover_days: float,
    safety_units: float,
    shelf_life_days: np.ndarray,
    blocked: np.ndarray,
    *,
    cap_cover_at_shelf_life: bool = True,
) -> np.ndarray:
    """Order-up-to quantities per store-SKU.

    ``target = ceil(forecast × cover + safety)``, ``order = max(0, target − on hand − on order)``,
    with ``cover = min(cover_days, shelf life)`` for perishables when capped (ordering more
    than can be sold before expiry is pure waste). Blocked store-SKUs get 0.

    Args:
        on_hand, on_order, daily_forecast, blocked: [stores, skus].
        shelf_life_days: [skus] (0 = non-perishable).

    Returns:
        int64 [stores, skus] units.
    """
    cover = np.full(shelf_life_days.shape, float(cover_days))
    if cap_cover_at_shelf_life:
        cover = np.where(shelf_life_days > 0, np.minimum(cover, shelf_life_days), cover)
    target = np.ceil(daily_forecast * cover[None, :] + safety_units)
    order = np.maximum(0.0, target - on_hand - on_order).astype(np.int64)
    return np.where(blocked, 0, order)
