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
    "city_fresh": "b47948d54af288c074b5a4127c469f721c2ed0fdf33b59a5603f57483915084a",
    "liqun_chain": "39d080b0bd2e8271a39b9194ee5af0570c0b27753acbf2cc57fc47c1cfd218b4",
    "regional_chain": "9a8da455c7132e1e73216363c4d8e5a229426a6055be711fbdd9d4b345918501",
    "single_sku": "80db34c2468b7414ba1e4379e84da6fe762fb400f68bcc12385c2eed0687365d",
    "yogurt_trio": "1d13b8109fe56800c600acf9ca2ae28d7dcb67fa085f055dea79831d499c3cab",
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
