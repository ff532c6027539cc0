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

import ctypes
import math
import zlib
from collections.abc import Sequence

import numpy as np

# Last spawn-key element of every purpose's Philox key. Changing it changes every number drawn.
EVENT_MARK = 1
KEYED_MARK = 2  # ... and of every purpose's key for `keyed_uniforms`
_U64 = np.uint64
_GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64's increment: one per slot
_MIX = (_U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB))
_KEY_BITS = 32  # a and b must fit in 32 bits each
_MASK64 = (1 << 64) - 1
MANY_CHUNK = 4096  # students a pass of `event_uniforms_many`
_TO_UNIT = math.ldexp(1.0, -53)  # a double from the top 53 bits, as numpy does


def purpose_key(purpose: str) -> int:
    """A stable 32-bit key for a purpose name."""
    return zlib.crc32(purpose.encode("utf-8"))


class Streams:
    """The random numbers of one replication, as blocks of uniforms per event."""

    def __init__(self, seed: np.random.SeedSequence | int) -> None:
        if not isinstance(seed, np.random.SeedSequence):
            seed = np.random.SeedSequence(seed)
        self.seed = seed
        self._events: dict[str, _EventStream] = {}
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
        return self._stream(purpose).block(student_id, index, n)

    def event_uniform(self, purpose: str, student_id: int, index: int) -> float:
        """`event_uniforms(purpose, student_id, index)[0]`, at half the cost: a setback that
        does not become an episode needs only this one."""
        return self._stream(purpose).first(student_id, index)

    def _stream(self, purpose: str) -> _EventStream:
        stream = self._events.get(purpose)
        if stream is None:
            key = self._child(purpose_key(purpose), EVENT_MARK).generate_state(2, np.uint64)
            stream = self._events[purpose] = _EventStream(key)
        return stream

    def event_uniforms_many(self, purpose: str, students: np.ndarray, index: int,
                            n: int = 16, dtype: type = np.float64) -> np.ndarray:
        """`event_uniforms(purpose, s, index, n)` for each student `s` of `students`, as the
        rows of one array of `dtype`, bit for bit before the cast (a vectorised Philox4x64-10,
        `philox_blocks`, in chunks of `MANY_CHUNK` students: its temporaries stay small).
        Builds a school's pre-drawn numbers in a few array operations, not a call a student."""
        return self.event_uniform_sets([(purpose, n, dtype)], students, index)[0]

    def event_uniform_sets(self, wants: Sequence[tuple[str, int, type]], students: np.ndarray,
                           index: int) -> list[np.ndarray]:
        """`event_uniforms_many(purpose, students, index, n, dtype)` for each (purpose, n,
        dtype) of `wants`, all in one pass of the vectorised Philox (one key a block)."""
        keys: list[np.ndarray] = []
        block: list[int] = []
        cols = [0]
        for purpose, n, _ in wants:
            key = self._child(purpose_key(purpose), EVENT_MARK).generate_state(2, np.uint64)
            blocks = -(-n // 4)
            keys += [key] * blocks
            block += range(1, blocks + 1)
            cols.append(cols[-1] + 4 * blocks)
        key_of, block_of = np.array(keys, np.uint64), np.array(block, np.uint64)
        students = np.asarray(students, np.uint64)
        out: list[np.ndarray] = [np.empty((students.size, n), dtype) for _, n, dtype in wants]
        for a in range(0, students.size, MANY_CHUNK):
            raw = philox_blocks(key_of, block_of, students[a:a + MANY_CHUNK], index)
            for k, (_, n, _) in enumerate(wants):
                words = raw[:, cols[k]:cols[k] + n]
                out[k][a:a + MANY_CHUNK] = (words >> _U64(11)).astype(np.float64) * _TO_UNIT
        return out

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
        shape = np.broadcast_shapes(a.shape, b.shape)
        # (1-d arrays: uint64 array arithmetic wraps silently, numpy scalars' would warn)
        x, y = np.atleast_1d(a).astype(_U64), np.atleast_1d(b).astype(_U64)
        if ((x | y) >> _U64(_KEY_BITS)).any():  # (a negative key wraps to 2**63 or more)
            raise ValueError("keyed_uniforms: keys must be non-negative and below 2**32")
        x = _mix(((x << _U64(_KEY_BITS)) | y) ^ key)
        x = _mix(x + _U64(_GOLDEN * (slot + 1) & _MASK64))
        # the top 52 bits k give (2k + 1) / 2**53: exact, strictly inside (0, 1)
        return np.ldexp((x >> _U64(12)).astype(np.float64) * 2 + 1, -53).reshape(shape)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (a bijection of 64-bit integers) of a 1-d uint64 array, whose
    products wrap modulo 2**64."""
    x = (x ^ (x >> _U64(30))) * _MIX[0]
    x = (x ^ (x >> _U64(27))) * _MIX[1]
    return x ^ (x >> _U64(31))


class _EventStream:
    """The Philox generator of one purpose, with its counter set per event: `block(student,
    index, n)` gives the event's first `n` uniforms, `first(student, index)` only the first
    (as a float, the same value), discarding any buffered output either way.

    The fast way writes the counter into the generator's C state through numpy's documented
    `ctypes` interface (`BitGenerator.ctypes.state`; the struct of numpy/random/src/philox:
    counter pointer first, then key pointer, then `buffer_pos`), at under half the cost of the
    `state` setter, which parses a dict on every call. It is checked once against the setter
    (`_FAST_OK`); a numpy with another layout gets the setter.
    """

    __slots__ = ("bit", "gen", "ctr", "pos", "state")

    def __init__(self, key: np.ndarray) -> None:
        self.bit = np.random.Philox(key=key)
        self.gen = np.random.Generator(self.bit)
        self.ctr: ctypes.Array | None = None
        if _FAST_OK:
            addr = self.bit.ctypes.state_address
            self.ctr = _counter_at(addr)
            self.pos = ctypes.c_int.from_address(addr + _BUFFER_POS)
        else:
            self.state = self.bit.state

    def _at(self, student_id: int, index: int) -> None:
        ctr = self.ctr
        if ctr is not None:
            ctr[0] = ctr[1] = 0
            ctr[2], ctr[3] = student_id, index
            self.pos.value = 4  # the buffer is empty: the next draw starts a fresh block
            return
        state = self.state
        state["state"]["counter"] = np.array([0, 0, student_id, index], dtype=np.uint64)
        state["buffer_pos"], state["has_uint32"] = 4, 0
        self.bit.state = state

    def block(self, student_id: int, index: int, n: int) -> np.ndarray:
        self._at(student_id, index)
        return self.gen.random(n)

    def first(self, student_id: int, index: int) -> float:
        self._at(student_id, index)  # numpy's double: the top 53 bits of the first output
        return (self.bit.random_raw() >> 11) * _TO_UNIT


_BUFFER_POS = 2 * ctypes.sizeof(ctypes.c_void_p)  # after the counter and key pointers


def _counter_at(state_address: int) -> ctypes.Array:
    """The four 64-bit words of the Philox counter that the state struct at this address
    points to (its first member)."""
    counter = ctypes.c_void_p.from_address(state_address).value
    if counter is None:
        raise OSError("Philox state without a counter")
    return (ctypes.c_uint64 * 4).from_address(counter)


def _fast_matches() -> bool:
    """Whether writing the counter through ctypes gives exactly the `state` setter's numbers."""
    global _FAST_OK
    key = np.array([0x1234, 0x5678], dtype=np.uint64)
    probe = np.random.Philox(key=key)  # first read (never write) where the struct should be
    state = probe.state
    state["state"]["counter"] = np.array([11, 22, 33, 44], dtype=np.uint64)
    state["buffer_pos"] = 3
    probe.state = state
    addr = probe.ctypes.state_address
    ctr = _counter_at(addr)
    if list(ctr) != [11, 22, 33, 44] or ctypes.c_int.from_address(addr + _BUFFER_POS).value != 3:
        return False
    try:
        _FAST_OK = True
        fast = _EventStream(key)
        fast.block(9, 9, 3)  # leave a part-used buffer behind
        got: list[np.ndarray] | None = [fast.block(7, 11, 5), fast.block(2**40, 3, 16),
                                        np.array([fast.first(7, 11)])]
    except (ValueError, TypeError, OSError):
        got = None
    _FAST_OK = False
    slow = _EventStream(key)
    want = [slow.block(7, 11, 5), slow.block(2**40, 3, 16), np.array([slow.first(7, 11)])]
    return got is not None and all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))


