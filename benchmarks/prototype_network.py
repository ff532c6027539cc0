"""Prototype of issue 11's peer network (design study: docs/design/peer-network.md). Not a test.

    python benchmarks/prototype_network.py [--quick] [--tick 7] [--repeats 7]

One replication's network in numpy: contact groups as keyed index arrays (class and community
pools, small groups of 8, vertical partners and mentors in the class above; three senior classes
at day 0), rows (pair, context) in one sorted array, pair-keyed thresholds. Rates change at year
starts and at leaves or exits; tie times are exact in between and booked every `tick` teaching
days. Leaves, exits, repeats and onsets are keyed stand-ins; rates are illustrative, not priors.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_model import SCENARIOS, bare_simpy, one_replication  # noqa: E402

CLASS, LC, VERTICAL, MENTOR, MENTOR_REV, GROUP = range(6)  # row codes; GROUP + period
U64, GOLDEN, CHUNK = np.uint64, 0x9E3779B97F4A7C15, 1 << 18
MIX = (U64(0xBF58476D1CE4E5B9), U64(0x94D049BB133111EB))
WEEK, MONTH = 1 / 7, 12 / 365  # per week, per month -> per day


@dataclass(frozen=True)
class Params:
    """One school and its (illustrative) contact rates, per teaching day."""

    class_size: int = 150
    cohorts: int = 4
    follow_up: int = 6
    communities: int = 4
    vertical: bool = True
    group_years: int = 1  # small groups kept this many years, then reshuffled
    pre_clerkship: int = 2
    teaching: float = 323.0
    tick: float = 28.0
    class_rate: float = 1.0 * WEEK  # each student's, spread over their class pool
    lc_rate: float = 1.0 * 1.2 * WEEK  # community contact x room, over the community pool
    vertical_rate: float = 0.3 * WEEK
    session_rate: float = 4 * 0.2 * MONTH  # with each member of the small group
    mentor_rate: float = 2.0 * MONTH
    pools: tuple[int, int, int] = (12, 20, 4)  # class, community, vertical acquaintances
    caseload: int = 4
    clerkship_contact: float = 0.35
    vertical_keep: float = 0.5
    homophily: float = 2.0  # contact weight of a same-subgroup partner
    contacts_to_tie: float = 20.0  # mean of a pair's Erlang-2 threshold
    memory_days: float = 180.0  # mean teaching days a tie lasts without contact
    notice: float = 0.06 * 0.35  # peer_notice x peer_escalate
    friend_in_difficulty: float = 0.5
    shares: tuple[float, float] = (0.17, 0.12)  # urim, low_income; the rest: none
    trace: bool = False


def key_of(seed: int, purpose: str) -> U64:
    """A 64-bit key for one purpose of one replication (as streams.py keys its Philox)."""
    ss = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(purpose.encode()),))
    return U64(ss.generate_state(1, np.uint64)[0])


def keyed_uniforms(key: U64, a: np.ndarray, b: np.ndarray, slot: int) -> np.ndarray:
    """Uniforms in (0, 1) depending only on (key, a, b, slot), by SplitMix64's bijective mixer:
    pair- or student-keyed draws that no other pair, structure or order can shift."""
    x = ((a.astype(U64) << U64(32)) | b.astype(U64)) ^ key
    for extra in (U64(0), U64(GOLDEN * (slot + 1) % 2**64)):
        x += extra
        x = (x ^ (x >> U64(30))) * MIX[0]
        x = (x ^ (x >> U64(27))) * MIX[1]
        x ^= x >> U64(31)
    return ((x >> U64(11)).astype(np.float64) + 0.5) * 2.0**-53


def ranked(group: np.ndarray, ids: np.ndarray, key: U64) -> tuple[np.ndarray, ...]:
    """Members by group in a keyed order: ids, group, their group's start and size, position."""
    order = np.lexsort((keyed_uniforms(key, group, ids, 0), group))
    g, ids = group[order], ids[order]
    first = np.concatenate(([True], g[1:] != g[:-1]))
    which = np.cumsum(first) - 1
    start = np.flatnonzero(first)[which]
    return ids, g, start, np.bincount(which)[which], np.arange(g.size) - start


