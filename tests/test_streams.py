"""Tests for lcsim.model.streams and replication seeds: reproducible, independent, stable keys.

Common random numbers rest on three facts checked here: the same (seed, purpose, student, event)
always gives the same block of uniforms, in any process and whatever was drawn before; different
purposes, students and events give independent uniform draws; replication r's seed does not
depend on how many replications are run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zlib

import numpy as np
import pytest
from scipy import stats

from lcsim.experiment.replications import replication_seed
from lcsim.model.streams import Streams, purpose_key

N = 20_000
# The purposes the model draws from (src/lcsim/model.py).
PURPOSES = ("entry", "personal", "academic", "career", "personal-setback", "academic-setback")
# |corr| of two independent samples of size N has SE 1/sqrt(N); 4 SE is exceeded with
# probability ~6e-5, and the seeds are fixed, so the checks below are deterministic.
CORR_TOL = 4 / np.sqrt(N)
KS_ALPHA = 1e-4  # a fixed-seed KS test: a real uniform fails it with probability 1e-4


def state(seed: np.random.SeedSequence) -> list[int]:
    return seed.generate_state(4).tolist()


def test_same_seed_same_draws() -> None:
    """An int seed and its SeedSequence give the same blocks, for every purpose and event."""
    a, b = Streams(12345), Streams(np.random.SeedSequence(12345))
    for purpose in PURPOSES:
        for student, index in ((0, 0), (7, 0), (7, 3), (2**20, 11)):
            x = a.event_uniforms(purpose, student, index, 50)
            np.testing.assert_array_equal(x, b.event_uniforms(purpose, student, index, 50))
            # asking again (the cached generator has moved on) gives the same block
            np.testing.assert_array_equal(x, a.event_uniforms(purpose, student, index, 50))


def test_a_longer_block_extends_a_shorter_one() -> None:
    """The first k uniforms of an event do not depend on how many are asked for (the model
    redraws `personal` with a longer block when a student runs out of setback times)."""
    s = Streams(31)
    long = s.event_uniforms("personal", 5, 0, 97)
    for n in (1, 3, 4, 5, 16, 64):
        np.testing.assert_array_equal(s.event_uniforms("personal", 5, 0, n), long[:n])
    assert s.event_uniforms("personal", 5, 0, 0).shape == (0,)


def test_a_purpose_does_not_depend_on_other_purposes_being_used() -> None:
    """Drawing from other purposes first, including ones the model does not have yet, leaves a
    purpose's blocks unchanged: adding a purpose never changes the others."""
    a, b = Streams(99), Streams(99)
    for purpose in ("a-new-purpose", *reversed(PURPOSES), "another-new-one"):
        a.event_uniforms(purpose, 5, 0, 1000)
        a.event_uniforms(purpose, 6, 2, 3)
    for purpose in PURPOSES:
        np.testing.assert_array_equal(a.event_uniforms(purpose, 5, 0, 20),
                                      b.event_uniforms(purpose, 5, 0, 20))
        np.testing.assert_array_equal(a.event_uniforms(purpose, 6, 2, 20),
                                      b.event_uniforms(purpose, 6, 2, 20))


@pytest.mark.parametrize(("left", "right"), [
    (("entry", 1, 0), ("personal", 1, 0)),                    # same student, other purpose
    (("personal-setback", 1, 3), ("academic-setback", 1, 3)),  # both setback purposes
    (("academic", 0, 0), ("career", 0, 0)),
    (("personal", 1, 0), ("personal", 2, 0)),                  # same purpose, other student
    (("personal-setback", 1, 0), ("personal-setback", 1, 1)),  # same student, next event
    (("personal-setback", 1, 2), ("personal-setback", 2, 1)),  # student and event swapped
    (("personal-setback", 0, 1), ("personal-setback", 1, 0)),
])
def test_different_blocks_are_independent(left: tuple[str, int, int],
                                          right: tuple[str, int, int]) -> None:
    """Long blocks share no value (so no block is a shifted copy of another) and are
    uncorrelated, also with a lag: |corr| < 4/sqrt(N)."""
    s = Streams(2024)
    x = s.event_uniforms(*left, N)
    y = s.event_uniforms(*right, N)
    # 53-bit uniforms: two independent samples of N share a value with probability ~N^2/2^53
    assert np.intersect1d(x, y).size == 0
    assert abs(np.corrcoef(x, y)[0, 1]) < CORR_TOL
    assert abs(np.corrcoef(x[1:], y[:-1])[0, 1]) < CORR_TOL
    assert abs(np.corrcoef(x[:-1], y[1:])[0, 1]) < CORR_TOL


