"""The library API: what a notebook calls and what each `lcsim` command wraps.

``load`` reads a scenario file, ``run`` runs replications of one scenario, ``compare`` compares
proposals with a reference, ``sweep`` runs a parameter sweep and ``report`` rebuilds the report
of a stored comparison or sweep. Each returns an object holding its tables as DataFrames, with
``to_json()`` (the object the command's ``--json`` prints).

Every function imports the layers it uses when it is called: importing this module costs
nothing, so ``lcsim validate`` does not load the simulator and ``lcsim report`` does not load
the sweep machinery.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from lcsim.comparison.result import Comparison
    from lcsim.config.scenario import Scenario
    from lcsim.reports.story import Story
    from lcsim.results import RunResults, SweepResults
    from lcsim.sweeps.runner import SweepPlan


def load(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """A scenario file, with its ``extends`` chain resolved and ``KEY=VALUE`` overrides (as
    ``--set``) applied, validated. Every problem is one `ConfigError` naming file and line."""
    from lcsim.config.loader import load_model
    from lcsim.config.scenario import Scenario

    return load_model(path, Scenario, overrides)


def load_sweep(path: str | Path) -> SweepPlan:
    """A sweep file, checked completely (base scenario, factors, design size) and planned."""
    from lcsim.sweeps.runner import plan_sweep

    return plan_sweep(path)


def _scenario(scenario: Scenario | str | Path, overrides: Sequence[str]) -> Scenario:
    """A scenario object or file, with ``overrides`` applied."""
    from lcsim.config.loader import apply_overrides, validate_mapping
    from lcsim.config.scenario import Scenario

    if not isinstance(scenario, Scenario):
        return load(scenario, overrides)
    if not overrides:
        return scenario
    origins: dict[str, tuple[str, int]] = {}
    data = apply_overrides(scenario.model_dump(mode="json"), overrides, origins)
    return validate_mapping(data, Scenario, origins, None)


def _trace(trace: float | str | None) -> float | None:
    """A trace share: "all" is 1.0, 0 is None (no log); anything else must be in (0, 1]."""
    if trace == "all":
        return 1.0
    if trace is None or trace == 0:
        return None
    if isinstance(trace, str) or not 0.0 < float(trace) <= 1.0:
        raise ValueError(f"trace must be 'all' or a share in (0, 1], not {trace!r}")
    return float(trace)


def run(scenario: Scenario | str | Path, *, out: str | Path, replications: int = 50,
        seed: int = 1, workers: int | None = None, scheduler: str | None = None,
        executor: Executor | None = None, overrides: Sequence[str] = (), resume: bool = False,
        progress: bool | None = None, trace: float | str | None = None) -> RunResults:
    """Run replications 0..``replications``-1 of ``scenario`` into directory ``out``.

    ``scenario`` is a `Scenario` or a scenario file; ``overrides`` are ``KEY=VALUE`` changes
    (as ``--set``). ``executor`` (left open) or ``workers``/``scheduler`` choose where
    replications run (default: a process per core). ``resume=True`` finishes an interrupted
    run in ``out``. Failed replications are recorded in ``RunResults.failures``.
    ``trace`` ("all" or a share in (0, 1]) keeps the event log of that share of students in
    events.parquet, for `story` (default: none).
    """
    from lcsim.experiment.engine import executor_for
    from lcsim.experiment.replications import run_scenario
    from lcsim.results import RunResults

    scenario = _scenario(scenario, overrides)
    with executor_for(executor, workers, scheduler) as ex:
        output = run_scenario(scenario, Path(out), replications=replications, seed=seed,
                              executor=ex, resume=resume, progress=progress, workers=workers,
                              trace=_trace(trace))
    return RunResults(output.directory, output.scenario, seed, output.runs, output.failures)


def compare(scenarios: Sequence[Scenario | str | Path], *, out: str | Path,
            replications: int | None = None, seed: int = 1,
            executor: Executor | None = None, workers: int | None = None,
            scheduler: str | None = None, target_ci: Mapping[str, float] | None = None,
            max_replications: int | None = None, crn: bool = True, resume: bool = False,
            progress: bool | None = None, sources: Sequence[str] | None = None,
            uncertainty: int | None = None, draw_replications: int = 1,
            priors: str | Path | None = None,
            thresholds: Mapping[str, Sequence[float]] | None = None,
            report: bool = True, trace: float | str | None = 0.05) -> Comparison:
    """Compare ``scenarios`` (the first is the reference) into ``out`` and write its report.

    The arguments are those of `lcsim.comparison.runner.run_comparison`; ``report=False`` skips
    report.html and its figures. ``uncertainty=N`` adds the uncertainty analysis over N
    assumption sets drawn from ``priors`` (``draw_replications`` replications each; the
    comparison under the central assumptions keeps ``replications``). ``trace`` ("all" or a
    share; None for none) keeps the event log of the same students in every scenario, for
    `story` and the report's paired stories (default 0.05, as ``lcsim compare``:
    `lcsim.comparison.defaults.DEFAULT_TRACE`).
    """
    from lcsim.comparison.runner import run_comparison

    result = run_comparison(
        scenarios, out=out, replications=replications, seed=seed, executor=executor,
        workers=workers, scheduler=scheduler, target_ci=target_ci,
        max_replications=max_replications, crn=crn, resume=resume, progress=progress,
        sources=sources, uncertainty=uncertainty, draw_replications=draw_replications,
        priors=priors, thresholds=thresholds, trace=_trace(trace))
    if report:
        from lcsim.reports.comparison import write_report

        write_report(result.directory)
    return result


def sweep(sweep_file: SweepPlan | str | Path, *, out: str | Path, workers: int | None = None,
          scheduler: str | None = None, executor: Executor | None = None,
          resume: bool = False, progress: bool | None = None,
          report: bool = True) -> SweepResults:
    """Run every design point of a sweep file (or a `load_sweep` plan) into ``out``.

    Writes the tables and sensitivity indices, and report.html unless ``report=False``.
    ``resume=True`` finishes an interrupted sweep in ``out`` (refused if the sweep differs).
    Failed tasks are recorded in ``SweepResults.failures``; the rest of the sweep goes on.
    """
    from lcsim.experiment.engine import executor_for
    from lcsim.results import SweepResults
    from lcsim.sweeps.runner import SweepPlan, run_sweep

    plan = sweep_file if isinstance(sweep_file, SweepPlan) else load_sweep(sweep_file)
    with executor_for(executor, workers, scheduler) as ex:
        output = run_sweep(plan, Path(out), executor=ex, resume=resume, progress=progress,
                           workers=workers)
    path = None
    if report:
        from lcsim.reports.sweep import write_report

        path = write_report(output.directory)
    assert output.sensitivity is not None  # run_sweep analyses by default
    return SweepResults(output.directory, plan, output.runs, output.sensitivity,
                        output.failures, path)


def _refused(message: str) -> Exception:
    """The error for an unusable directory (imported on failure only: its module loads the
    simulator, which a report does not need)."""
    from lcsim.experiment.errors import RunError

    return RunError(message)


def report(directory: str | Path) -> Path:
    """Rebuild report.html of a stored comparison or sweep (nothing is simulated); its path."""
    directory = Path(directory)
    if not directory.is_dir():
        raise _refused(f"{directory} is not a directory")
    if (directory / "sweep.json").is_file():
        from lcsim.reports.sweep import write_report as write_sweep_report

        return write_sweep_report(directory)
    if (directory / "compare.json").is_file():
        from lcsim.reports.comparison import write_report

        return write_report(directory)
    raise _refused(f"{directory} holds no comparison or sweep (no compare.json or "
                   "sweep.json); run lcsim compare or lcsim sweep first")


def story(directory: str | Path, *, student: int | None = None, replication: int = 0,
          pick: str | None = None, seed: int = 0, proposals: Sequence[str] | None = None
          ) -> Story:
    """One traced student's life in a run or comparison directory (nothing is simulated).

    Give ``student``, or ``pick`` (left, late, unhelped, helped-late; in a comparison also
    saved and earlier, against ``proposals`` or any proposal) to choose one reproducibly
    (``seed``). In a comparison the same student is told under each scenario side by side.
    Unusable input raises `lcsim.reports.story.StoryError` (a `RunError`).
    """
    from lcsim.reports.story import Story, StoryError, read_lives
    from lcsim.reports.story_pick import pick_student

    directory = Path(directory)
    if (student is None) == (pick is None):
        raise StoryError("give a student id (--student) or a pick (--pick), not both")
    if pick is not None:
        student = pick_student(directory, replication, pick, seed, proposals)
        if student is None:
            raise StoryError(f"no traced student of replication {replication} in {directory} "
                             f"fits --pick {pick}; try another --replication or a larger "
                             "--trace")
    assert student is not None
    return Story(directory, replication, student, pick,
                 read_lives(directory, replication, student))