def rings(group: np.ndarray, ids: np.ndarray, pool: int, key: U64) -> tuple[np.ndarray, ...]:
    """Pairs of every group: all of a small group's, else a ring lattice of `pool` neighbours."""
    ids, _, start, size, pos = ranked(group, ids, key)
    ok = [(2 * d < size) | ((2 * d == size) & (pos < d)) for d in range(1, pool // 2 + 1)]
    return (np.concatenate([ids[x] for x in ok]),
            np.concatenate([ids[(start + (pos + d) % size)[x]] for d, x in enumerate(ok, 1)]))


class Network:
    """State, contact rows and pairs of one replication; time is teaching days since day 0."""

    def __init__(self, p: Params, seed: int) -> None:
        self.p, k, n = p, p.class_size, p.class_size * (p.cohorts + 3)
        sid = self.sid = np.arange(n, dtype=np.int32)
        self.n_real = k * p.cohorts  # then the three classes in school at day 0
        self.cohort = np.where(sid < self.n_real, sid // k, -1 - (sid - self.n_real) // k)
        self.community = (sid % k) % p.communities
        u = keyed_uniforms(key_of(seed, "entry"), sid, sid, 0)
        self.subgroup = np.searchsorted(np.cumsum(p.shares), u, side="right").astype(np.int8)
        self.year = np.where(self.cohort < 0, -self.cohort, 0).astype(np.int8)  # on day -1
        self.here, self.gone = np.zeros(n, bool), np.zeros(n, bool)
        self.trouble_until = np.zeros(n, np.float32)  # in an episode until (stand-in)
        self.clock, self.log = 0.0, [] if p.trace else None
        cc, keep = p.clerkship_contact, p.vertical_keep * p.vertical
        t = np.zeros((16, 6, 6), np.float32)  # contact factor by code and both years (0: away)
        for y in range(1, 5):
            pre = y <= p.pre_clerkship
            t[CLASS, y, y], t[LC, y, 1:5] = (1.0 if pre else cc), keep  # keep: former classmates
            t[LC, y, y] = 1.0 if pre else cc + (1 - cc) * keep
            t[VERTICAL, y, 1:5] = t[MENTOR, 1, y] = t[MENTOR_REV, y, 1] = 1.0
            t[GROUP + (y - 1) // p.group_years, y, y] = pre
        self.table = t.ravel()
        self._rows(seed)

    def _contexts(self, seed: int):
        """(row code(s), rate spread over partners or, negative, per pair, pairs)."""
        p, real, sid, cohort = self.p, self.sid[: self.n_real], self.sid, self.cohort
        c, lc = cohort[: self.n_real], self.community[: self.n_real]
        yield CLASS, p.class_rate, rings(c, real, p.pools[0], key_of(seed, "class"))
        yield LC, p.lc_rate, rings(c * p.communities + lc, real, p.pools[1], key_of(seed, "lc"))
        for q in range(-(-p.pre_clerkship // p.group_years)):  # a new draw each period
            ids, g, _, _, pos = ranked(c, real, key_of(seed, f"group{q}"))
            yield GROUP + q, -p.session_rate, rings(g * p.class_size + pos // 8, ids, 8,
                                                    key_of(seed, f"in-group{q}"))
        g = (cohort + 3) * p.communities + self.community  # class x community
        up = (cohort >= -1) & (cohort < p.cohorts - 1)
        s_ids, s_g, s_start, s_size, _ = ranked(g[up], sid[up], key_of(seed, "senior"))
        start, size = np.zeros(g.max() + 1, int), np.zeros(g.max() + 1, int)
        start[s_g], size[s_g] = s_start, s_size
        j_ids, j_g, _, _, pos = ranked(g[: self.n_real], real, key_of(seed, "junior"))
        st, sz, v = start[j_g - p.communities], size[j_g - p.communities], p.pools[2]
        if p.vertical:  # each junior: v seniors of their community in the class above
            at = np.repeat(st, v) + np.arange(j_ids.size * v) % np.repeat(sz, v)
            yield VERTICAL, p.vertical_rate, (np.repeat(j_ids, v), s_ids[at])
        m = pos // p.caseload
        ok = m < sz  # the rest are unmatched mentees
        self.unmatched, mentor = 1.0 - ok.mean(), s_ids[st[ok] + m[ok]]
        yield np.where(mentor < j_ids[ok], MENTOR_REV, MENTOR), -p.mentor_rate, (j_ids[ok], mentor)

    def _rows(self, seed: int) -> None:
        """Rows: one sorted array of packed (pair, code) keys. Pairs: keyed draws; a student's
        pairs are where they are the lower id (a sorted range) or the higher (CSR)."""
        p, n, keys, spread = self.p, self.sid.size, [], {}
        for code, rate, (i, j) in self._contexts(seed):
            if rate == 0:  # a context without contact makes no rows: results as without it
                continue
            if rate > 0:  # each student spreads `rate` over partners, same subgroup weighted
                w = np.where(self.subgroup[i] == self.subgroup[j], p.homophily, 1.0)
                spread[code] = rate, np.bincount(i, w, n) + np.bincount(j, w, n)
            lo, hi = np.minimum(i, j).astype(np.int64), np.maximum(i, j)
            keys.append(((lo * n + hi) << 4) | code)
        keys = np.concatenate(keys)
        keys.sort()
        self.code = (keys & 15).astype(np.uint8)
        keys >>= 4
        i, j = np.empty(keys.size, np.int32), np.empty(keys.size, np.int32)
        np.floor_divide(keys, n, out=i, casting="unsafe")  # in place: no 8-byte temporaries
        np.remainder(keys, n, out=j, casting="unsafe")
        self.rrate = np.full(keys.size, p.session_rate, np.float16)  # deterministic rounding
        self.rrate[(self.code == MENTOR) | (self.code == MENTOR_REV)] = p.mentor_rate
        for code, (rate, tot) in spread.items():
            at = self.code == code
            w = np.where(self.subgroup[i[at]] == self.subgroup[j[at]], p.homophily, 1.0)
            self.rrate[at] = rate * w * (1.0 / tot[i[at]] + 1.0 / tot[j[at]])
        first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))).astype(np.int32)
        self.row_len = np.diff(first, append=np.int32(keys.size)).astype(np.uint8)  # a pair's
        self.pi, self.pj, m = i[first], j[first], first.size
        del keys, i, j, first  # (and build the CSR before the pair arrays: a lower peak)
        self.hi_pairs = np.argsort(self.pj, kind="stable").astype(np.int32)
        self.hi_ptr = np.concatenate(([0], np.cumsum(np.bincount(self.pj, minlength=n))))
        self.lo_ptr = np.searchsorted(self.pi, np.arange(n + 1))
        self.need, self.memory = np.empty(m, np.float16), np.empty(m, np.float16)
        for a in range(0, m, CHUNK):  # chunks bound the temporaries
            u = [keyed_uniforms(key_of(seed, "tie"), self.pi[a:a + CHUNK], self.pj[a:a + CHUNK],
                                s) for s in range(3)]
            self.need[a:a + CHUNK] = -np.log(u[0] * u[1]) * p.contacts_to_tie / 2
            self.memory[a:a + CHUNK] = -np.log(u[2]) * p.memory_days
        self.c0 = np.zeros(m, np.float32)  # the pair's contacts so far: c0 + rate x clock
        self.rate = np.zeros(m, np.float32)
        self.change_at = np.full(m, np.inf, np.float32)  # a tie forms, or one dissolves
        self.tie, self.degree = np.zeros(m, bool), np.zeros(n, np.int32)

    def pairs_of(self, s: int) -> np.ndarray:
        return np.concatenate((self.hi_pairs[self.hi_ptr[s]:self.hi_ptr[s + 1]],
                               np.arange(self.lo_ptr[s], self.lo_ptr[s + 1], dtype=np.int32)))

    def year_start(self, y: int, repeat: np.ndarray) -> None:
        """Leaves end; `repeat` students repeat, others move up or graduate; cohort y enters;
        every pair's rate from its rows and both years, in chunks bounding the temporaries."""
        now = (self.year >= 1) & ~self.gone
        self.year[now & ~repeat] += 1
        self.gone |= self.year > 4
        self.year[self.cohort == y] = 1
        self.here = (self.year >= 1) & ~self.gone
        self.step(self.clock)
        r0, year = 0, self.year * self.here  # 0 if away
        for a in range(0, self.pi.size, CHUNK):
            idx, lens = slice(a, a + CHUNK), self.row_len[a:a + CHUNK].astype(np.int64)
            end = np.cumsum(lens)  # the pairs' rows, from row r0 on
            rows = slice(r0, r0 + int(end[-1]))
            both = np.repeat(year[self.pi[idx]] * 6 + year[self.pj[idx]], lens)
            f = self.table[self.code[rows].astype(np.int32) * 36 + both]
            self._set(idx, np.add.reduceat(self.rrate[rows] * f, end - lens))
            r0 += int(end[-1])

    def absent(self, s: int) -> None:
        """Student `s` goes on leave or leaves: the contact of all their pairs stops."""
        self.here[s] = False
        idx = self.pairs_of(s)
        due = self.change_at[idx] <= self.clock  # first book what the old rates made
        self._book(idx[due & ~self.tie[idx]], idx[due & self.tie[idx]])
        self._set(idx, np.zeros(idx.size, np.float32))

    def _set(self, idx: slice | np.ndarray, rate: np.ndarray) -> None:
        """New contact rates from now: when each pair becomes a tie, or a tie dissolves."""
        now, tie, old = self.clock, self.tie[idx], self.rate[idx]
        self.c0[idx] += (old - rate) * now  # the contacts so far stay as they are
        self.rate[idx] = rate
        on = rate > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            due = np.maximum((self.need[idx] - self.c0[idx]) / rate, now)
        stop = tie & (old > 0) & ~on  # a tie loses its contact: it lasts its memory from now
        end = np.where(stop, self.memory[idx].astype(np.float32) + now, self.change_at[idx])
        self.change_at[idx] = np.where(tie, np.where(on, np.inf, end), np.where(on, due, np.inf))

    def step(self, now: float) -> None:
        """Book the ties formed or dissolved by `now` (degrees change)."""
        self.clock = now
        due = np.flatnonzero(self.change_at <= now)
        if due.size:
            self._book(due[~self.tie[due]], due[self.tie[due]])

    def _book(self, new: np.ndarray, lost: np.ndarray) -> None:
        self.tie[new], self.tie[lost] = True, False
        self.change_at[new], self.change_at[lost], self.c0[lost] = np.inf, np.inf, 0.0
        for idx, d in ((new, 1), (lost, -1)):
            np.add.at(self.degree, self.pi[idx], d)
            np.add.at(self.degree, self.pj[idx], d)
        if self.log is not None and (new.size or lost.size):
            self.log.append((self.clock, new, lost))

    def friend_hazard(self, s: int, now: float) -> float:
        """Daily hazard that a friend notices an episode of `s` beginning `now`: each tie's
        contact rate (0 once the friend is away), less for a friend in difficulty."""
        k = self.pairs_of(s)
        k = k[self.tie[k]]
        busy = self.trouble_until[self.pi[k] + self.pj[k] - s] > now
        return self.p.notice * float(self.rate[k] @ np.where(busy, self.p.friend_in_difficulty,
                                                             1.0))


def simulate(p: Params, seed: int = 1) -> dict:
    """Build and run one replication's network, with keyed stand-ins for leaves (6%), exits
    (3%), repeats (3%) and episode onsets (0.74 a student); its figures and seconds."""
    t0 = time.perf_counter()
    net, k, n, teach = Network(p, seed), p.class_size, p.class_size * p.cohorts, p.teaching
    built = time.perf_counter() - t0
    real, entry = net.sid[:n], net.cohort[:n] * teach
    u = [keyed_uniforms(key_of(seed, "events"), real, real, s) for s in range(4)]
    kind = np.select([u[0] < 0.06, u[0] < 0.09, u[0] < 0.12], [1, 2, 3], 0)  # leave exit repeat
    moves = np.flatnonzero((kind == 1) | (kind == 2))
    ev_at = (entry + u[1] * 4 * teach)[moves]
    moves, ev_at = moves[np.argsort(ev_at)], np.sort(ev_at)
    many = [u[3] < c for c in (0.47, 0.2, 0.07)]
    on_at = np.concatenate([(entry + (u[2] + b / 3) % 1 * 4 * teach)[x] for b, x in
                            enumerate(many)])
    on_sid = np.concatenate([real[x] for x in many])[np.argsort(on_at)]
    on_at, e, o, snap, hazards = np.sort(on_at), 0, 0, np.zeros((n, 2), np.int32), []
    for y in range(p.cohorts - 1 + p.follow_up):
        for c in range(max(0, y - 2), min(y, p.cohorts)):  # end of cohort c's year y - c
            snap[c * k:(c + 1) * k, y - c - 1] = net.degree[c * k:(c + 1) * k]
        rep = np.zeros(net.sid.size, bool)
        rep[:n] = (kind == 3) & ((u[1] * 4).astype(int) + 1 == y - net.cohort[:n])
        net.clock = y * teach
        net.year_start(y, rep | ~net.here)  # back from a leave: the year again
        for t in y * teach + np.append(np.arange(p.tick, teach, p.tick), teach):
            for x in range(e, e := int(np.searchsorted(ev_at, t, side="right"))):
                net.clock, s = float(ev_at[x]), int(moves[x])  # a leave (to the year end)
                net.gone[s] |= kind[s] == 2  # or an exit
                net.absent(s)
            for x in range(o, o := int(np.searchsorted(on_at, t, side="right"))):
                if net.here[s := int(on_sid[x])]:
                    hazards.append(net.friend_hazard(s, float(on_at[x])))
                    net.trouble_until[s] = on_at[x] + 60.0
            net.step(float(t))
    first, sub, h = snap[:, 0], net.subgroup[:n], np.asarray(hazards) * 365
    out = {"seconds": time.perf_counter() - t0, "build_seconds": built,
           "pairs_per_student": net.pi.size / n, "ties_year1": float(first.mean()),
           "ties_year2": float(snap[:, 1].mean()), "ties_p10_year1": np.percentile(first, 10),
           "isolated_share": float((first <= 1).mean()), "unmatched": float(net.unmatched),
           "peer_per_year": float(h.mean()), "digest": [int(snap.sum()), float(net.c0.sum())]}
    for g, name in enumerate(("urim", "low_income", "none")):
        out[f"isolated_{name}"] = float((first[sub == g] <= 1).mean())
    out["tie_events"] = sum(a.size + b.size for _, a, b in net.log or [])
    return out


def timed(p: Params, repeats: int) -> tuple[float, float, dict]:
    """Median and fastest seconds of `repeats` replications (the machine may be shared)."""
    runs = [simulate(p, seed) for seed in range(1, repeats + 1)]
    return statistics.median(r["seconds"] for r in runs), min(r["seconds"] for r in runs), runs[0]


def model_seconds(name: str, repeats: int, trace: bool = False) -> float:
    """Median seconds of a shipped scenario's replication; `trace`: each setback, year end,
    leave and exit also appends a row to an event log (the model's side of `--trace`)."""
    from lcsim.model.progression import Progression
    from lcsim.model.setbacks import Setbacks

    hooks = [(Setbacks, "_setback"), (Progression, "year_end"), (Progression, "finish"),
             (Progression, "leave_of_absence")]
    saved, log = [getattr(cls, f) for cls, f in hooks], []
    for (cls, f), plain in zip(hooks, saved, strict=True):
        def logged(self, first, *rest, _f=plain, _n=f):
            log.append((self.env.now, _n, getattr(first, "id", -1), rest[:1]))
            return _f(self, first, *rest)
        setattr(cls, f, logged if trace else plain)
    sec = statistics.median(one_replication(SCENARIOS / f"{name}.yaml", s)[0]
                            for s in range(repeats))
    for (cls, f), plain in zip(hooks, saved, strict=True):
        setattr(cls, f, plain)
    return sec


def fresh(students: int, tick: float) -> dict:
    """A network of `students` in a fresh process; its memory at start and peak (VmRSS, VmHWM:
    ru_maxrss would inherit this parent's peak across exec)."""
    code = (f"import json,sys; sys.path.insert(0,{str(Path(__file__).parent)!r})\n"
            "import prototype_network as m\n"
            "kb=lambda k: int(next(x for x in open('/proc/self/status') if x.startswith(k))"
            ".split()[1])\n"
            f"base=kb('VmRSS'); r=m.simulate(m.Params(class_size={students // 4}, tick={tick}))"
            "\nr.update(base_kb=base, peak_kb=kb('VmHWM')); print(json.dumps(r))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--tick", type=float, default=28.0, help="teaching days per booking")
    parser.add_argument("--quick", action="store_true", help="skip the 10k/100k runs")
    args = parser.parse_args()
    ref = statistics.median(bare_simpy(i) for i in range(args.repeats))
    print(f"bare SimPy reference {ref:.3f} s; budget 0.5 x reference = {0.5 * ref:.3f} s")
    lc = Params(tick=args.tick)
    none = replace(lc, communities=1, lc_rate=0, vertical=False, session_rate=0, mentor_rate=0)
    for label, p in (("no community", none), ("4 LCs, groups reshuffled", lc),
                     ("4 LCs, groups kept 2 years", replace(lc, group_years=2)),
                     ("1 LC of 150 a class", replace(lc, communities=1)),
                     ("4 LCs, no homophily", replace(lc, homophily=1.0))):
        sec, fast, r = timed(p, args.repeats)
        print(f"{label:>26}: {sec * 1000:4.1f} ms (fastest {fast * 1000:4.1f}) = {sec / ref:.3f}"
              f" x ref, {r['pairs_per_student']:.1f} pairs a student; ties y1 "
              f"{r['ties_year1']:.1f} (p10 {r['ties_p10_year1']:.0f}), y2 {r['ties_year2']:.1f};"
              f" isolated {r['isolated_share']:.3f} (urim {r['isolated_urim']:.3f}, none "
              f"{r['isolated_none']:.3f}); friends notice {r['peer_per_year']:.2f}/yr at onset")
    quiet = replace(lc, session_rate=0.0)  # no small-group contact: stability changes nothing
    same = simulate(quiet)["digest"] == simulate(replace(quiet, group_years=2))["digest"]
    print(f"no small-group contact, groups kept vs reshuffled: identical = {same}")
    plain, _, _ = timed(lc, args.repeats)
    traced, _, r = timed(replace(lc, trace=True), args.repeats)
    print(f"tie trace ({r['tie_events']} events): {traced * 1000:.1f} ms vs {plain * 1000:.1f}")
    for name in ("baseline", "equity-lc"):
        sec, logged = model_seconds(name, args.repeats), model_seconds(name, args.repeats, True)
        print(f"{name:>10}: model {sec:.3f} s = {sec / ref:.2f} x ref; + network "
              f"{(sec + plain) / ref:.2f} x ref; model event log {logged / sec - 1:+.0%}")
    if args.quick:
        return
    small, large = fresh(10_000, args.tick), fresh(100_000, args.tick)
    per = (large["peak_kb"] - large["base_kb"]) * 1024 / 100_000
    print(f"10k: {small['seconds']:.2f} s; 100k: {large['seconds']:.2f} s (build "
          f"{large['build_seconds']:.2f} s); time ratio {large['seconds'] / small['seconds']:.1f}")
    print(f"100k: peak {large['peak_kb'] / 1024:.0f} MB over {large['base_kb'] / 1024:.0f} MB ="
          f" {per:,.0f} bytes per student (network alone); ties y1 {large['ties_year1']:.1f}, "
          f"isolated {large['isolated_share']:.3f}")


if __name__ == "__main__":
    main()
