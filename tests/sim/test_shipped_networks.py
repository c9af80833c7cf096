"""Every shipped network builds to the same arrays, bit for bit (a stable digest).

The digests were taken from the original home-made validator and kept through
the move to pydantic (``sim.validation``): a change of a digest means the
shipped scenarios changed, which must be deliberate. Recompute one with
``network_digest(load_network(name))``. Recomputed once since, when ``DcSpec``
gained ``replenishment_basis`` and ``order_rate_smoothing`` (the arrays were
unchanged), and for ``city_fresh`` when its DC became pull-based.
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
    "city_fresh": "3a72ec855697e12871f65d21d29c04bc9febda5e33be62fdc2f8cf5060b17d56",
    "regional_chain": "05f00b38f2159ee689fb5509ab8e6e76984ca8907472114d71c1b706b3884f9d",
    "single_sku": "01d23ed6f90dc08f814166e1a3c64d4fb24c37033c96302b3e0779686464fe62",
    "yogurt_trio": "52dc7ffe4ee2f097715e8f1c69e1f7479e7218aecdd735c5f36a87d72716b928",
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
