"""Every shipped network builds to the same arrays, bit for bit (a stable digest).

The digests were taken from the original home-made validator and kept through
the move to pydantic (``sim.validation``): a change of a digest means the
shipped scenarios changed, which must be deliberate. Recompute one with
``network_digest(load_network(name))``. Recomputed once since, when ``DcSpec``
gained ``replenishment_basis`` and ``order_rate_smoothing`` (the arrays were
unchanged), for ``city_fresh`` when its DC became pull-based, and when ``NetworkSpec``
gained the study window ``study_days``/``study_warmup_days`` (the digests without those two
fields were checked equal to the previous ones: the arrays were unchanged), and when stores
gained ``tier`` and the courier pool ``late_after_hours`` and ``tier_pairs``, and when DCs
gained ``waves`` (each time the digests without the new fields were checked equal to the
previous ones).
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
    "city_fresh": "40a5d3a38bd4a126f50f797eaa97b7910259a479e8e4ed3ec95240aa0180b860",
    "liqun_chain": "94a5227ce2f4eecd0a7572689bd978da2fb486d6e93df89d8d71af5a8476ebec",
    "regional_chain": "a73a007e6a5dfe182de0a6bcc2e063c422d3b9220fc25857486ee876141fab34",
    "single_sku": "0bf309043b625346651c597e99101a87b2a952a7af40579748fdae12915ed31b",
    "yogurt_trio": "5213fdd7129fcdee5cd7dff463af57c027d5905ba6d2d2198583b123f9065f33",
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
