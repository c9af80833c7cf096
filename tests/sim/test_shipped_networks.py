"""Every shipped network builds to the same arrays, bit for bit (a stable digest).

The digests were taken from the original home-made validator and kept through
the move to pydantic (``sim.validation``): a change of a digest means the
shipped scenarios changed, which must be deliberate. Recompute one with
``network_digest(load_network(name))``. Recomputed once since, when ``DcSpec``
gained ``replenishment_basis`` and ``order_rate_smoothing`` (the arrays were
unchanged), for ``city_fresh`` when its DC became pull-based, and when ``NetworkSpec``
gained the study window ``study_days``/``study_warmup_days`` (the digests without those two
fields were checked equal to the previous ones: the arrays were unchanged), and when stores
gained ``tier`` and the courier pool ``late_after_hours`` and ``tier_pairs`` (again the
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
    "city_fresh": "725630753f4e53f513591df07ab517464003010add27d57adc581547ae433c1b",
    "liqun_chain": "82c66c9a70d9c884c44f9773b2aaee4c567fabe9c55025772f1cc35a9401f76d",
    "regional_chain": "d4fc384be32fbcda26955d564f51252838ad35197218cc65e97628a7ce6eae18",
    "single_sku": "fcf1d74944fa01d12a27f8235f3e04b35c4c4744d2968c686c44a28ca26ba493",
    "yogurt_trio": "e93a219c71a44a16851c1efd7fc24bb13a0d78c38eb66840e9d47aa1fad24818",
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
