"""Named random streams for common random numbers (CRN).

Every random decision draws from a stream keyed by its purpose and, for students, by the
student's id, derived from one replication `SeedSequence` with stable keys (a CRC of the
purpose name, never Python's salted `hash()`). Draws are consumed in fixed amounts per event,
so two scenarios that differ in structure still give each student the same setbacks and the
same uniforms for each decision about each setback.
"""

from __future__ import annotations

import zlib

import numpy as np

# Purposes with a stream per student. Adding a purpose never changes the others.
STUDENT_PURPOSES = ("entry", "personal", "academic", "career", "personal-setback",
                    "academic-setback")


EVENT_MARK = 1  # spawn-key element that separates event streams from per-student streams


def purpose_key(purpose: str) -> int:
    """A stable 32-bit key for a purpose name."""
    return zlib.crc32(purpose.encode("utf-8"))


class Streams:
    """Factory of independent generators for one replication."""

    def __init__(self, seed: np.random.SeedSequence | int) -> None:
        if not isinstance(seed, np.random.SeedSequence):
            seed = np.random.SeedSequence(seed)
        self.seed = seed
        self._events: dict[str, tuple] = {}

    def _child(self, *key: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(
            self.seed.entropy, spawn_key=tuple(self.seed.spawn_key) + key
        )

    def generator(self, purpose: str) -> np.random.Generator:
        """A generator for a school-level purpose (e.g. community assignment)."""
        return np.random.Generator(np.random.PCG64(self._child(purpose_key(purpose))))

    def student(self, purpose: str, student_id: int) -> np.random.Generator:
        """The generator for one purpose of one student."""
        return np.random.Generator(
            np.random.PCG64(self._child(purpose_key(purpose), int(student_id)))
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


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """Seeds for replications 0..n-1: `SeedSequence(seed).spawn`, stable for any n."""
    return np.random.SeedSequence(seed).spawn(replications)
