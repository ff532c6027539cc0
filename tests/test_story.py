"""`lcsim story`: a hand-built student with a known chronology gives an exact text; real runs
and comparisons give stories that agree with their tables; bad input is one line, exit 2."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from lcsim import api
from lcsim.cli.main import main as cli
from lcsim.model.units import DAYS_PER_WEEK, DAYS_PER_YEAR
from lcsim.reports import story as story_module
from lcsim.reports.story import StoryError
from lcsim.reports.story_pick import pick_key, pick_student

NAN = math.nan


def _write(directory: Path, **tables: pd.DataFrame) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_parquet(directory / f"{name}.parquet", index=False)
    return directory


def _hand_built(directory: Path) -> Path:
    """Student 7 of cohort 1 (entry day 365): two setbacks, a leave, a return, a year passed,
    an episode noticed by a friend (student 8), never helped, and a withdrawal."""
    students = pd.DataFrame({
        "replication": [0, 0], "student": [7, 8], "cohort": [1, 1], "subgroup": ["urim", "none"],
        "community": [2, 3], "coach": [-1, 4], "entry": [365.0, 365.0],
        "status": ["withdrawn", "graduated"], "exit_time": [1165.0, 1825.0]})
    episodes = pd.DataFrame({
        "replication": [0, 0], "episode": [4, 5], "student": [7, 7],
        "type": ["academic", "wellbeing"], "severity": [2, 1], "onset": [465.0, 1105.0],
        "detected_at": [500.0, 1125.0], "channel": ["advisor", "peer"],
        "referred_at": [NAN, NAN], "intervention_start": [NAN, NAN],
        "resolved_at": [NAN, NAN], "ended_at": [515.0, 1165.0], "outcome": ["loa", "withdrew"],
        "noticed_by": [-1, 8]})
    rows = [(7, 365.0, "entry", -1, "urim", 1.0), (7, 395.0, "setback", -1, "personal", 0.0),
            (7, 465.0, "setback", 4, "academic", 0.5), (7, 515.0, "leave", 4, "academic", 730.0),
            (7, 730.0, "return", -1, "", 1.0), (7, 1095.0, "year_end", -1, "passed", 1.0),
            (7, 1105.0, "setback", 5, "personal", 0.1), (7, 1165.0, "exit", -1, "withdrawn", 1.0),
            (8, 365.0, "entry", -1, "none", 1.0)]
    events = pd.DataFrame(rows, columns=["student", "day", "kind", "episode", "detail", "value"])
    events.insert(0, "replication", 0)
    events["other"] = -1
    return _write(directory, students=students, episodes=episodes, events=events)


EXPECTED = """\
Student 7, replication 0: entered with cohort 1, subgroup urim, community 2

  year 1, week 5     a personal setback; it passed
  year 1, week 15    an academic setback at exams
                     → it became an academic episode (severity 2)
  year 1, week 20    noticed by their advisor, 35 days after it began
  year 1, week 22    the academic episode ended: a leave of absence
                     went on a leave of absence, back at the end of year 1
  end of year 1      returned from leave into class year 1
  end of year 2      passed class year 1
  year 3, week 2     a personal setback
                     → it became a wellbeing episode (severity 1)
  year 3, week 5     noticed by a friend, student 8, 20 days after it began
  year 3, week 11    the wellbeing episode ended: the student withdrew
                     left the school (withdrew)

