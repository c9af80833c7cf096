"""Every shipped network builds to the same arrays, bit for bit (a stable digest).

The digests were taken from the original home-made validator and kept through
the move to pydantic (``sim.validation``): a change of a digest means the
shipped scenarios changed, which must be deliberate. Recompute one with
``network_digest(load_network(name))``. Recomputed once since, when ``DcSpec``
gained ``replenishment_basis`` and ``order_rate_smoothing`` (the arrays were
unchanged), for ``city_fresh`` when its DC became pull-based, and when ``NetworkSpec``
gained the study window ``study_days``/``study_warmup_days`` (the digests without those two
fields were checked equal to the previous ones: the arrays were unchanged), and when stores
gained ``tier`` and the courier pool ``late_after_hours`` and ``tier_pairs``, when DCs
gained ``waves``, and when SKUs gained ``supplier_lead_time_days`` (each time the
digests without the new fields were checked equal to the previous ones).
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
    "city_fresh": "f06e38d8265a0666b0e95040d2c2fa7d53e2dbb849e6821f012fc97a186aa0c9",
    "liqun_chain": "249d8509ce0bead89fc5568c1e2775b91e2dfc9d2311b686fc0bab1f072646e8",
    "regional_chain": "6961ef8a9cedc1dc74b74abe9ed234955711f8460847e9af2268edb56b45c8fc",
    "single_sku": "f3f5055c1e49f088df3a174e816e494857ba22151fe45940fe088d9ff71457be",
    "yogurt_trio": "0c1e41404dd58a1da75f6bfde87c24dd362a82ed2330f58b586a170bec824fee",
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
