"""Every shipped network builds to the same arrays, bit for bit (a stable digest).

The digests were taken from the original home-made validator and kept through
the move to pydantic (``sim.validation``): a change of a digest means the
shipped scenarios changed, which must be deliberate. Recompute one with
``network_digest(load_network(name))``.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from typing import Any

import numpy as np
import pytest

from sim.scenario import list_scenarios, load_network
from sim.spec import NetworkSpec

DIGESTS = {
    "city_fresh": "49911ebcaaeed51b6cd13bc48b1eecc8d6da59d3b6d33074b9473a51156f3c5b",
    "regional_chain": "e9830edb280ea03228615e0c266cdcbf6a3d917d3a41316a9963e9847eee819a",
    "single_sku": "498857f083f66db7f9f25877527327501c63c76e64a86d12e183609bcb3e5fc7",
    "yogurt_trio": "259dd4c97aa0e36cd02deab2b034960850c213a5ea6dd9b8153f0f94c3dab674",
}


def _feed(h: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        h.update(f"array {value.dtype} {value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(type(value).__name__.encode())
        for f in dataclasses.fields(value):
            h.update(f.name.encode())
            _feed(h, getattr(value, f.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            _feed(h, key)
            _feed(h, item)
    elif isinstance(value, list | tuple):
        h.update(f"{type(value).__name__} {len(value)}".encode())
        for item in value:
            _feed(h, item)
    elif isinstance(value, enum.Enum):
        h.update(f"{type(value).__name__}.{value.name}".encode())
    else:
        h.update(f"{type(value).__name__} {value!r}".encode())


def network_digest(network: NetworkSpec) -> str:
    """sha256 over every field of the network: values, dtypes, shapes and Python types."""
    h = hashlib.sha256()
    _feed(h, network)
    return h.hexdigest()


def test_every_shipped_network_has_a_digest() -> None:
    assert sorted(DIGESTS) == list_scenarios()


@pytest.mark.parametrize("name", sorted(DIGESTS))
def test_shipped_network_is_unchanged(name: str) -> None:
    assert network_digest(load_network(name)) == DIGESTS[name]
