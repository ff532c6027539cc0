"""One student's life in plain words, from the stored tables of a run or a comparison.

`read_lives` reads the student's row, episodes and events (``events.parquet``, written with
``--trace``) of one replication from each scenario directory; `chronology` turns one life into
dated lines (entry, setbacks and whether each became an episode, each episode's steps, leaves,
returns, ties formed and lost (`story_ties`), year results, the exit); `render` prints one
life, or several side by side, with the lines that are the same under every structure (common
random numbers) printed once.
Nothing here runs the model: the picks of `lcsim story --pick` are in `story_pick`.
"""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lcsim.experiment.errors import RunError
from lcsim.reports.story_ties import tie_lines

DAYS_PER_YEAR = 365.0  # the model's year (lcsim.model.units; reports do not import the model)
DAYS_PER_WEEK = 7.0
CHANNEL_WORDS = {"self": "the student (self-referral)", "peer": "a friend",
                 "mentor": "a near-peer mentor", "coach": "their coach",
                 "facilitator": "a small-group facilitator", "advisor": "their advisor",
                 "institution": "the institution (early-alert)"}
OUTCOME_WORDS = {"recovered": "recovered without help", "resolved": "resolved with help",
                 "mitigated": "mitigated with help", "loa": "a leave of absence",
                 "withdrew": "the student withdrew", "graduated": "the student graduated",
                 "dismissed": "the student was dismissed", "exit": "the student left",
                 "censored": "still open at the end of follow-up"}
SETBACK_WORDS = {"personal": "a personal setback", "academic": "an academic setback at exams",
                 "licensing": "a setback at the licensing exam"}
YEAR_WORDS = {"passed": "passed class year {y}", "repeated": "failed class year {y}: repeats it",
              "dismissed": "failed class year {y} a second time: dismissed",
              "withdrew": "withdrew at the year's end", "graduated": "passed class year 4",
              "research_year": "passed class year 3; begins a research year",
              "research_done": "finished the research year"}
PICK_WORDS = {"left": "withdrew or was dismissed", "late": "an episode helped more than 90 days "
              "after it began", "unhelped": "an episode ended in a leave or a withdrawal "
              "without help", "helped-late": "an episode helped later than the median",
              "saved": "left under the reference, graduated under a proposal",
              "earlier": "an episode helped at least 60 days earlier under a proposal"}
EXIT_WORDS = {"graduated": "graduated", "withdrawn": "left the school (withdrew)",
              "dismissed": "dismissed", "enrolled": "still enrolled at the end of follow-up"}


class StoryError(RunError):
    """No story can be told from this directory or for this student (exit code 2)."""


@dataclass
class Life:
    """One student in one scenario directory: their row, episodes and events."""

    scenario: str
    student: dict[str, Any]
    episodes: pd.DataFrame
    events: pd.DataFrame


@dataclass(frozen=True)
class Line:
    """One dated line of a story: ``order`` sorts lines of the same day."""

    day: float
    order: int
    text: str


def scenario_dirs(directory: Path) -> list[tuple[str, Path]]:
    """(name, directory) of each scenario: one for a run, the reference first for a comparison.

    A comparison without common random numbers is refused: the same id is not the same life.
    """
    if not directory.is_dir():
        raise StoryError(f"{directory} is not a directory")
    record = directory / "compare.json"
    if record.is_file():
        info = json.loads(record.read_text(encoding="utf-8"))
        if not info.get("crn", True):
            raise StoryError(f"{directory} was compared with --no-crn: a student id is not the "
                             "same life in each scenario, so no paired story can be told")
        return [(s["name"], directory / s["name"]) for s in info["scenarios"]]
    if (directory / "students.parquet").is_file():
        return [(directory.name, directory)]
    raise StoryError(f"{directory} holds no run or comparison (no students.parquet or "
                     "compare.json)")


def events_path(directory: Path) -> Path:
    """The event log of a run directory; refused if the run was not traced."""
    path = directory / "events.parquet"
    if not path.is_file():
        raise StoryError(f"{directory} has no events.parquet: it was run without --trace "
                         "(rerun with --trace all or --trace 0.1)")
    return path


def _where(replication: int, student: int | None = None) -> list[tuple[str, str, int]]:
    keys = [("replication", "==", replication)]
    return keys if student is None else [*keys, ("student", "==", student)]


