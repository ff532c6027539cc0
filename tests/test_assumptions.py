"""The assumptions section behaves like any other part of a scenario, and old keys point to it.

A scenario's behavioural numbers are named assumptions (`config/assumptions.py`). They can be
set in a file, inherited through `extends`, changed with `--set` and swept; a file that still
uses a key that moved into the section is told, in one line per key, what to write instead.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from lcsim import api
from lcsim.cli.main import main
from lcsim.config.assumptions import Assumptions
from lcsim.config.loader import ConfigError, load_model
from lcsim.config.moved import MOVED, moved_message
from lcsim.config.scenario import Scenario
from lcsim.model.structure import Structure

ROOT = Path(__file__).resolve().parents[1]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- moved keys --------------------------------------------------------------------------------

@pytest.mark.parametrize("old", sorted(MOVED))
def test_each_moved_key_gets_one_line_naming_file_line_and_new_key(tmp_path: Path,
                                                                  old: str) -> None:
    section, key = old.split(".")
    path = write(tmp_path, "old.yaml", f"""\
        name: old
        community: {{count: 4}}
        {section}:
          {key}: 0.4
        """)
    with pytest.raises(ConfigError) as caught:
        load_model(path, Scenario)
    err = caught.value
    assert len(err.problems) == 1
    line = err.problems[0]
    assert line.startswith(f"{path}, line 4: {old}: has moved")
    assert f"write {MOVED[old]}: 0.4" in line
    assert (err.file, err.line, err.key) == (str(path), 4, old)


def test_all_moved_keys_of_a_file_in_one_error_and_nothing_else(tmp_path: Path) -> None:
    path = write(tmp_path, "two.yaml", """\
        name: two
        population: {class_size: -3}     # another mistake: reported once the keys are moved
        coaching:
          notice_prob: 0.6
        self_referral:
          rate_per_year: 1.0
          belonging_effect: 2.0
        """)
    with pytest.raises(ConfigError) as caught:
        load_model(path, Scenario)
    problems = caught.value.problems
    assert [p.split(": ")[1] for p in problems] == [
        "coaching.notice_prob", "self_referral.rate_per_year", "self_referral.belonging_effect"]
    assert "line 4" in problems[0] and "line 6" in problems[1] and "line 7" in problems[2]


def test_an_emptied_old_section_is_named_too(tmp_path: Path) -> None:
    path = write(tmp_path, "section.yaml", "name: s\nself_referral: {}\n")
    with pytest.raises(ConfigError, match="self_referral: this section has moved to the "
                       "assumptions section: write assumptions.self_referral_per_year"):
        load_model(path, Scenario)


def test_inclusion_boost_says_where_the_programme_switch_is(tmp_path: Path) -> None:
    path = write(tmp_path, "inclusion.yaml", "name: i\ninclusion: {belonging_boost: 0.1}\n")
    with pytest.raises(ConfigError, match=r"write assumptions.inclusion_belonging_boost: 0.1; "
                       r"the programme itself is the lever inclusion.programme: true"):
        load_model(path, Scenario)


def test_a_moved_key_in_a_base_file_is_blamed_on_the_base(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "name: base\nadvising:\n  notice_prob: 0.45\n")
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\n")
    with pytest.raises(ConfigError) as caught:
        load_model(child, Scenario)
    assert caught.value.problems == [
        f"{tmp_path / 'base.yaml'}, line 3: advising.notice_prob: has moved to the assumptions "
        "section: write assumptions.advisor_notice: 0.45"]


def test_a_moved_key_in_set_names_the_new_key() -> None:
    with pytest.raises(ConfigError) as caught:
        api.load(ROOT / "scenarios" / "baseline.yaml", ["coaching.notice_prob=0.3"])
    assert caught.value.problems == [
        "--set coaching.notice_prob: has moved to the assumptions section: write "
        "assumptions.coach_notice: 0.3"]


@pytest.mark.parametrize("command", ["validate", "run"])
def test_cli_refuses_an_old_key_in_one_line_with_exit_code_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    path = write(tmp_path, "old.yaml", "name: old\ncoaching:\n  notice_prob: 0.6\n")
    args = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "run" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "coaching.notice_prob: has moved to the assumptions section: write " \
           "assumptions.coach_notice: 0.6" in err
    assert "line 3" in err and "Traceback" not in err
    assert len([ln for ln in err.splitlines() if "has moved" in ln]) == 1


def test_moved_message_only_for_moved_keys() -> None:
    assert moved_message("coaching.meetings_per_year") is None
    assert moved_message("space.contact_multiplier") == (
        "has moved to the assumptions section: write assumptions.room_contact_multiplier")


def test_every_new_key_exists() -> None:
    for new in MOVED.values():
        section, name = new.split(".")
        assert section == "assumptions" and name in Assumptions.model_fields


# -- assumptions in files, extends, --set and sweeps -------------------------------------------

def test_assumptions_in_a_file_and_through_extends(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", """\
        name: base
        assumptions:
          coach_notice: 0.3
          peer_notice: 0.1
        """)
    child = write(tmp_path, "child.yaml", """\
        extends: base.yaml
        name: child
        assumptions:
          peer_notice: 0.2
        """)
    a = load_model(child, Scenario).assumptions
    assert (a.coach_notice, a.peer_notice) == (0.3, 0.2)  # inherited, and overridden
    assert a.attendance == Assumptions().attendance  # unset: the shipped default


def test_assumptions_with_set_reach_the_model() -> None:
    base = api.load(ROOT / "scenarios" / "small-group-lc.yaml")
    changed = api.load(ROOT / "scenarios" / "small-group-lc.yaml",
                       ["assumptions.coach_notice=0.2", "assumptions.connection_meetings=3"])
    assert changed.assumptions.coach_notice == 0.2
    assert changed.assumptions.connection_meetings == 3
    a, b = Structure.from_scenario(base), Structure.from_scenario(changed)
    assert b.channels.coach_detect < a.channels.coach_detect
    assert b.cohort.connection_threshold == 3


def test_a_bad_assumption_is_located_and_explained(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", """\
        name: bad
        assumptions:
          attendance: 1.5
          coach_notise: 0.3
        """)
    with pytest.raises(ConfigError) as caught:
        load_model(path, Scenario)
    problems = caught.value.problems
    assert problems[0] == (f"{path}, line 3: assumptions.attendance: expected a number between "
                           "0.0 and 1.0, found 1.5")
    assert problems[1].startswith(f"{path}, line 4: assumptions.coach_notise: unknown key "
                                  "(did you mean 'coach_notice'?)")


def test_joint_constraints_of_assumptions_are_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "sev.yaml", """\
        name: sev
        assumptions: {severity_mild: 0.7, severity_moderate: 0.4}
        """)
    with pytest.raises(ConfigError, match="severity_mild \\+ severity_moderate must be at most 1"):
        load_model(path, Scenario)


def test_a_sweep_factor_on_an_assumption(tmp_path: Path) -> None:
    write(tmp_path, "tiny.yaml", "extends: " + str(ROOT / "scenarios" / "small-group-lc.yaml")
          + "\nname: tiny\npopulation: {class_size: 40, cohorts: 1}\n")
    sweep = write(tmp_path, "sweep.yaml", """\
        base: tiny.yaml
        design: grid
        levels: 2
        replications: 1
        factors:
          assumptions.coach_notice: {range: [0.2, 0.6]}
          assumptions.connection_meetings: {values: [1, 3]}
        """)
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--out", str(out), "--workers", "1"]) == 0
    points = pd.read_parquet(out / "points.parquet")
    assert sorted(points["assumptions.coach_notice"].unique()) == [0.2, 0.6]
    assert sorted(points["assumptions.connection_meetings"].unique()) == [1, 3]
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["point"].nunique() == 4  # each combination ran


def test_an_old_key_as_a_sweep_factor_names_the_new_key(tmp_path: Path) -> None:
    sweep = write(tmp_path, "sweep.yaml", f"""\
        base: {ROOT / "scenarios" / "small-group-lc.yaml"}
        design: grid
        replications: 1
        factors:
          coaching.notice_prob: {{values: [0.2, 0.6]}}
        """)
    with pytest.raises(ConfigError, match="coaching.notice_prob: has moved to the assumptions "
                       "section: write assumptions.coach_notice"):
        api.load_sweep(sweep)
