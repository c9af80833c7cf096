"""Validation of agent actions: a clear error, never silent corruption of the state."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from sim.errors import ActionError


def validate_discrete(action: object, space: spaces.Discrete, what: str = "action") -> int:
    """Return the action as int, or raise ActionError naming what is allowed."""
    arr = np.asarray(action)
    if arr.shape not in ((), (1,)):
        raise ActionError(f"{what}: shape {arr.shape}; allowed: a single integer (shape ())")
    if (
        not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating))
        or arr.dtype == np.bool_
    ):
        raise ActionError(f"{what}: dtype {arr.dtype}; allowed: an integer 0..{space.n - 1}")
    value = arr.reshape(()).item()
    if isinstance(value, float) and (not np.isfinite(value) or value != int(value)):
        raise ActionError(f"{what}: {value!r}; allowed: an integer 0..{space.n - 1}")
    value = int(value)
    if not space.start <= value < space.start + space.n:
        raise ActionError(
            f"{what}: {value}; allowed: an integer {space.start}..{space.start + space.n - 1}"
        )
    return value


def _numbers_of_shape(
    action: object, shape: tuple[int, ...], what: str, allowed: str
) -> np.ndarray:
    """The action as an array of ``shape`` with a numeric (not bool) dtype, else ActionError."""
    arr = np.asarray(action)
    if arr.shape != shape:
        raise ActionError(f"{what}: shape {arr.shape}; allowed: {shape}")
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise ActionError(f"{what}: dtype {arr.dtype}; allowed: {allowed}")
    return arr


def validate_box(action: object, space: spaces.Box, what: str = "action") -> np.ndarray:
    """Return the action as a float64 array of the space's shape, or raise ActionError.

    Values outside the box or not finite are refused with the allowed range, never clipped.
    """
    arr = _numbers_of_shape(action, space.shape, what, "numbers")
    values = arr.astype(np.float64)
    bad = ~np.isfinite(values) | (values < space.low) | (values > space.high)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        where = ", ".join(map(str, idx))
        raise ActionError(
            f"{what}[{where}]: {arr[idx].item()!r}; allowed: a number in "
            f"[{float(space.low[idx]):g}, {float(space.high[idx]):g}]"
        )
    return values


def validate_multidiscrete(
    action: object, space: spaces.MultiDiscrete, what: str = "action"
) -> np.ndarray:
    """Return the action as an int64 array of the space's shape, or raise ActionError."""
    arr = _numbers_of_shape(action, space.shape, what, "integers")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise ActionError(
                f"{what}: contains NaN or infinity; allowed: integers in the space's range"
            )
        if (arr != np.round(arr)).any():
            raise ActionError(f"{what}: contains fractional values; allowed: integers")
    low = np.broadcast_to(space.start, arr.shape)
    high = np.broadcast_to(space.start + space.nvec - 1, arr.shape)
    # compare the values as given, before any cast: a huge float or uint64 would wrap in int64
    bad = (arr < low) | (arr > high)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        where = ", ".join(map(str, idx))
        given = arr[idx].item()
        given = int(given) if isinstance(given, float) else given  # floats here are whole numbers
        raise ActionError(f"{what}[{where}]: {given}; allowed: {int(low[idx])}..{int(high[idx])}")
    values = arr.astype(np.int64)
    return values
