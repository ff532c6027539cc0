"""Tests for lcsim.model.detection: the hazard clock equals a race of independent channels, and it
pairs scenarios (adding a channel never delays a given episode's detection).

The distribution test draws 20,000 fixed-seed episodes from the clock and 20,000 from a direct
simulation of the race. Means and channel shares are compared within 4 standard errors of their
difference (from the samples' own variances): sampling noise passes with probability > 0.9999,
while a wrong hazard (a contact weighted by p instead of -log(1 - p), a flow not stopped at its
end, a channel picked in the wrong proportion) moves them by many SEs at this sample size.
"""

from __future__ import annotations

import math
from itertools import count

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lcsim.model.detection import Contacts, Flow, first_detection

N = 20_000
LIMIT = 400.0


def meetings(first: float, gap: float):
    return (first + gap * k for k in count())


def clock_case() -> tuple[list[Flow], list[Contacts]]:
    flows = [Flow("self", 1 / 300), Flow("peer", 1 / 120, end=90.0)]
    contacts = [Contacts("coach", 0.15, meetings(7.0, 30.0)),
                Contacts("institution", 0.5, meetings(52.5, 70.0))]
    return flows, contacts


def race(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The same channels as independent times, the earliest winning (the reference)."""
    self_t = rng.exponential(300.0, N)
    peer_t = rng.exponential(120.0, N)
    peer_t[peer_t >= 90.0] = np.inf
    coach_t = 7.0 + 30.0 * (rng.geometric(0.15, N) - 1)
    inst_t = 52.5 + 70.0 * (rng.geometric(0.5, N) - 1)
    times = np.stack([self_t, peer_t, coach_t, inst_t])
    t = times.min(axis=0)
    winner = np.array(["self", "peer", "coach", "institution"])[times.argmin(axis=0)]
    t[t >= LIMIT] = np.inf
    winner[~np.isfinite(t)] = ""
    return t, winner


def test_clock_has_the_distribution_of_the_race_of_independent_channels() -> None:
    rng = np.random.default_rng(11)
    e, pick = rng.exponential(1.0, N), rng.random(N)
    got = [first_detection(x, *clock_case(), LIMIT, u) for x, u in zip(e, pick, strict=True)]
    t1 = np.array([t for t, _ in got])
    w1 = np.array([c or "" for _, c in got])
    t2, w2 = race(np.random.default_rng(12))
    capped1, capped2 = np.minimum(t1, LIMIT), np.minimum(t2, LIMIT)
    se = math.sqrt(capped1.var() / N + capped2.var() / N)
    assert abs(capped1.mean() - capped2.mean()) < 4 * se
    for channel in ("self", "peer", "coach", "institution", ""):
        p1, p2 = (w1 == channel).mean(), (w2 == channel).mean()
        p = (p1 + p2) / 2
        assert abs(p1 - p2) < 4 * math.sqrt(2 * p * (1 - p) / N) + 1e-12, channel
    # Meetings notice at meeting times only: every contact win is at a scheduled time.
    coach = t1[w1 == "coach"]
    assert np.allclose((coach - 7.0) / 30.0, np.round((coach - 7.0) / 30.0))
    assert np.all(t1[w1 == "peer"] < 90.0)


def test_a_certain_contact_wins_at_the_first_meeting_unless_a_flow_was_first() -> None:
    contacts = [Contacts("coach", 1.0, meetings(10.0, 30.0))]
    assert first_detection(5.0, [Flow("self", 0.01)], contacts, LIMIT, 0.3) == (10.0, "coach")
    assert first_detection(0.05, [Flow("self", 0.01)], contacts, LIMIT, 0.3) == (5.0, "self")


def test_nothing_is_noticed_after_the_limit_or_without_channels() -> None:
    assert first_detection(2.0, [Flow("self", 0.01)], [], 150.0, 0.5) == (math.inf, None)
    assert first_detection(2.0, [Flow("self", 0.01)], [], 250.0, 0.5) == (200.0, "self")
    assert first_detection(0.1, [], [], 1e6, 0.5) == (math.inf, None)
    zero = [Contacts("coach", 0.0, meetings(1.0, 1.0))]
    assert first_detection(0.1, [Flow("peer", 0.0)], zero, 1e4, 0.5) == (math.inf, None)


def test_the_channel_is_picked_in_proportion_to_its_hazard() -> None:
    flows = [Flow("self", 1.0), Flow("peer", 3.0)]
    picks = [first_detection(1.0, flows, [], LIMIT, u)[1] for u in np.linspace(0, 0.999, 1000)]
    assert picks.count("self") == 250  # u below 1/4 picks self, the rest peer


def test_meetings_at_the_same_time_add_their_hazards() -> None:
    a = Contacts("coach", 0.5, meetings(10.0, 30.0))
    b = Contacts("advisor", 0.5, meetings(10.0, 45.0))
    # Two chances of 1/2 at day 10 notice with chance 3/4: hazard log 4.
    assert first_detection(math.log(4) - 1e-9, [], [a, b], LIMIT, 0.2)[0] == 10.0
    a = Contacts("coach", 0.5, meetings(10.0, 30.0))
    b = Contacts("advisor", 0.5, meetings(10.0, 45.0))
    assert first_detection(math.log(4) + 1e-9, [], [a, b], LIMIT, 0.2)[0] == 40.0


rates = st.floats(0.0, 0.05)
probs = st.floats(0.0, 1.0)


@given(threshold=st.floats(0.0, 8.0), u=st.floats(0.0, 0.999), r1=rates, r2=rates,
       end=st.floats(1.0, 300.0), p1=probs, p2=probs, first=st.floats(0.0, 60.0),
       gap=st.floats(1.0, 90.0), extra=st.sampled_from(["flow", "contact", "rate"]))
@settings(max_examples=300, deadline=None)
def test_more_channels_never_delay_detection_of_the_same_episode(
        threshold: float, u: float, r1: float, r2: float, end: float, p1: float, p2: float,
        first: float, gap: float, extra: str) -> None:
    """Common random numbers: with the same threshold, a richer structure notices no later."""
    def case(richer: bool) -> tuple[float, str | None]:
        flows = [Flow("self", r1), Flow("mentor", r2, end=end)]
        contacts = [Contacts("institution", p1, meetings(first, gap))]
        if richer and extra == "flow":
            flows.append(Flow("peer", 0.01))
        if richer and extra == "contact":
            contacts.append(Contacts("coach", max(p2, 0.01), meetings(first / 2, gap / 2)))
        if richer and extra == "rate":
            flows[0] = Flow("self", r1 * 1.5 + 0.001)
        return first_detection(threshold, flows, contacts, 2_000.0, u)

    base, rich = case(False), case(True)
    assert rich[0] <= base[0] + 1e-9
    assert (rich[1] is None) == math.isinf(rich[0])


@given(t1=st.floats(0.0, 5.0), t2=st.floats(0.0, 5.0), u=st.floats(0.0, 0.999))
@settings(max_examples=200, deadline=None)
def test_a_higher_threshold_is_never_noticed_earlier(t1: float, t2: float, u: float) -> None:
    lo, hi = sorted((t1, t2))
    flows, contacts = clock_case()
    early = first_detection(lo, flows, contacts, LIMIT, u)[0]
    flows, contacts = clock_case()
    late = first_detection(hi, flows, contacts, LIMIT, u)[0]
    assert early <= late


@pytest.mark.parametrize("p", [0.2, 0.7])
def test_contact_hazard_is_minus_log_of_missing(p: float) -> None:
    assert Contacts("coach", p, []).hazard == pytest.approx(-math.log(1 - p))
    assert Contacts("coach", 1.0, []).hazard == math.inf