@pytest.mark.parametrize("axis", ["student", "index"])
def test_short_blocks_are_independent_across_events(axis: str) -> None:
    """As the model uses them: a short block per event. Slots of one event are uncorrelated with
    each other, and an event's slot is uncorrelated with the same slot of the next student or
    event, or of the other setback purpose: |corr| < 4/sqrt(N)."""
    s = Streams(77)

    def blocks(purpose: str, shift: int) -> np.ndarray:
        if axis == "student":
            return np.array([s.event_uniforms(purpose, k + shift, 4, 4) for k in range(N)])
        return np.array([s.event_uniforms(purpose, 4, k + shift, 4) for k in range(N)])

    x, nxt, other = blocks("personal-setback", 0), blocks("personal-setback", 1), \
        blocks("academic-setback", 0)
    np.testing.assert_array_equal(x[1:], nxt[:-1])  # the same event, whatever the call order
    for i in range(4):
        for j in range(i + 1, 4):
            assert abs(np.corrcoef(x[:, i], x[:, j])[0, 1]) < CORR_TOL
        assert abs(np.corrcoef(x[:, i], nxt[:, i])[0, 1]) < CORR_TOL
        assert abs(np.corrcoef(x[:, i], other[:, i])[0, 1]) < CORR_TOL


def test_event_uniforms_do_not_depend_on_order_or_other_events() -> None:
    """An event's block is the same whatever was drawn before, and blocks do not overlap."""
    a, b = Streams(8), Streams(8)
    first = a.event_uniforms("personal-setback", 4, 1, 32)
    b.event_uniforms("personal-setback", 9, 0, 100)  # other draws first, longer than a block
    b.event_uniforms("academic-setback", 4, 1, 7)
    np.testing.assert_array_equal(b.event_uniforms("personal-setback", 4, 1, 32), first)
    nxt = a.event_uniforms("personal-setback", 4, 2, 32)
    assert not set(first.tolist()) & set(nxt.tolist())
    x = np.concatenate([a.event_uniforms("personal-setback", 7, k, 16) for k in range(2000)])
    assert abs(x.mean() - 0.5) < 4 * np.sqrt(1 / 12 / x.size)  # uniform mean within 4 SE


def test_event_streams_are_distinct() -> None:
    """The first uniform of 200 events of each setback purpose and of 200 students: all differ
    (a collision among 600 53-bit uniforms has probability ~600^2/2^54)."""
    s = Streams(5)
    firsts = {float(s.event_uniforms("personal-setback", 1, k, 1)[0]) for k in range(200)}
    firsts |= {float(s.event_uniforms("academic-setback", 1, k, 1)[0]) for k in range(200)}
    firsts |= {float(s.event_uniforms("personal-setback", k, 0, 1)[0]) for k in range(2, 202)}
    assert len(firsts) == 600


