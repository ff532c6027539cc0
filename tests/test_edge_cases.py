"""Edge cases found in review: resuming with another replication count, exams with no break,
metrics with nothing noticed, the reserved subgroup name, sessions outside clerkship years."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from lcsim.config.scenario import Scenario
from lcsim.experiment import replications as experiment
from lcsim.experiment.engine import SerialExecutor
from lcsim.experiment.errors import RunError
from lcsim.experiment.replications import run_scenario
from lcsim.model.simulation import Model
from lcsim.model.units import DAYS_PER_YEAR as YEAR
from lcsim.outcomes.compute import compute


def small(**sections) -> Scenario:
    data = {"name": "edge", "population": {"class_size": 60, "cohorts": 2}}
    data.update(sections)
    return Scenario.model_validate(data)


def test_resume_with_another_replication_count_is_refused(tmp_path: Path) -> None:
    sc, out = small(), tmp_path / "run"
    first = run_scenario(sc, out, replications=7, seed=1, executor=SerialExecutor())
    assert sorted(first.runs["replication"]) == list(range(7))
    with pytest.raises(RunError, match="different --replications"):
        run_scenario(sc, out, replications=10, seed=1, executor=SerialExecutor(), resume=True)
    again = run_scenario(sc, out, replications=7, seed=1, executor=SerialExecutor(), resume=True)
    assert sorted(again.runs["replication"]) == list(range(7))  # nothing counted twice


def test_with_no_break_exams_still_come_before_the_year_end() -> None:
    sc = small(calendar={"break_weeks": 0}, setbacks={"academic_prob_per_exam": 0.5})
    episodes = Model(sc, 3).run().episodes
    academic = episodes[episodes["type"] == "academic"]
    assert len(academic) > 50
    at_year_end = np.isclose(np.mod(academic["onset"].to_numpy(), YEAR), 0.0)
    assert not at_year_end.any()


def test_detection_shares_are_undefined_when_nothing_was_noticed() -> None:
    sc = small(setbacks={"personal_per_year": 0, "academic_prob_per_exam": 0,
                         "licensing_exam_prob": 0})
    metrics = compute(Model(sc, 1).run())
    for group in ("peer", "faculty", "self", "institution"):
        assert math.isnan(metrics[f"detected_by_{group}"])


def test_subgroup_name_none_is_reserved() -> None:
    with pytest.raises(ValidationError, match="reserved"):
        small(population={"subgroups": [{"name": "none", "share": 0.1}]})


def test_facilitators_notice_in_a_year_that_is_not_a_clerkship_year() -> None:
    """Clerkships in year 3 only: year-4 students are back in small groups."""
    sc = small(calendar={"clerkship_years": [3]}, community={},
               small_groups={"sessions_per_month": 8}, assumptions={"facilitator_notice": 1.0})
    model = Model(sc, 2)
    result = model.run()
    episodes = result.episodes.merge(result.students[["student", "entry"]], on="student")
    year4 = episodes[(episodes["onset"] - episodes["entry"]) // YEAR == 3]
    assert (year4["channel"] == "facilitator").sum() > 0


def test_resume_checks_the_model_code_not_the_git_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit that changes no lcsim source (docs, tests) may resume; other code may not."""
    import lcsim.experiment.replications as experiment

    sc, out = small(), tmp_path / "run"
    run_scenario(sc, out, replications=3, seed=1, executor=SerialExecutor())
    monkeypatch.setattr(experiment, "git_commit", lambda: "another-commit")
    again = run_scenario(sc, out, replications=3, seed=1, executor=SerialExecutor(), resume=True)
    assert len(again.runs) == 3
    monkeypatch.setattr(experiment, "code_hash", lambda: "0" * 64)
    with pytest.raises(RunError, match="code_hash"):
        run_scenario(sc, out, replications=3, seed=1, executor=SerialExecutor(), resume=True)


def test_source_hash_changes_with_the_code_only(tmp_path: Path) -> None:
    from lcsim.experiment.provenance import source_hash

    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    h = source_hash(tmp_path)
    (tmp_path / "notes.md").write_text("docs are not code\n")
    assert source_hash(tmp_path) == h
    (tmp_path / "sub" / "b.py").write_text("y = 3\n")
    assert source_hash(tmp_path) != h
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    assert source_hash(tmp_path) == h
    (tmp_path / "sub" / "b.py").rename(tmp_path / "b.py")  # same contents, another module
    assert source_hash(tmp_path) != h


def test_grades_are_seen_after_the_block_they_come_from_even_the_last_of_the_year() -> None:
    """The institution notices at an exam block's day (as the school calendar holds it) plus
    the grade release delay; the year's last block is in the same year (day 323 by default),
    not carried to the next year's start."""
    sc = small(assumptions={"grades_detect": 0.9},
               setbacks={"academic_prob_per_exam": 0.3})
    ep = Model(sc, 5).run().episodes
    seen = ep[ep["channel"] == "institution"]
    assert len(seen) > 30
    release = sc.institution.grade_release_days
    day = np.mod(seen["detected_at"].to_numpy() - release, YEAR)
    blocks = np.array([80.75, 161.5, 242.25, 323.0])
    assert np.all(np.isclose(day[:, None], blocks[None, :]).any(axis=1))
    assert np.isclose(day, 323.0).any()  # the last block's grades are seen in its own year


def test_a_run_whose_every_replication_fails_reports_the_failures(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(batch: experiment.Batch) -> dict[str, pd.DataFrame]:
        raise RuntimeError("broken model")

    monkeypatch.setattr(experiment, "run_batch", broken)
    out = run_scenario(small(), tmp_path / "run", replications=6, seed=1,
                       executor=SerialExecutor())
    assert out.runs.empty and sorted(out.failures) == ["r000000-000004", "r000005-000005"]
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["status"] == "failed"