_FAST_OK = False
_FAST_OK = _fast_matches()


# Philox4x64-10 (Salmon et al. 2011, Random123), as numpy's `Philox` computes it.
_PHILOX_M = (0xD2E7470EE14C6C93, 0xCA5A826395121157)  # round multipliers
_PHILOX_W = (0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B)  # key increments (Weyl)
_PHILOX_ROUNDS = 10
_LO32 = _U64(0xFFFFFFFF)


def _mulhilo(a: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """High and low 64-bit words of a * m (128-bit product), from 32-bit halves."""
    m_lo, m_hi = _U64(m & 0xFFFFFFFF), _U64(m >> 32)
    a_lo, a_hi = a & _LO32, a >> _U64(32)
    t = a_lo * m_lo
    u = a_hi * m_lo + (t >> _U64(32))
    v = a_lo * m_hi + (u & _LO32)
    hi = a_hi * m_hi + (u >> _U64(32)) + (v >> _U64(32))
    return hi, a * _U64(m)  # array products wrap modulo 2**64: the low word


def philox_blocks(keys: np.ndarray, blocks: np.ndarray, students: np.ndarray,
                  index: int) -> np.ndarray:
    """Raw 64-bit outputs of numpy's `Philox(key=keys[j])` with its counter set to (0, 0, s,
    index), block `blocks[j]` (from 1), for each s of `students` (one row each, four outputs
    a block, in the order of `blocks`).

    numpy adds one to the counter's first word before each block of four outputs, so block b
    is Philox4x64-10 of the counter (b, 0, s, index).
    """
    rows, cols = students.size, blocks.size
    c0 = np.broadcast_to(blocks.astype(np.uint64), (rows, cols)).copy()
    c1 = np.zeros((rows, cols), np.uint64)
    c2 = np.broadcast_to(students.astype(np.uint64)[:, None], (rows, cols)).copy()
    c3 = np.full((rows, cols), index, np.uint64)
    k0, k1 = keys[:, 0].astype(np.uint64), keys[:, 1].astype(np.uint64)
    for r in range(_PHILOX_ROUNDS):
        if r:  # (uint64 arrays wrap modulo 2**64)
            k0, k1 = k0 + _U64(_PHILOX_W[0]), k1 + _U64(_PHILOX_W[1])
        hi0, lo0 = _mulhilo(c0, _PHILOX_M[0])
        hi1, lo1 = _mulhilo(c2, _PHILOX_M[1])
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return np.stack((c0, c1, c2, c3), axis=-1).reshape(rows, cols * 4)