@pytest.mark.parametrize("purpose", PURPOSES)
def test_replications_get_different_streams(purpose: str) -> None:
    """Replications (and --no-crn streams) of one root seed share no value and are
    uncorrelated: |corr| < 4/sqrt(N)."""
    seeds = [replication_seed(7, 0), replication_seed(7, 1), replication_seed(7, 0, 1)]
    draws = [Streams(seed).event_uniforms(purpose, 3, 0, N) for seed in seeds]
    draws.append(Streams(7).event_uniforms(purpose, 3, 0, N))  # the root seed itself
    for i, x in enumerate(draws):
        for y in draws[i + 1:]:
            assert np.intersect1d(x, y).size == 0
            assert abs(np.corrcoef(x, y)[0, 1]) < CORR_TOL
    # and replication 0 is reproducible
    np.testing.assert_array_equal(
        Streams(replication_seed(7, 0)).event_uniforms(purpose, 3, 0, N), draws[0])


@pytest.mark.parametrize("layout", ["one long block", "first of each event",
                                    "first of each student", "last slot of each setback"])
def test_event_uniforms_are_uniform(layout: str) -> None:
    """In [0, 1), with mean 1/2 and variance 1/12 within 4 SE, and a KS test at
    alpha = 1e-4 (fixed seeds: a correct generator passes deterministically)."""
    s = Streams(424242)
    if layout == "one long block":
        x = s.event_uniforms("career", 3, 0, N)
    elif layout == "first of each event":
        x = np.array([s.event_uniforms("personal-setback", 3, k, 16)[0] for k in range(N)])
    elif layout == "first of each student":
        x = np.array([s.event_uniforms("entry", k, 0, 6)[0] for k in range(N)])
    else:
        x = np.array([s.event_uniforms("academic-setback", k % 100, k // 100, 16)[15]
                      for k in range(N)])
    assert x.min() >= 0.0
    assert x.max() < 1.0
    assert abs(x.mean() - 0.5) < 4 * np.sqrt(1 / 12 / N)  # SE of the mean: sqrt(1/12 / N)
    assert abs(x.var() - 1 / 12) < 4 * np.sqrt(1 / 180 / N)  # Var((U-1/2)^2) = 1/180
    assert stats.kstest(x, "uniform").pvalue > KS_ALPHA


def crc32_bitwise(data: bytes) -> int:
    """Reference CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), bit by bit."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def test_purpose_key_is_a_stable_crc32() -> None:
    # The key of a purpose is its CRC-32, identical in every interpreter and platform.
    assert crc32_bitwise(b"123456789") == 0xCBF43926  # the standard CRC-32 check value
    for purpose in (*PURPOSES, "school"):
        assert purpose_key(purpose) == zlib.crc32(purpose.encode()) == crc32_bitwise(
            purpose.encode())
    assert purpose_key("entry") != purpose_key("personal")
    assert 0 <= purpose_key("academic-setback") < 2**32


def test_streams_do_not_depend_on_the_hash_seed() -> None:
    """Two interpreters with different PYTHONHASHSEED draw the same numbers (no hash())."""
    code = ("from lcsim.model.streams import Streams, purpose_key;"
            "print(purpose_key('career'), Streams(3).event_uniforms('career', 4, 2, 3).tolist())")
    outs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=60, check=True)
        outs.append(done.stdout.strip())
    assert outs[0] == outs[1]
    draws = Streams(3).event_uniforms("career", 4, 2, 3).tolist()
    assert outs[0] == f"{purpose_key('career')} {draws}"


@pytest.mark.parametrize("seed", [0, 42, 2**40 + 3])
@pytest.mark.parametrize("rep", [0, 1, 9, 37])
def test_replication_seed_is_spawn_for_any_count(seed: int, rep: int) -> None:
    mine = replication_seed(seed, rep)
    for n in (rep + 1, 40, 100):
        spawned = np.random.SeedSequence(seed).spawn(n)[rep]
        assert state(mine) == state(spawned)


def test_independent_streams_differ_from_the_crn_stream() -> None:
    """`stream > 0` (--no-crn) gives other seeds than stream 0, and than each other."""
    states = {tuple(state(replication_seed(3, 2, stream))) for stream in range(4)}
    assert len(states) == 4
    assert state(replication_seed(3, 2, 0)) == state(np.random.SeedSequence(3).spawn(3)[2])


# -- keyed uniforms (the peer network's pair draws: docs/design/peer-network.md §2.7)

def test_keyed_uniforms_fixed_values() -> None:
    """Fixed values for a seed: a change of the hash or of the key derivation shows here (and
    would move every network of every stored result)."""
    got = Streams(7).keyed_uniforms("net-tie", np.array([0, 1, 2]), np.array([5, 6, 7]), 0)
    np.testing.assert_array_equal(
        got, [0.1556026786885757, 0.5511861929338385, 0.7640803728704505])
    assert Streams(7).keyed_uniforms("net-tie", 1, 6, 1) == 0.07742150005334747


def test_keyed_uniforms_independent_of_order_other_pairs_and_chunks() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 2**31, N), rng.integers(0, 2**31, N)
    whole = Streams(11).keyed_uniforms("net-order-class", a, b, 2)
    perm = rng.permutation(N)
    np.testing.assert_array_equal(Streams(11).keyed_uniforms("net-order-class", a[perm], b[perm],
                                                             2), whole[perm])
    streams = Streams(11)  # other purposes drawn first, then pairs one at a time
    streams.keyed_uniforms("net-tie", a, b, 0)
    streams.event_uniforms("entry", 3, 0)
    assert [streams.keyed_uniforms("net-order-class", int(a[k]), int(b[k]), 2)
            for k in range(0, N, 997)] == whole[::997].tolist()


def test_keyed_uniforms_separate_purposes_slots_seeds_and_pairs() -> None:
    a = np.arange(N)
    b = np.full(N, 2 * N + 5)  # no pair (k, k), so (a, b) and (b, a) never coincide
    base = Streams(11).keyed_uniforms("net-tie", a, b, 0)
    others = [Streams(11).keyed_uniforms("net-lc", a, b, 0),
              Streams(11).keyed_uniforms("net-tie", a, b, 1),
              Streams(12).keyed_uniforms("net-tie", a, b, 0),
              Streams(11).keyed_uniforms("net-tie", b, a, 0),  # (a, b) is not (b, a)
              Streams(11).keyed_uniforms("net-tie", a + N, b, 0)]  # other pairs
    for other in others:
        assert abs(np.corrcoef(base, other)[0, 1]) < CORR_TOL
        assert not np.any(base == other)
    # the keyed draws do not reuse the Philox event streams of the same purpose
    event = np.array([Streams(11).event_uniforms("net-tie", 0, 0, 1)[0]])
    assert event[0] != base[0]


@pytest.mark.parametrize("layout", ["sequential", "pairs"])
def test_keyed_uniforms_are_uniform(layout: str) -> None:
    """Strictly inside (0, 1), mean and variance within 4 SE, KS at a fixed seed; sequential
    student ids (structured input) and random pairs."""
    rng = np.random.default_rng(5)
    if layout == "sequential":
        a, b = np.zeros(N, np.int64), np.arange(N)
    else:
        a, b = rng.integers(0, 2**32, N), rng.integers(0, 2**32, N)
    x = Streams(2024).keyed_uniforms("net-tie", a, b, 0)
    assert x.min() > 0.0 and x.max() < 1.0
    assert abs(x.mean() - 0.5) < 4 * np.sqrt(1 / 12 / N)
    assert abs(x.var() - 1 / 12) < 4 * np.sqrt(1 / 180 / N)
    assert stats.kstest(x, "uniform").pvalue > KS_ALPHA


def test_keyed_uniforms_reject_keys_out_of_range() -> None:
    with pytest.raises(ValueError):
        Streams(1).keyed_uniforms("net-tie", np.array([-1]), np.array([0]))
    with pytest.raises(ValueError):
        Streams(1).keyed_uniforms("net-tie", np.array([2**32]), np.array([0]))
    with pytest.raises(ValueError):
        Streams(1).keyed_uniforms("net-tie", np.array([3, 4]), np.array([0, -1], np.int32))
    with pytest.raises(ValueError):
        Streams(1).keyed_uniforms("net-tie", 3, 2**40)
    ok = Streams(1).keyed_uniforms("net-tie", np.array([2**32 - 1]), np.array([0]))
    assert ok.shape == (1,) and 0 < ok[0] < 1


def test_fast_counter_writes_give_the_documented_philox_numbers() -> None:
    """`event_uniforms` equals a fresh numpy Philox with counter (0, 0, student, index), and
    `event_uniform` its first number, both through the fast ctypes counter write and through
    the `state` setter it falls back to, for any order of calls and block lengths (a wrong
    struct offset would break CRN silently)."""
    from lcsim.model import streams as mod

    key = Streams(77)._child(purpose_key("personal-setback"), mod.EVENT_MARK).generate_state(
        2, np.uint64)
    calls = [(3, 0, 16), (3, 1, 5), (2**31, 7, 1), (0, 0, 16), (599, 2**20, 9), (3, 0, 16)]
    want = [np.random.Generator(np.random.Philox(key=key, counter=[0, 0, s, i])).random(n)
            for s, i, n in calls]
    assert mod._FAST_OK  # the fast path is in use on the numpy this project installs
    for fast in (True, False):
        saved, mod._FAST_OK = mod._FAST_OK, fast
        try:
            stream = mod._EventStream(key)
        finally:
            mod._FAST_OK = saved
        got = [stream.block(s, i, n) for s, i, n in calls]
        assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True)), fast
        firsts = [stream.first(s, i) for s, i, _ in reversed(calls)]
        assert firsts == [w[0] for w in reversed(want)], fast
        assert all(type(x) is float for x in firsts)
    got = Streams(77).event_uniforms("personal-setback", 599, 2**20, 9)
    assert np.array_equal(got, want[4])
    assert Streams(77).event_uniform("personal-setback", 599, 2**20) == want[4][0]


@pytest.mark.parametrize(("purpose", "index", "n"), [("entry", 0, 6), ("academic", 0, 30),
                                                    ("career", 3, 13), ("x", 2**40, 1)])
def test_event_uniforms_many_equals_one_call_a_student(purpose: str, index: int,
                                                       n: int) -> None:
    """The vectorised Philox gives each row exactly `event_uniforms` (ids across chunks, at
    the ends of the 32-bit range and beyond it), and a float32 result is its cast."""
    from lcsim.model import streams as mod

    streams = Streams(np.random.SeedSequence(31))
    ids = np.concatenate((np.arange(mod.MANY_CHUNK - 2, mod.MANY_CHUNK + 3),
                          [0, 2**32 - 1, 2**32, 2**50]))
    many = streams.event_uniforms_many(purpose, ids, index, n)
    one = np.stack([streams.event_uniforms(purpose, int(s), index, n) for s in ids])
    assert many.dtype == np.float64 and np.array_equal(many, one)
    small = streams.event_uniforms_many(purpose, ids, index, n, np.float32)
    assert np.array_equal(small, one.astype(np.float32))


def test_event_uniform_sets_equal_one_purpose_at_a_time() -> None:
    """Several purposes drawn in one pass (one key a block) give each purpose's own rows."""
    streams = Streams(np.random.SeedSequence(8))
    ids = np.arange(5000)
    wants = [("entry", 6, np.float64), ("academic", 30, np.float32), ("career", 13, np.float64),
             ("x", 1, np.float64)]
    together = streams.event_uniform_sets(wants, ids, 2)
    for (purpose, n, dtype), got in zip(wants, together, strict=True):
        alone = streams.event_uniforms_many(purpose, ids, 2, n, dtype)
        assert got.dtype == dtype and np.array_equal(got, alone)
        assert np.array_equal(got[4321], streams.event_uniforms(purpose, 4321, 2, n).astype(dtype))
