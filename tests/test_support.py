"""Tests for lcsim.model.support.SupportQueue: capacity, giving up, and the Erlang C mean wait."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import simpy

from lcsim.model.support import SupportQueue
from queueing import erlang_c_wait


def watch(env: simpy.Environment, check: Callable[[], None]) -> None:
    """Call `check` after every event the environment processes (exact, not sampled)."""
    step = env.step

    def checked_step() -> None:
        step()
        check()

    env.step = checked_step  # type: ignore[method-assign]


def customer(env: simpy.Environment, q: SupportQueue, arrive: float, duration: float,
             give_up: float, log: dict[int, tuple[bool, float, float | None]], i: int):
    yield env.timeout(arrive)
    started: list[float] = []
    helped = yield from q.serve(duration, give_up, lambda: started.append(env.now))
    log[i] = (helped, env.now, started[0] if started else None)


def test_never_more_cases_than_capacity() -> None:
    env = simpy.Environment()
    q = SupportQueue(env, 3)
    peak = [0]

    def check() -> None:
        assert 0 <= q.in_use <= q.capacity
        peak[0] = max(peak[0], q.in_use)

    watch(env, check)
    rng = np.random.default_rng(4)
    log: dict[int, tuple[bool, float, float | None]] = {}
    for i in range(200):  # 200 cases arriving over 50 days, 10 days each: heavily overloaded
        env.process(customer(env, q, float(rng.uniform(0, 50)), 10.0, math.inf, log, i))
    env.run()
    assert peak[0] == 3  # the limit was reached, so the check above was not vacuous
    assert len(log) == 200 and all(helped for helped, _, _ in log.values())
    assert len(q.waits) == 200 and max(q.waits) > 100
    assert q.busy_days == pytest.approx(200 * 10.0)
    # Work-conserving FIFO with 3 servers: 2,000 case-days end no earlier than 2000/3 days.
    assert max(end for _, end, _ in log.values()) >= 2000 / 3


def test_zero_capacity_serves_nobody() -> None:
    env = simpy.Environment()
    q = SupportQueue(env, 0)
    log: dict[int, tuple[bool, float, float | None]] = {}
    env.process(customer(env, q, 1.0, 5.0, 30.0, log, 0))
    forever = env.process(customer(env, q, 2.0, 5.0, math.inf, log, 1))
    env.run(until=1000)
    assert log == {0: (False, 30.0, None)}  # gave up at its deadline, never started
    assert forever.is_alive  # without a deadline it waits for ever
    assert q.waits == [] and q.busy_days == 0.0 and q.in_use == 0


def test_give_up_leaves_the_queue() -> None:
    """A case that gives up is not served later, and does not hold up the cases behind it."""
    env = simpy.Environment()
    q = SupportQueue(env, 1)
    log: dict[int, tuple[bool, float, float | None]] = {}
    env.process(customer(env, q, 0.0, 10.0, math.inf, log, 0))  # busy until day 10
    env.process(customer(env, q, 1.0, 10.0, 5.0, log, 1))  # gives up at day 5
    env.process(customer(env, q, 2.0, 10.0, 15.0, log, 2))  # served at day 10, before giving up
    env.process(customer(env, q, 3.0, 10.0, 12.0, log, 3))  # would be served at 20: gives up
    env.run()
    assert log[0] == (True, 10.0, 0.0)
    assert log[1] == (False, 5.0, None)
    assert log[2] == (True, 20.0, 10.0)
    assert log[3] == (False, 12.0, None)
    assert q.waits == [0.0, 8.0]  # only served cases record a wait
    assert q.busy_days == 20.0


def test_erlang_c_mean_wait() -> None:
    """M/M/3 at utilisation 0.75: the simulated mean wait matches Erlang C.

    Waits of successive customers are autocorrelated, so the iid standard error would be too
    small (here ~7x too small). We use batch means: 40,000 customers after a 2,000-customer
    warm-up, in 20 batches of 2,000. The queue's relaxation time is about
    1/(c*mu*(1-sqrt(rho))^2) ~ 19 time units, i.e. ~45 arrivals, so batches of 2,000 are nearly
    independent and the t interval on 20 batch means is valid. We allow 4 batch SEs (t_19,
    two-sided p ~ 0.001); that is ~20% of Wq = 0.757, while the wrong number of servers
    (c=4: 0.14; c=2: unstable) or time in system instead of time in queue (+1.0) miss by far
    more.
    """
    lam, mu, c = 2.25, 1.0, 3
    warmup, n, batches = 2_000, 40_000, 20
    env = simpy.Environment()
    q = SupportQueue(env, c)
    rng = np.random.default_rng(20240611)
    gaps = rng.exponential(1 / lam, warmup + n)
    services = rng.exponential(1 / mu, warmup + n)

    def arrivals():
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(q.serve(float(service)))

    env.process(arrivals())
    env.run()
    waits = np.array(q.waits)
    assert len(waits) == warmup + n  # FIFO service: waits are recorded in arrival order
    means = waits[warmup:].reshape(batches, -1).mean(axis=1)
    mean, se = means.mean(), means.std(ddof=1) / math.sqrt(batches)
    a = lam / mu  # textbook Erlang C from factorials, independent of analysis.erlang_c_wait
    tail = a**c / math.factorial(c) * c / (c - a)
    p_wait = tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)
    theory = erlang_c_wait(lam, mu, c)
    assert theory == pytest.approx(p_wait / (c * mu - lam), rel=1e-12)
    assert abs(mean - theory) < 4 * se, (mean, theory, se)
    assert se < 0.07 * theory  # the test has power: the interval is narrow
    # The share of customers who wait at all is the Erlang C probability (same batch means).
    waited = (waits[warmup:] > 0).reshape(batches, -1).mean(axis=1)
    se_p = waited.std(ddof=1) / math.sqrt(batches)
    assert abs(waited.mean() - p_wait) < 4 * se_p, (waited.mean(), p_wait, se_p)


@pytest.mark.parametrize("gives_up", [False, True])
def test_an_idle_slot_keeps_no_case_alive(gives_up: bool) -> None:
    """Once a case is over (served, or dropped after giving up), nothing of it stays alive
    while its slot waits for the next: its `on_start` callback (the episode's closure, which
    holds the episode's numbers) is freed. Slots that kept their last case held ~250 bytes a
    student at the end of a 100,000-student run."""
    import weakref

    env = simpy.Environment()
    queue = SupportQueue(env, capacity=1)
    watched: list[weakref.ref] = []

    def patient(duration: float, give_up: float):
        def on_start() -> float | None:
            return None
        watched.append(weakref.ref(on_start))
        yield from queue.serve(duration, give_up, on_start)

    env.process(patient(5.0, math.inf))
    env.process(patient(5.0, 2.0 if gives_up else math.inf))  # waits behind the first
    env.run(until=50.0)
    assert queue.in_use == 0 and len(watched) == 2
    assert [ref() for ref in watched] == [None, None]
