"""Named random streams for common random numbers (CRN).

Every random decision draws a fixed block of uniforms with `Streams.event_uniforms(purpose,
student_id, index, n)`: a counter-based Philox generator per purpose, keyed from the replication
`SeedSequence` with a stable key (a CRC of the purpose name, never Python's salted `hash()`),
with its counter set to (student, event index). A block depends only on the replication seed,
the purpose, the student and the index, never on what was drawn before or on which other
purposes exist, so two scenarios that differ in structure still give each student the same
setbacks and the same uniforms for each decision about each setback.

The peer network draws for pairs of students in bulk: `Streams.keyed_uniforms(purpose, a, b,
slot)` hashes each key pair (a, b) with a per-purpose key (a counter-based SplitMix64 finaliser,
vectorised in numpy), so a pair's draw depends only on the seed, the purpose, the pair and the
slot, never on which other pairs exist or in what order they are drawn.
"""

from __future__ import annotations

import zlib

import numpy as np

# Last spawn-key element of every purpose's Philox key. Changing it changes every number drawn.
EVENT_MARK = 1
KEYED_MARK = 2  # ... and of every purpose's key for `keyed_uniforms`
_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)  # SplitMix64's increment: one per slot
_MIX = (_U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB))
_KEY_BITS = 32  # a and b must fit in 32 bits each


def purpose_key(purpose: str) -> int:
    """A stable 32-bit key for a purpose name."""
    return zlib.crc32(purpose.encode("utf-8"))


class Streams:
    """The random numbers of one replication, as blocks of uniforms per event."""

    def __init__(self, seed: np.random.SeedSequence | int) -> None:
        if not isinstance(seed, np.random.SeedSequence):
            seed = np.random.SeedSequence(seed)
        self.seed = seed
        self._events: dict[str, tuple] = {}
        self._keys: dict[str, np.uint64] = {}

    def _child(self, *key: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(
            self.seed.entropy, spawn_key=tuple(self.seed.spawn_key) + key
        )

    def event_uniforms(self, purpose: str, student_id: int, index: int,
                       n: int = 16) -> np.ndarray:
        """`n` uniforms for the `index`-th event of one purpose of one student.

        A counter-based Philox generator per purpose, keyed from the replication seed, with the
        counter set to (student, index): each event gets its own block of numbers, independent
        of every other event and of the order in which events happen, at a fifth of the cost of
        a new seeded generator per event.
        """
        entry = self._events.get(purpose)
        if entry is None:
            key = self._child(purpose_key(purpose), EVENT_MARK).generate_state(2, np.uint64)
            bit = np.random.Philox(key=key)
            entry = self._events[purpose] = (bit, np.random.Generator(bit), bit.state)
        bit, gen, state = entry
        state["state"]["counter"] = np.array([0, 0, student_id, index], dtype=np.uint64)
        state["buffer_pos"], state["has_uint32"] = 4, 0  # discard any buffered output
        bit.state = state
        return gen.random(n)


    def keyed_uniforms(self, purpose: str, a: np.ndarray | int, b: np.ndarray | int,
                       slot: int = 0) -> np.ndarray:
        """Uniforms in (0, 1), one for each key pair (a[k], b[k]) (non-negative, < 2**32).

        Stateless and vectorised: each value is SplitMix64's bijective finaliser applied to
        `(a << 32 | b) ^ key(purpose)`, then again after adding the slot's constant. A value
        depends only on (replication seed, purpose, a, b, slot), so the pairs of a network get
        the same draws whichever other pairs exist, in any order and in any chunking.
        """
        key = self._keys.get(purpose)
        if key is None:
            state = self._child(purpose_key(purpose), KEYED_MARK).generate_state(1, np.uint64)
            key = self._keys[purpose] = _U64(state[0])
        a, b = np.asarray(a), np.asarray(b)
        if (a.size and int(a.min()) < 0) or (b.size and int(b.min()) < 0):
            raise ValueError("keyed_uniforms: keys must be non-negative")
        if (a.size and int(a.max()) >> _KEY_BITS) or (b.size and int(b.max()) >> _KEY_BITS):
            raise ValueError("keyed_uniforms: keys must be below 2**32")
        x = (a.astype(_U64) << _U64(_KEY_BITS)) | b.astype(_U64)
        x = _mix(x ^ key)
        with np.errstate(over="ignore"):
            x = _mix(x + _GOLDEN * _U64(slot + 1))
        # the top 52 bits k give (2k + 1) / 2**53: exact, strictly inside (0, 1)
        return np.ldexp((x >> _U64(12)).astype(np.float64) * 2 + 1, -53)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (a bijection of 64-bit integers), wrapping on overflow."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> _U64(30))) * _MIX[0]
        x = (x ^ (x >> _U64(27))) * _MIX[1]
    return x ^ (x >> _U64(31))
