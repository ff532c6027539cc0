"""The referral queue and the faculty who work it.

Referred cases join one first-come first-served queue (a SimPy `Store`). Faculty members are
SimPy agents: each has a number of case *slots* (their protected hours over the hours one open
case takes) and runs one server process per slot that takes the next case from the queue,
works it for the intervention's length, and books the time. A case that gives up (the student
recovered or left first) is dropped from the queue. The queue records each case's wait so the
model can be checked against queueing theory (Erlang C) and reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from typing import Any

import simpy

from lcsim.model.agents import Faculty


class Case:
    """One referred case: waits in the queue, is worked by one faculty slot, then ends."""

    __slots__ = ("arrived", "duration", "on_start", "started", "finished", "stop", "dropped")

    def __init__(self, env: simpy.Environment, duration: float,
                 on_start: Callable[[], float | None] | None) -> None:
        self.arrived, self.duration, self.on_start = env.now, duration, on_start
        self.started, self.finished, self.stop = env.event(), env.event(), env.event()
        self.dropped = False


class SupportQueue:
    """First-come first-served access to the faculty's case slots."""

    def __init__(self, env: simpy.Environment, capacity: int | None = None,
                 faculty: Sequence[Faculty] = ()) -> None:
        """Serve with `faculty` agents, or with `capacity` anonymous slots if none are given."""
        self.env = env
        self.faculty = list(faculty) or [Faculty(i, "support", 1, 0.0) for i in range(capacity or 0)]
        self.capacity = sum(f.slots for f in self.faculty)
        self.queue = simpy.Store(env)
        self.waits: list[float] = []
        self.busy_days = 0.0
        self.in_use = 0  # slots working a case now (never above capacity)
        for member in self.faculty:
            for _ in range(member.slots):
                env.process(self._slot(member))

    def _slot(self, member: Faculty):
        """One slot of a faculty member's time: take the next case, work it, repeat."""
        env = self.env
        while True:
            # An idle slot must not keep its last case, and with it the episode's closure and
            # numbers, alive while it waits (~250 bytes a student at the end of a run).
            case = None
            case = yield self.queue.get()
            if case.dropped:
                continue
            self.in_use += 1
            start = env.now
            self.waits.append(start - case.arrived)
            duration = case.duration
            if case.on_start is not None:
                ends = case.on_start()  # the day the student's need ends, if known
                if ends is not None:
                    duration = min(duration, max(0.0, ends - env.now))
            case.started.succeed()
            yield env.timeout(duration) | case.stop
            self.in_use -= 1
            self.busy_days += env.now - start
            member.cases += 1
            member.busy_days += env.now - start
            if not case.finished.triggered:
                case.finished.succeed()

    def serve(self, duration: float, give_up_at: float = math.inf,
              on_start: Callable[[], float | None] | None = None) -> Generator[Any, Any, bool]:
        """Queue for help (until `give_up_at`), then be helped for `duration` days.

        Use as `helped = yield from queue.serve(...)`: True if the case was served; `on_start`
        is called when service begins and may return the day the case ends sooner (the
        student recovered or left), which frees the slot then. With no capacity the case waits until it gives up. If
        the calling process is interrupted, the case leaves the queue or frees its slot.
        """
        env = self.env
        case = Case(env, duration, on_start)
        self.queue.put(case)
        try:
            if math.isfinite(give_up_at):
                yield case.started | env.timeout(max(0.0, give_up_at - env.now))
            else:
                yield case.started
            if not case.started.triggered:
                case.dropped = True
                return False
            yield case.finished
            return True
        except simpy.Interrupt:
            case.dropped = True
            if case.started.triggered and not case.stop.triggered:
                case.stop.succeed()
            raise
