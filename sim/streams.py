"""Named random streams: one generator per (root seed, replication, name).

Every random draw in the model comes from a stream named after the mechanism
that uses it.  A stream's seed is derived with :class:`numpy.random.SeedSequence`
from the root seed, the replication index and a stable hash of the name, never
from the order in which streams are created, so adding a stream leaves the
numbers of every existing stream unchanged, and two scenarios run with the same
seed share common random numbers mechanism by mechanism.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np

_BLOCK = 4096


def name_key(name: str) -> tuple[int, int]:
    """Two 32-bit words of the BLAKE2b hash of ``name``: stable across runs and machines."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:], "little")


def stream_seed(root_seed: int, replication: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream ``name`` in replication ``replication`` of ``root_seed``."""
    if root_seed < 0 or replication < 0:
        raise ValueError("root seed and replication index must be non-negative")
    return np.random.SeedSequence(entropy=root_seed, spawn_key=(replication, *name_key(name)))


class BufferedDraws:
    """Standard variates of one kind drawn from a stream in blocks, handed out one by one.

    Drawing a block of 4096 at a time and consuming them in order gives the same
    sequence as long as the consumption order is the same, at a fraction of the
    cost of a scalar numpy call per event.
    """

    __slots__ = ("_block", "_gen", "_i", "_kind", "_n")

    def __init__(self, generator: np.random.Generator, kind: str) -> None:
        if kind not in ("exponential", "uniform", "normal"):
            raise ValueError(f"unknown variate kind {kind!r}")
        self._gen = generator
        self._kind = kind
        self._block: list[float] = []
        self._i = 0
        self._n = 0

    def _refill(self) -> None:
        if self._kind == "exponential":
            arr = self._gen.standard_exponential(_BLOCK)
        elif self._kind == "uniform":
            arr = self._gen.random(_BLOCK)
        else:
            arr = self._gen.standard_normal(_BLOCK)
        self._block = arr.tolist()
        self._i = 0
        self._n = _BLOCK

    def __call__(self) -> float:
        """The next variate."""
        if self._i >= self._n:
            self._refill()
        value = self._block[self._i]
        self._i += 1
        return value


class Streams:
    """The named random streams of one replication of one run."""

    def __init__(self, root_seed: int, replication: int = 0) -> None:
        self.root_seed = int(root_seed)
        self.replication = int(replication)
        self._generators: dict[str, np.random.Generator] = {}
        self._buffers: dict[str, BufferedDraws] = {}

    def generator(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (created on first use, then reused)."""
        gen = self._generators.get(name)
        if gen is None:
            gen = np.random.Generator(
                np.random.PCG64(stream_seed(self.root_seed, self.replication, name))
            )
            self._generators[name] = gen
        return gen

    def draws(self, name: str, kind: str) -> BufferedDraws:
        """Buffered standard variates (``exponential``, ``uniform`` or ``normal``) of stream
        ``name``.  A stream is used either through :meth:`generator` or through one
        buffered kind, never both."""
        key = f"{name}#{kind}"
        buf = self._buffers.get(key)
        if buf is None:
            if name in self._generators:
                raise ValueError(f"stream {name!r} is already used directly")
            buf = BufferedDraws(self.generator(name), kind)
            self._buffers[key] = buf
        return buf

    @property
    def names(self) -> list[str]:
        """Names of the streams used so far, sorted."""
        return sorted(self._generators)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)
