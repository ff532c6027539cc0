"""A priority queue of (time, key) items whose times fall within a known horizon.

The personal-setback process holds one item per student (the student's next setback). A binary
heap of 10^5 items costs a cache-unfriendly O(log n) per pop, enough to make the model's time
grow faster than the number of students. This queue puts items in buckets of `width` days and
sorts only the bucket being served, so each operation costs O(1) amortised, and it pops items
in exactly the order `heapq` would (by time, then key).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable

Item = tuple[float, int]
MIN_WIDTH = 0.25  # days: the default bucket width's floor


class BucketQueue:
    """Items (time, key) with 0 <= time; times past `horizon` share the last bucket."""

    def __init__(self, items: Iterable[Item], horizon: float, width: float | None = None
                 ) -> None:
        """`width`: days a bucket spans; by default about one initial item per bucket, and
        never under `MIN_WIDTH` (a small school gets few wide buckets, not thousands of
        empty ones to allocate and step over; a large one gets `MIN_WIDTH`)."""
        items = list(items)
        if width is None:
            width = max(MIN_WIDTH, horizon / max(len(items), 1))
        if not (width > 0 and math.isfinite(horizon) and horizon >= 0):
            raise ValueError(f"need width > 0 and a finite horizon >= 0, got {width}, {horizon}")
        self.width = width
        self.buckets: list[list[Item]] = [[] for _ in range(int(horizon // width) + 2)]
        self.size = len(items)
        last = len(self.buckets) - 1
        for item in items:
            self.buckets[min(int(item[0] // width), last)].append(item)
        self.current = 0  # the bucket being served: sorted, its items from `pos` on are left
        self.pos = 0
        self.buckets[0].sort()

    def __len__(self) -> int:
        return self.size

    def _index(self, time: float) -> int:
        return min(int(time // self.width), len(self.buckets) - 1)

    def _serve(self) -> list[Item]:
        """The current bucket, moved on to the next non-empty one (requires size > 0)."""
        bucket = self.buckets[self.current]
        while self.pos >= len(bucket):
            self.buckets[self.current] = []  # free what was served
            self.current += 1
            self.pos = 0
            bucket = self.buckets[self.current]
            bucket.sort()
        return bucket

    def peek(self) -> Item:
        """The earliest item, left in the queue."""
        if not self.size:
            raise IndexError("peek from an empty queue")
        bucket = self._serve()
        return bucket[self.pos]

    def pop(self) -> Item:
        """Remove and return the earliest item."""
        bucket, pos = self.buckets[self.current], self.pos
        if pos >= len(bucket):  # (the fast path above serves most pops)
            if not self.size:
                raise IndexError("pop from an empty queue")
            bucket, pos = self._serve(), self.pos
        self.pos = pos + 1
        self.size -= 1
        return bucket[pos]

    def push(self, item: Item) -> None:
        """Add an item; its time must not be before the last popped item's."""
        k = max(self._index(item[0]), self.current)
        if k == self.current:
            bisect.insort(self.buckets[k], item, lo=self.pos)
        else:
            self.buckets[k].append(item)
        self.size += 1