Outcome: left the school (withdrew) (year 3, week 11, 2.2 years in)
"""


def test_a_hand_built_chronology_is_told_exactly(tmp_path: Path) -> None:
    run = _hand_built(tmp_path / "run")
    story = api.story(run, student=7)
    assert story.text() == EXPECTED
    data = story.to_json()
    assert data["student"] == 7 and data["outcomes"]["run"]["status"] == "withdrawn"
    assert [x["when"] for x in data["lines"]][:2] == ["year 1, week 5", "year 1, week 15"]


def test_a_noticer_of_the_senior_classes_is_not_named_as_a_student(tmp_path: Path) -> None:
    """Ids past the last simulated student belong to the network's senior classes of day 0,
    which have no row of their own."""
    run = _hand_built(tmp_path / "run")
    episodes = pd.read_parquet(run / "episodes.parquet")
    episodes["noticed_by"] = [-1, 412]
    episodes.to_parquet(run / "episodes.parquet")
    text = api.story(run, student=7).text()
    assert "noticed by a friend, a student of a class already in school on day 0" in text
    assert "412" not in text


def test_picks_choose_among_traced_students_reproducibly(tmp_path: Path) -> None:
    run = _hand_built(tmp_path / "run")
    assert pick_student(run, 0, "left") == 7
    assert pick_student(run, 0, "unhelped") == 7
    assert pick_student(run, 0, "late") is None
    assert api.story(run, pick="left").text().startswith("Picked with --pick left")
    with pytest.raises(StoryError, match="fits --pick late"):
        api.story(run, pick="late")
    with pytest.raises(StoryError, match="not a comparison"):
        api.story(run, pick="saved")
    assert pick_key(0, "left", 0, 7) == pick_key(0, "left", 0, 7) != pick_key(1, "left", 0, 7)


def test_the_story_keeps_the_models_year(tmp_path: Path) -> None:
    assert story_module.DAYS_PER_YEAR == DAYS_PER_YEAR
    assert story_module.DAYS_PER_WEEK == DAYS_PER_WEEK


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    run = _hand_built(tmp_path / "run")
    untraced = _write(tmp_path / "untraced", students=pd.read_parquet(run / "students.parquet"))
    (tmp_path / "nocrn").mkdir()
    (tmp_path / "nocrn" / "compare.json").write_text(json.dumps(
        {"crn": False, "scenarios": [{"name": "a"}, {"name": "b"}]}))
    cases = {(tmp_path / "missing", "7"): "is not a directory",
             (run, "9"): "student 9 of replication 0 is not traced",
             (untraced, "7"): "run without --trace",
             (tmp_path / "nocrn", "7"): "--no-crn"}
    for (directory, student), words in cases.items():
        code, out, err = _cli(["story", directory, "--student", student], capsys)
        assert code == 2 and out == "" and words in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.fixture(scope="module")
def small_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("story-scenarios")
    scenarios = Path(__file__).resolve().parents[1] / "scenarios"
    files = {}
    for name, base in (("ref", "baseline"), ("twin", "baseline"), ("lc", "coached-lc")):
        files[name] = root / f"{name}.yaml"
        files[name].write_text(f"extends: {scenarios / base}.yaml\nname: {name}\n"
                               "population: {class_size: 40, cohorts: 2}\n")
    return files


def test_a_real_run_story_agrees_with_its_tables(small_files: dict[str, Path],
                                                 tmp_path: Path) -> None:
    out = tmp_path / "run"
    api.run(small_files["ref"], out=out, replications=2, seed=5, workers=1, progress=False,
            trace="all")
    students = pd.read_parquet(out / "students.parquet")
    episodes = pd.read_parquet(out / "episodes.parquet")
    for rep, sid in [(0, 0), (1, 45), (0, 79)]:
        text = api.story(out, student=sid, replication=rep).text()
        mine = episodes[(episodes["replication"] == rep) & (episodes["student"] == sid)]
        assert text.count("→ it became") == len(mine)
        status = students.set_index(["replication", "student"]).loc[(rep, sid), "status"]
        last = text.strip().splitlines()[-1]
        assert last.startswith("Outcome: " + story_module.EXIT_WORDS[status])


def test_a_comparison_with_itself_shares_every_line_and_proposals_differ(
        small_files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    api.compare([small_files["ref"], small_files["twin"], small_files["lc"]], out=out,
                replications=5, seed=1, workers=1, progress=False, report=False, trace="all")
    story = api.story(out, pick="saved", replication=0)
    data = story.to_json()
    assert data["scenarios"] == ["ref", "twin", "lc"]
    assert data["outcomes"]["ref"]["status"] in ("withdrawn", "dismissed")
    assert data["outcomes"]["lc"]["status"] == "graduated"
    # ref and twin are the same structure: every line of one is a line of the other.
    assert all(("ref" in x["scenarios"]) == ("twin" in x["scenarios"]) for x in data["lines"])
    assert any(x["scenarios"] == ["ref", "twin", "lc"] for x in data["lines"])
    assert any(x["scenarios"] == ["lc"] for x in data["lines"])
    assert "The same setbacks, a different structure" in story.text()
    earlier = api.story(out, pick="earlier", replication=0).to_json()
    helped = {name: [x["day"] for x in earlier["lines"]
                     if x["text"].startswith("help began") and name in x["scenarios"]]
              for name in ("ref", "lc")}
    assert helped["lc"] and (not helped["ref"] or min(helped["lc"]) <= min(helped["ref"]) - 60)


def test_the_report_tells_paired_stories_or_says_why_not(
        small_files: dict[str, Path], tmp_path: Path) -> None:
    from lcsim.comparison.result import load
    from lcsim.reports.stories import stories

    traced, plain = tmp_path / "traced", tmp_path / "plain"
    for out, trace in ((traced, 1.0), (plain, None)):
        api.compare([small_files["ref"], small_files["lc"]], out=out, replications=5, seed=1,
                    workers=1, progress=False, report=False, trace=trace)
    section = stories(load(traced))
    assert section.count("<pre class='story'>") == 2  # a saved and an earlier student
    assert "A student left under" in section and "but graduated under" in section
    assert "A student helped at least 60 days earlier under" in section
    assert "without <code>--trace</code>" in stories(load(plain))
    report = (traced / "report.html")
    api.report(traced)
    assert "One student, two structures" in report.read_text(encoding="utf-8")