def read_life(name: str, directory: Path, replication: int, student: int) -> Life:
    """One student's stored tables (read with predicate pushdown: a row group at a time)."""
    events = pd.read_parquet(events_path(directory), filters=_where(replication, student))
    if events.empty:
        raise StoryError(f"student {student} of replication {replication} is not traced in "
                         f"{directory} (pick a traced one with --pick, or rerun with "
                         "--trace all)")
    rows = pd.read_parquet(directory / "students.parquet", filters=_where(replication, student))
    episodes = pd.read_parquet(directory / "episodes.parquet",
                               filters=_where(replication, student))
    if "noticed_by" in episodes:  # ids past the last student: the senior classes of day 0
        ids = pd.read_parquet(directory / "students.parquet", columns=["student"],
                              filters=_where(replication))["student"]
        episodes["senior"] = episodes["noticed_by"] > ids.max()
    return Life(name, rows.iloc[0].to_dict(), episodes.sort_values("onset", kind="stable"),
                events)


def read_lives(directory: Path, replication: int, student: int) -> list[Life]:
    """The student's life in each scenario of ``directory`` (the reference first)."""
    return [read_life(name, path, replication, student)
            for name, path in scenario_dirs(directory)]


def when(day: float, entry: float) -> str:
    """A day as the student's school year and week ("year 2, week 14"; "end of year 1")."""
    since = day - entry
    year = int(since // DAYS_PER_YEAR)
    within = since - year * DAYS_PER_YEAR
    if year > 0 and within < 1e-6:
        return f"end of year {year}"
    return f"year {year + 1}, week {int(within // DAYS_PER_WEEK) + 1}"


def _after(day: float, start: float) -> str:
    days = round(day - start)
    return "the same day" if days == 0 else f"{days} day{'s' * (days != 1)} after it began"


def _episode_lines(ep: Any) -> list[Line]:
    """The steps of one episode (a row of episodes.parquet)."""
    onset = float(ep.onset)
    lines = [Line(onset, 2, f"→ it became an {ep.type} episode (severity {int(ep.severity)})"
                  if ep.type[0] in "aeiou" else
                  f"→ it became a {ep.type} episode (severity {int(ep.severity)})")]
    if not math.isnan(ep.detected_at):
        channel = CHANNEL_WORDS.get(ep.channel, str(ep.channel))
        who = int(getattr(ep, "noticed_by", -1))  # tables before issue 11 have no column
        if who >= 0:
            channel += (", a student of a class already in school on day 0" if
                        getattr(ep, "senior", False) else f", student {who}")
        lines.append(Line(ep.detected_at, 3, f"noticed by {channel}, "
                          f"{_after(ep.detected_at, onset)}"))
    if not math.isnan(ep.referred_at):
        lines.append(Line(ep.referred_at, 4, "referred to support"))
    if not math.isnan(ep.intervention_start):
        lines.append(Line(ep.intervention_start, 5,
                          f"help began, {_after(ep.intervention_start, onset)}"))
    if not math.isnan(ep.ended_at):
        words = OUTCOME_WORDS.get(ep.outcome, str(ep.outcome))
        lines.append(Line(ep.ended_at, 6, f"the {ep.type} episode ended: {words}"))
    return lines


def _event_line(ev: Any, entry: float) -> Line | None:
    """The line of one logged event (None for those the story leaves out)."""
    kind, detail, day = ev.kind, ev.detail, float(ev.day)
    if kind == "setback":
        text = SETBACK_WORDS.get(detail, f"a {detail} setback")
        return Line(day, 1, text if ev.episode >= 0 else f"{text}; it passed")
    if kind == "year_end":
        year = int(ev.value)
        return Line(day, 0, YEAR_WORDS.get(detail, detail).format(y=year))
    if kind == "leave":
        return Line(day, 8, f"went on a leave of absence, back at the {when(ev.value, entry)}")
    if kind == "return":
        return Line(day, 9, f"returned from leave into class year {int(ev.value)}")
    if kind == "exit" and detail in ("withdrawn", "enrolled"):
        return Line(day, 10, EXIT_WORDS[detail])
    return None  # entry: in the heading; other exits: said by the year's result


def chronology(life: Life) -> list[Line]:
    """The dated lines of one life, in order."""
    entry = float(life.student["entry"])
    lines = [line for ev in life.events.itertuples()
             if (line := _event_line(ev, entry)) is not None]
    left = (math.nan if life.student["status"] == "enrolled"
            else float(life.student["exit_time"]))
    lines.extend(Line(day, 7, text)
                 for day, text in tie_lines(life.events, entry, left, DAYS_PER_YEAR))
    for ep in life.episodes.itertuples():
        lines.extend(_episode_lines(ep))
    return sorted(lines, key=lambda x: (round(x.day, 6), x.order))


def outcome(life: Life) -> str:
    """How the student's follow-up ended, in words."""
    s = life.student
    status, entry = s["status"], float(s["entry"])
    if status == "enrolled":
        return EXIT_WORDS["enrolled"]
    exit_day = float(s["exit_time"])
    years = (exit_day - entry) / DAYS_PER_YEAR
    return f"{EXIT_WORDS.get(status, status)} ({when(exit_day, entry)}, {years:.1f} years in)"


def heading(life: Life, replication: int) -> str:
    """Who the student is."""
    s = life.student
    coach = f", coach {int(s['coach'])}" if int(s["coach"]) >= 0 else ""
    return (f"Student {int(s['student'])}, replication {replication}: entered with cohort "
            f"{int(s['cohort'])}, subgroup {s['subgroup']}, community {int(s['community'])}"
            f"{coach}")


def render(lives: list[Life], replication: int, width: int = 38) -> str:
    """The story as text: one life, or each scenario side by side (reference first)."""
    entry = float(lives[0].student["entry"])
    out = [heading(lives[0], replication)]
    if len(lives) == 1:
        out.append("")
        last = ""
        for line in chronology(lives[0]):
            date = when(line.day, entry)
            out.append(f"  {date if date != last else '':<18} {line.text}")
            last = date
        out += ["", f"Outcome: {outcome(lives[0])}"]
        return "\n".join(out) + "\n"
    return "\n".join(out + side_by_side(lives, entry, width)) + "\n"


def shared_rows(lives: list[Life]) -> list[tuple[float, int, str, tuple[str, ...]]]:
    """Every distinct line (day, order, text) with the scenarios it happens in, in order."""
    seen: dict[tuple[float, int, str], list[str]] = {}
    for life in lives:
        for line in chronology(life):
            seen.setdefault((round(line.day, 6), line.order, line.text), []).append(
                life.scenario)
    return [(d, o, t, tuple(names)) for (d, o, t), names in
            sorted(seen.items(), key=lambda kv: (kv[0][0], kv[0][1]))]


def side_by_side(lives: list[Life], entry: float, width: int) -> list[str]:
    """Lines the same in every scenario once across the page; the others in columns."""
    names = [life.scenario for life in lives]
    pad = " " * 21
    out = ["", "The same setbacks, a different structure: lines across the page happen under "
           "every structure; lines in a column happen only there.", "",
           (pad + " | ".join(f"{n[:width]:<{width}}" for n in names)).rstrip(),
           pad + "-+-".join("-" * width for _ in names)]
    last = ""
    for day, _, text, where in shared_rows(lives):
        date = when(day, entry)
        stamp = f"  {date if date != last else '':<18} "
        last = date
        if len(where) == len(names):
            out.append(stamp + text)
            continue
        cells = [textwrap.wrap(text, width) if n in where else [] for n in names]
        for k in range(max(len(c) for c in cells)):
            row = " | ".join(f"{(c[k] if k < len(c) else ''):<{width}}" for c in cells)
            out.append((stamp if k == 0 else pad) + row.rstrip())
    out += ["", "Outcome:"] + [f"  {life.scenario}: {outcome(life)}" for life in lives]
    return out


def as_json(lives: list[Life], replication: int) -> dict[str, Any]:
    """The story as a JSON-ready object (`lcsim story --json`)."""
    entry = float(lives[0].student["entry"])
    s = lives[0].student
    return {
        "replication": replication, "student": int(s["student"]), "cohort": int(s["cohort"]),
        "subgroup": str(s["subgroup"]), "community": int(s["community"]),
        "scenarios": [life.scenario for life in lives],
        "outcomes": {life.scenario: {"status": str(life.student["status"]),
                                     "text": outcome(life)} for life in lives},
        "lines": [{"day": day, "when": when(day, entry), "text": text,
                   "scenarios": list(where)} for day, _, text, where in shared_rows(lives)],
    }


@dataclass
class Story:
    """One student's story in a run or comparison directory (what `lcsim story` prints)."""

    directory: Path
    replication: int
    student: int
    pick: str | None
    lives: list[Life]

    def text(self) -> str:
        """The story in plain words (side by side for a comparison)."""
        why = (f"Picked with --pick {self.pick}: {PICK_WORDS.get(self.pick, self.pick)}.\n"
               if self.pick else "")
        return why + render(self.lives, self.replication)

    def to_json(self) -> dict[str, Any]:
        """The story as a JSON-ready object."""
        return {"directory": str(self.directory), "pick": self.pick,
                **as_json(self.lives, self.replication)}
