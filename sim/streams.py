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
from collections.abc import Iterator, Sequence
from typing import Any

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
        self._counters: dict[str, CounterStream] = {}

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

    def counter(self, name: str) -> CounterStream:
        """The counter-based stream ``name`` (see :class:`CounterStream`)."""
        stream = self._counters.get(name)
        if stream is None:
            if name in self._generators:
                raise ValueError(f"stream {name!r} is already used sequentially")
            stream = CounterStream(self.root_seed, self.replication, name)
            self._counters[name] = stream
        return stream

    @property
    def names(self) -> list[str]:
        """Names of the streams used so far, sorted."""
        return sorted({*self._generators, *self._counters})

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_ODD = np.uint64(0xD1B54A32D192ED03)


_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser, vectorised (uint64 arithmetic wraps modulo 2**64); works in
    place on ``x``, a fresh array of the caller's."""
    x ^= x >> _S30
    x *= _MIX1
    x ^= x >> _S27
    x *= _MIX2
    x ^= x >> _S31
    return x


def _keyed_bits(k1: Any, k2: Any, entity: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """The 64 bits of (entity, counter) under the stream key (k1, k2); broadcasts, so one
    call serves one stream (scalar keys) or several (a column of keys).  Works in place on
    its own intermediate arrays (a day's batch is larger than the first-level cache, so
    every fresh array costs misses), never on ``entity`` or ``counter``."""
    x = _splitmix(k1 ^ (entity * _GOLDEN))
    salt = counter * _ODD
    salt += _GOLDEN
    x ^= k2
    x ^= salt
    return _splitmix(x)


def _unit_interval(bits: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) from the top 53 of 64 bits (shifts ``bits``, a fresh array of the
    caller's, in place)."""
    bits >>= _S11
    uniforms = bits.astype(np.float64)
    uniforms *= 2.0**-53
    return uniforms


class CounterStream:
    """A counter-based named stream: the draw for (entity, counter) is a pure function of
    (root seed, replication, stream name, entity, counter).

    The i-th visit of customer c gets the same numbers in every scenario run with the
    same seed, however many other customers there are or in what order things happen:
    common random numbers at the level of the individual, not of the event sequence.
    The key comes from the stream's :class:`~numpy.random.SeedSequence`, so streams stay
    independent by name like the sequential ones.
    """

    def __init__(self, root_seed: int, replication: int, name: str) -> None:
        self.name = name
        state = stream_seed(root_seed, replication, name).generate_state(2, np.uint64)
        self._k1, self._k2 = state[0], state[1]

    def bits(self, entity: np.ndarray | int, counter: np.ndarray | int) -> np.ndarray:
        """64 random bits per (entity, counter) pair."""
        with np.errstate(over="ignore"):
            return self._bits(entity, counter)

    def _bits(self, entity: np.ndarray | int, counter: np.ndarray | int) -> np.ndarray:
        """:meth:`bits` without its errstate: the caller holds one (entering one costs more
        than the arithmetic for the few visits of a simulated day)."""
        return _keyed_bits(self._k1, self._k2, np.asarray(entity, dtype=np.uint64),
                           np.asarray(counter, dtype=np.uint64))

    def uniform(
        self, entity: np.ndarray | int, counter: np.ndarray | int, lane: int = 0
    ) -> np.ndarray:
        """Uniforms in [0, 1); ``lane`` selects an independent sub-draw of the same pair."""
        with np.errstate(over="ignore"):
            c = np.asarray(counter, dtype=np.uint64) * np.uint64(8) + np.uint64(lane)
            return _unit_interval(self._bits(entity, c))

    def exponential(self, entity: np.ndarray | int, counter: np.ndarray | int) -> np.ndarray:
        """Standard exponential variates (inverse transform)."""
        return -np.log1p(-self.uniform(entity, counter))

    def normal(self, entity: np.ndarray | int, counter: np.ndarray | int) -> np.ndarray:
        """Standard normal variates (Box-Muller on two lanes)."""
        u1 = self.uniform(entity, counter, 0)
        u2 = self.uniform(entity, counter, 1)
        return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)


class CounterBatch:
    """Several counter-based streams drawn together for the same (entity, counter) pairs.

    ``kinds`` pairs each stream with the kind of its variate (``"uniform"``,
    ``"exponential"`` or ``"normal"``).  :meth:`draw` gives exactly the numbers that
    each stream's own method would, but computes the bits of all of them in one
    vectorised pass: per simulated day the visits are few, and a numpy call per
    stream would cost more than the arithmetic.
    """

    def __init__(self, kinds: Sequence[tuple[CounterStream, str]]) -> None:
        k1: list[np.uint64] = []
        k2: list[np.uint64] = []
        lanes: list[int] = []
        self._rows: list[tuple[str, int]] = []
        for stream, kind in kinds:
            if kind not in ("uniform", "exponential", "normal"):
                raise ValueError(f"unknown kind {kind!r}: uniform, exponential or normal")
            first = len(lanes)
            for lane in range(2 if kind == "normal" else 1):
                k1.append(stream._k1)
                k2.append(stream._k2)
                lanes.append(lane)
            self._rows.append((kind, first))
        self._k1 = np.array(k1, dtype=np.uint64)[:, None]
        self._k2 = np.array(k2, dtype=np.uint64)[:, None]
        self._lane = np.array(lanes, dtype=np.uint64)[:, None]
        self._groups = {
            kind: (np.array([j for j, (k, _) in enumerate(self._rows) if k == kind]),
                   np.array([r for k, r in self._rows if k == kind]))
            for kind in {k for k, _ in self._rows}
        }

    def uniforms(self, entity: np.ndarray, counter: np.ndarray) -> np.ndarray:
        """The uniforms of every lane of every stream: one row per lane."""
        with np.errstate(over="ignore"):
            e = np.asarray(entity, dtype=np.uint64)[None, :]
            c = np.asarray(counter, dtype=np.uint64)[None, :] * np.uint64(8) + self._lane
            return _unit_interval(_keyed_bits(self._k1, self._k2, e, c))

    def draw(self, entity: np.ndarray, counter: np.ndarray) -> np.ndarray:
        """The variates, one row per (entity, counter) pair and one column per stream."""
        u = self.uniforms(entity, counter)
        out = np.empty((len(self._rows), u.shape[1]))
        for kind, (columns, rows) in self._groups.items():
            if kind == "uniform":
                out[columns] = u[rows]
            elif kind == "exponential":
                out[columns] = -np.log1p(-u[rows])
            else:
                out[columns] = np.sqrt(-2.0 * np.log1p(-u[rows])) * np.cos(
                    2.0 * np.pi * u[rows + 1])
        return out.T
