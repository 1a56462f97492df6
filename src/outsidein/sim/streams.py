"""Independent, reproducible random streams.

Every part of the simulation draws from its own stream named by the seed and a few keys
(a stage name, a month, a chunk), so changing how one table is generated never shifts the
random numbers of another, and the output depends only on the seed and parameters.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _key(part: int | str) -> int:
    if isinstance(part, int):
        return part
    return int.from_bytes(hashlib.blake2b(part.encode(), digest_size=8).digest(), "little")


def stream(seed: int, *keys: int | str) -> np.random.Generator:
    """A generator for ``keys`` under ``seed``; the same arguments give the same numbers."""
    entropy = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF, *(_key(k) for k in keys)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
