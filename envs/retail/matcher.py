"""Deterministic routing of per-store-SKU transfer intents.

A store-SKU releases units (surplus) or requests units (shortage). For each
SKU, pairs of stores are taken in order of road distance (nearest first; ties
by origin then destination index), within the radius and the same city, and
each pair moves ``min(release left, request left)``. One loop per store pair,
vectorised over SKUs.
"""

from __future__ import annotations

import numpy as np


def pair_order(road_km: np.ndarray, cities: np.ndarray, radius_km: float) -> np.ndarray:
    """[pairs, 2] (origin, destination) store pairs within reach, nearest first."""
    n = road_km.shape[0]
    origin, dest = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    ok = (origin != dest) & (road_km <= radius_km) & (cities[:, None] == cities[None, :])
    pairs = np.stack([origin[ok], dest[ok]], axis=1)
    order = np.lexsort((pairs[:, 1], pairs[:, 0], road_km[ok]))
    return pairs[order]


def match_transfers(
    release: np.ndarray, request: np.ndarray, pairs: np.ndarray
) -> dict[tuple[int, int], np.ndarray]:
    """Route releases to requests.

    Args:
        release: [stores, skus] units each store-SKU offers (>= 0).
        request: [stores, skus] units each store-SKU asks for (>= 0).
        pairs: from ``pair_order``.

    Returns:
        {(origin, destination): [skus] units} for pairs that move anything.
    """
    release = release.astype(np.int64, copy=True)
    request = request.astype(np.int64, copy=True)
    moves: dict[tuple[int, int], np.ndarray] = {}
    if not release.any() or not request.any():
        return moves
    for origin, dest in pairs:
        qty = np.minimum(release[origin], request[dest])
        if qty.any():
            release[origin] -= qty
            request[dest] -= qty
            moves[(int(origin), int(dest))] = qty
    return moves
