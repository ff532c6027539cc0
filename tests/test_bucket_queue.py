"""Tests for lcsim.model.bucket_queue: the same pop order as heapq, for any mix of pushes and pops."""

from __future__ import annotations

import heapq

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lcsim.model.bucket_queue import BucketQueue

times = st.floats(0.0, 120.0, allow_nan=False)


@given(initial=st.lists(st.tuples(times, st.integers(0, 50)), max_size=60),
       steps=st.lists(st.one_of(st.just(None), st.floats(0.0, 40.0)), max_size=120),
       width=st.sampled_from([None, 0.01, 0.25, 1.0, 7.0, 500.0]))
@settings(max_examples=300, deadline=None)
def test_pops_in_heap_order_with_pushes_no_earlier_than_the_last_pop(
        initial: list[tuple[float, int]], steps: list[float | None], width: float | None) -> None:
    """None pops; a number pushes an item that many days after the last popped time (as the
    setback process does: a student's next setback comes after the current one). Times past
    the horizon (100) share the last bucket and must still come out in order. None: the
    default width, one initial item per bucket (wide buckets when there are few items)."""
    queue, heap = BucketQueue(initial, horizon=100.0, width=width), list(initial)
    heapq.heapify(heap)
    now, key = 0.0, 1000
    for step in steps:
        assert len(queue) == len(heap)
        if step is None:
            if not heap:
                continue
            assert queue.peek() == heap[0]
            now = queue.pop()[0]
            assert now == heapq.heappop(heap)[0]
        else:
            key += 1
            queue.push((now + step, key))
            heapq.heappush(heap, (now + step, key))
    while heap:
        assert queue.pop() == heapq.heappop(heap)
    assert not queue


def test_empty_queue_and_bad_arguments() -> None:
    queue = BucketQueue([], horizon=10.0)
    assert len(queue) == 0 and not queue
    with pytest.raises(IndexError):
        queue.pop()
    with pytest.raises(ValueError):
        BucketQueue([], horizon=float("inf"))
    with pytest.raises(ValueError):
        BucketQueue([], horizon=10.0, width=0.0)


def test_default_width_is_about_one_initial_item_per_bucket() -> None:
    from lcsim.model.bucket_queue import MIN_WIDTH

    assert BucketQueue([(1.0, k) for k in range(10)], horizon=100.0).width == 10.0
    assert BucketQueue([(1.0, k) for k in range(10_000)], horizon=100.0).width == MIN_WIDTH
    assert BucketQueue([], horizon=100.0).width == 100.0
