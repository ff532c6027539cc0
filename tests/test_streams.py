"""Tests for lcsim.streams and replication seeds: reproducible, independent, stable keys.

Common random numbers rest on three facts checked here: the same (seed, purpose, student)
always gives the same draws, in any process; different purposes and students give independent
draws; replication r's seed does not depend on how many replications are run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zlib

import numpy as np
import pytest

from lcsim.experiment import replication_seed
from lcsim.streams import STUDENT_PURPOSES, Streams, purpose_key, replication_seeds

N = 20_000


def state(seed: np.random.SeedSequence) -> list[int]:
    return seed.generate_state(4).tolist()


def test_same_seed_same_draws() -> None:
    a, b = Streams(12345), Streams(np.random.SeedSequence(12345))
    for purpose in STUDENT_PURPOSES:
        np.testing.assert_array_equal(a.student(purpose, 7).random(50),
                                      b.student(purpose, 7).random(50))
    np.testing.assert_array_equal(a.generator("school").random(10),
                                  b.generator("school").random(10))
    np.testing.assert_array_equal(a.event_uniforms("personal-setback", 3, 2),
                                  b.event_uniforms("personal-setback", 3, 2))


def test_a_stream_does_not_depend_on_other_streams_being_used() -> None:
    """Drawing from one stream (or creating others first) leaves another stream unchanged."""
    a, b = Streams(99), Streams(99)
    a.student("entry", 5).random(1000)
    a.student("personal", 6).random(1000)
    np.testing.assert_array_equal(a.student("personal", 5).random(20),
                                  b.student("personal", 5).random(20))


@pytest.mark.parametrize(("left", "right"), [
    (("entry", 1), ("personal", 1)),       # same student, different purposes
    (("personal", 1), ("personal", 2)),    # same purpose, different students
    (("academic", 0), ("career", 0)),
])
def test_different_streams_are_independent(left: tuple[str, int], right: tuple[str, int]) -> None:
    """Distinct and uncorrelated: |corr| < 4/sqrt(N) (the SE of a null correlation)."""
    s = Streams(2024)
    x = s.student(*left).random(N)
    y = s.student(*right).random(N)
    assert not np.array_equal(x[:10], y[:10])
    assert abs(np.corrcoef(x, y)[0, 1]) < 4 / np.sqrt(N)
    assert abs(np.corrcoef(x[1:], y[:-1])[0, 1]) < 4 / np.sqrt(N)  # nor with a lag


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
    s = Streams(5)
    firsts = {float(s.event_uniforms("personal-setback", 1, k, 1)[0]) for k in range(200)}
    firsts |= {float(s.event_uniforms("academic-setback", 1, k, 1)[0]) for k in range(200)}
    firsts.add(float(s.student("personal-setback", 1).random()))
    assert len(firsts) == 401


def test_replications_get_different_streams() -> None:
    a = Streams(replication_seed(7, 0)).student("entry", 0).random(5)
    b = Streams(replication_seed(7, 1)).student("entry", 0).random(5)
    assert not np.array_equal(a, b)


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
    for purpose in (*STUDENT_PURPOSES, "school"):
        assert purpose_key(purpose) == zlib.crc32(purpose.encode()) == crc32_bitwise(
            purpose.encode())
    assert purpose_key("entry") != purpose_key("personal")
    assert 0 <= purpose_key("academic-setback") < 2**32


def test_streams_do_not_depend_on_the_hash_seed() -> None:
    """Two interpreters with different PYTHONHASHSEED draw the same numbers (no hash())."""
    code = ("from lcsim.streams import Streams, purpose_key;"
            "print(purpose_key('career'), Streams(3).student('career', 4).random())")
    outs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=60, check=True)
        outs.append(done.stdout.strip())
    assert outs[0] == outs[1]
    assert outs[0] == f"{purpose_key('career')} {Streams(3).student('career', 4).random()}"


@pytest.mark.parametrize("seed", [0, 42, 2**40 + 3])
@pytest.mark.parametrize("rep", [0, 1, 9, 37])
def test_replication_seed_is_spawn_for_any_count(seed: int, rep: int) -> None:
    mine = replication_seed(seed, rep)
    for n in (rep + 1, 40, 100):
        spawned = np.random.SeedSequence(seed).spawn(n)[rep]
        assert state(mine) == state(spawned)
        assert state(replication_seeds(seed, n)[rep]) == state(spawned)


def test_independent_streams_differ_from_the_crn_stream() -> None:
    """`stream > 0` (--no-crn) gives other seeds than stream 0, and than each other."""
    states = {tuple(state(replication_seed(3, 2, stream))) for stream in range(4)}
    assert len(states) == 4
    assert state(replication_seed(3, 2, 0)) == state(np.random.SeedSequence(3).spawn(3)[2])
