"""The referral queue: faculty time for interventions, a SimPy resource with `capacity` cases.

Capacity comes from faculty counts and protected hours (`community.support_capacity`). The
queue records each case's wait so the model's queueing can be checked against theory
(Erlang C) and reported (`queue_wait_median_days`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import simpy


class SupportQueue:
    """First-come first-served access to `capacity` concurrent intervention slots."""

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env = env
        self.capacity = capacity
        self.resource = simpy.Resource(env, capacity=capacity) if capacity > 0 else None
        self.waits: list[float] = []
        self.busy_days = 0.0

    def serve(self, duration: float, give_up_at: float = math.inf,
              on_start: Callable[[], None] | None = None) -> Generator[Any, Any, bool]:
        """Wait for a slot (until `give_up_at`), then hold it for `duration` days.

        Use as `helped = yield from queue.serve(...)`: True if the case was served; `on_start`
        is called when service begins. With no capacity the case waits until it gives up.
        """
        env, arrived = self.env, self.env.now
        timeout = env.timeout(give_up_at - env.now) if math.isfinite(give_up_at) else None
        if self.resource is None:
            yield timeout if timeout is not None else env.event()
            return False
        with self.resource.request() as req:
            yield req | timeout if timeout is not None else req
            if not req.triggered:
                return False
            self.waits.append(env.now - arrived)
            if on_start is not None:
                on_start()
            yield env.timeout(duration)
            self.busy_days += duration
            return True

    @property
    def in_use(self) -> int:
        """Slots busy now (never above capacity)."""
        return 0 if self.resource is None else self.resource.count
