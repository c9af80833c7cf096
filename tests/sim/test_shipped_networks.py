"""Every shipped network builds to the same arrays, bit for bit (a stable digest).

The digests were taken from the original home-made validator and kept through
the move to pydantic (``sim.validation``): a change of a digest means the
shipped scenarios changed, which must be deliberate. Recompute one with
``network_digest(load_network(name))``. Recomputed once since, when ``DcSpec``
gained ``replenishment_basis`` and ``order_rate_smoothing`` (the arrays were
unchanged), for ``city_fresh`` when its DC became pull-based, and when ``NetworkSpec``
gained the study window ``study_days``/``study_warmup_days`` (the digests without those two
fields were checked equal to the previous ones: the arrays were unchanged).
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
    "city_fresh": "5eeb5b3309af0ea7c3c44114031f7016a4613efe0095c812a4446e4e0948cda3",
    "regional_chain": "c2dd5dc61f26ceab97ce0b5b8549aebf4010d85bfcdee0c3530b5378294d8674",
    "single_sku": "3c239630d73fee4a1f004e5f019909bf1e63c628c7db3225fd27584b2a7d7840",
    "yogurt_trio": "8e19272af1187f5e353728a06329dbb764462382a4832463808b29645536cb39",
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
