"""A store-to-store transfer request and how it is split into courier trips (numpy only).

Drivers (rules, envs, the serving planner) build ``Transfer`` objects without
importing the simulator's processes; ``Simulation.submit_transfers`` sends them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Transfer:
    """A request to move units from one store to another.

    Attributes:
        origin: store index that gives.
        destination: store index that receives.
        units: [skus] non-negative integer units per SKU.
    """

    origin: int
    destination: int
    units: np.ndarray


def split_into_trips(units: np.ndarray, capacity: int) -> list[np.ndarray]:
    """Split a [skus] vector into loads of at most ``capacity`` units, in SKU order."""
    total = int(units.sum())
    hi = np.cumsum(units)
    lo = hi - units
    trips = []
    for start in range(0, total, capacity):
        load = np.clip(np.minimum(hi, start + capacity) - np.maximum(lo, start), 0, None)
        trips.append(load.astype(np.int64))
    return trips
