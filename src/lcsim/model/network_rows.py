"""The rows and pairs of a peer network (`network.PeerNetwork`), built in chunks.

Each context's pairs become packed int64 keys `(lo << bits | hi) << CODE_BITS | code`, one
array sorted in place and decoded chunk by chunk into each row's code and base rate, each pair's
ends and its number of rows. Contexts are read one at a time and no full-size 8-byte temporary
is made after the sort: this bounds the build's memory at 10^5 students (design §2.2, §12).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

CLASS, LC, VERTICAL, MENTOR, MENTOR_REV, GROUP = range(6)  # row codes; GROUP + period q
CODES = 16  # codes fit in CODE_BITS of a packed row key
CODE_BITS = 4
YEARS = 5  # class years 0 (away, not yet in school, gone, research year) to 4
CHUNK = 1 << 18  # pairs per chunk of bulk work: bounds the temporaries at 10^5 students
KEY_BITS = 63  # a packed row key is a non-negative int64

@dataclass(frozen=True)
class Context:
    """Pairs (i[k], j[k]) who meet in one context, and its base contact rate a teaching day:
    `spread`: each student spreads `rate` over their partners (same subgroup weighted by the
    homophily weight); otherwise `rate` is each pair's own."""

    code: int
    i: np.ndarray
    j: np.ndarray
    rate: float
    spread: bool


def factor_table() -> np.ndarray:
    """An all-zero table of contact factors by (code, year_i, year_j): fill it, then pass it."""
    return np.zeros((CODES, YEARS, YEARS), np.float32)


@dataclass
class Rows:
    """Rows sorted by pair then code (`code`, base rate `rrate`), each pair's ends (pi < pj)
    and number of rows; `bits`: a pair key's width of the higher end."""

    code: np.ndarray
    rrate: np.ndarray
    row_len: np.ndarray
    pi: np.ndarray
    pj: np.ndarray
    bits: int


def build_rows(contexts: Iterable[Context], subgroup: np.ndarray, homophily: float) -> Rows:
    """The rows of `contexts` (read once, in order: a generator keeps one context's arrays
    alive). Contexts without contact make no rows; spread rates use each student's weight
    total over the context's partners (same subgroup: `homophily`, else 1)."""
    n, keys, plain, spread = subgroup.size, [], [], []
    bits = max(n - 1, 1).bit_length()  # a pair's key: lo << bits | hi
    if 2 * bits + CODE_BITS > KEY_BITS:
        raise ValueError(f"PeerNetwork: {n} students do not fit a packed row key")
    for c in contexts:
        if not (c.rate > 0 and c.i.size):
            continue
        k = np.minimum(c.i, c.j).astype(np.int64)
        k <<= bits
        k |= np.maximum(c.i, c.j)
        k <<= CODE_BITS
        k |= c.code
        keys.append(k)
        if c.spread:  # each student's weights over their partners in this context
            w = np.where(subgroup[c.i] == subgroup[c.j], homophily, 1.0)
            spread.append((c.code, c.rate, np.bincount(c.i, w, n) + np.bincount(c.j, w, n)))
        else:
            plain.append((c.code, c.rate))
    packed = np.empty(sum(k.size for k in keys), np.int64)
    at = 0
    while keys:  # each context's keys go once copied
        k = keys.pop(0)
        packed[at:at + k.size] = k
        at += k.size
    del k
    packed.sort()
    code = np.empty(packed.size, np.uint8)
    for a in range(0, packed.size, CHUNK):
        code[a:a + CHUNK] = packed[a:a + CHUNK] & (CODES - 1)
    packed >>= CODE_BITS  # in place: the pair's key
    first = np.ones(packed.size, bool)  # a row that starts a pair
    np.not_equal(packed[1:], packed[:-1], out=first[1:])
    m = int(np.count_nonzero(first))
    rows = Rows(code, np.zeros(packed.size, np.float16),  # float16: deterministic rounding
                np.zeros(m, np.uint8), np.empty(m, np.int32), np.empty(m, np.int32), bits)
    p = 0
    for a in range(0, packed.size, CHUNK):
        pair = _decode(rows, packed[a:a + CHUNK], first[a:a + CHUNK], p)
        _base_rates(rows, slice(a, a + CHUNK), pair, plain, spread, subgroup, homophily)
        p = int(pair[-1]) + 1
    return rows


def _decode(rows: Rows, keys: np.ndarray, first: np.ndarray, p: int) -> np.ndarray:
    """One chunk of sorted rows' pair keys: the ends of the pairs that start in it (from pair
    `p` on) and their row counts; returns each row's pair."""
    starts = keys[first]
    q = p + starts.size
    np.right_shift(starts, rows.bits, out=rows.pi[p:q], casting="unsafe")
    np.bitwise_and(starts, (1 << rows.bits) - 1, out=rows.pj[p:q], casting="unsafe")
    pair = np.cumsum(first)
    counts = np.bincount(pair, minlength=q - p + 1)  # [0]: rows of the pair before p
    if counts[0]:
        rows.row_len[p - 1] += counts[0]
    rows.row_len[p:q] = counts[1:]
    pair += p - 1
    return pair


def _base_rates(rows: Rows, at_rows: slice, pair: np.ndarray, plain: list[tuple[int, float]],
                spread: list[tuple[int, float, np.ndarray]], subgroup: np.ndarray,
                homophily: float) -> None:
    """Base rates of one chunk of rows: a per-pair context's rate, or a spread context's
    `rate x w x (1 / total_i + 1 / total_j)` from each end's weight total."""
    code, rrate = rows.code[at_rows], rows.rrate[at_rows]
    for c, rate in plain:
        rrate[code == c] = rate
    for c, rate, total in spread:
        at = code == c
        a, b = rows.pi[pair[at]], rows.pj[pair[at]]
        w = np.where(subgroup[a] == subgroup[b], homophily, 1.0)
        rrate[at] = rate * w * (1.0 / total[a] + 1.0 / total[b])
