"""Named random streams for common random numbers (CRN).

Every random decision draws a fixed block of uniforms with `Streams.event_uniforms(purpose,
student_id, index, n)`: a counter-based Philox generator per purpose, keyed from the replication
`SeedSequence` with a stable key (a CRC of the purpose name, never Python's salted `hash()`),
with its counter set to (student, event index). A block depends only on the replication seed,
the purpose, the student and the index, never on what was drawn before or on which other
purposes exist, so two scenarios that differ in structure still give each student the same
setbacks and the same uniforms for each decision about each setback.
"""

from __future__ import annotations

import zlib

import numpy as np

# Last spawn-key element of every purpose's Philox key. Changing it changes every number drawn.
EVENT_MARK = 1


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

