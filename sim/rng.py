"""Named random streams spawned from one episode seed.

Every source of randomness in the simulator draws from its own stream, so a
policy that changes how often couriers are called never shifts the demand that
customers bring (common random numbers). Streams that matter per day (demand,
bootstrap) are keyed by (stream, day): the demand of day ``d`` is the same
whatever happened before it.

A chain of several regions (DCs with their stores) draws each region's
randomness from the region's own streams (``for_region``, keyed by the DC's
id), so a region simulated on its own (``sim.shard``) draws exactly what it
drew inside the chain.
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.enums import Stream

_REGION_KEY = 3_000_000  # never a stream's value: region keys never meet the chain's


class RandomStreams:
    """Factory of independent ``numpy.random.Generator`` streams.

    Args:
        seed: the episode seed (a non-negative integer).
    """

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed: got {seed!r}; allowed: a non-negative integer")
        self.seed = int(seed)
        self._prefix: tuple[int, ...] = ()  # a region's streams: (_REGION_KEY, crc32 of its id)
        self._generators: dict[Stream, np.random.Generator] = {}

    def for_region(self, region_id: str) -> RandomStreams:
        """The streams of one region of the chain, named by its DC's id: independent of
        the chain's own streams and of every other region's, the same in any network
        that holds the region."""
        child = RandomStreams(self.seed)
        child._prefix = (_REGION_KEY, zlib.crc32(region_id.encode()))
        return child

    def _sequence(self, *key: int) -> np.random.SeedSequence:
        spawn_key = self._prefix + tuple(int(k) for k in key)
        return np.random.SeedSequence(entropy=self.seed, spawn_key=spawn_key)

    def stream(self, name: Stream) -> np.random.Generator:
        """The persistent generator of a named stream (same object on every call)."""
        gen = self._generators.get(name)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self._sequence(int(name))))
            self._generators[name] = gen
        return gen

    def for_day(self, name: Stream, day: int) -> np.random.Generator:
        """A fresh generator for (stream, day): independent of every other day's draws."""
        return np.random.Generator(np.random.PCG64(self._sequence(int(name), 1_000_000 + int(day))))

    def for_block(self, name: Stream, block: int) -> np.random.Generator:
        """A fresh generator for (stream, block of days), for sources that draw many i.i.d.
        days at once: seeding a generator costs about 60 draws, so a per-day generator
        would dominate a one-SKU day. Keys never meet ``for_day``'s."""
        return np.random.Generator(
            np.random.PCG64(self._sequence(int(name), 2_000_000 + int(block)))
        )
