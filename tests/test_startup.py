"""A command starts fast: it imports only what it uses.

Each check runs in a fresh interpreter (this test process has imported everything already) and
lists which heavy modules ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("simpy", "scipy", "matplotlib", "dask", "distributed", "SALib", "pyarrow")


def _loaded(code: str, modules: tuple[str, ...]) -> list[str]:
    """Run ``code`` in a fresh interpreter; which of ``modules`` it imported."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps([m for m in {modules!r} if m in sys.modules]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cli(*argv: str) -> str:
    """Code that runs ``lcsim ARGV`` through `lcsim.cli.main.main`, output silenced."""
    return ("import contextlib, io\nfrom lcsim.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n"
            f"        code = main({list(argv)!r})\n"
            "    except SystemExit as stop:\n"
            "        code = stop.code\n"
            "assert code == 0, code\n")


def test_validate_imports_no_simulator_statistics_plots_or_cluster() -> None:
    assert _loaded(_cli("validate", "scenarios/baseline.yaml"), HEAVY) == []


def test_help_imports_no_simulator_statistics_plots_or_cluster() -> None:
    assert _loaded(_cli("--help"), HEAVY) == []


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "report", "story", "validate",
                                     "schema"])
def test_each_command_help_imports_no_simulator_statistics_plots_or_cluster(command: str) -> None:
    assert _loaded(_cli(command, "--help"), HEAVY) == []


def test_every_command_help_line_is_listed_without_its_imports() -> None:
    code = ("from lcsim.cli.main import COMMANDS, build_parser\n"
            "text = build_parser(()).format_help()\n"
            "assert all(name in text for name in COMMANDS), text\n")
    assert _loaded(code, HEAVY) == []


def test_import_lcsim_is_cheap() -> None:
    assert _loaded("import lcsim", ("pandas", "numpy", "pydantic", *HEAVY)) == []


def test_the_api_is_imported_on_first_use() -> None:
    code = "import lcsim\nassert callable(lcsim.load) and callable(lcsim.run)\n"
    assert _loaded(code, ("lcsim.api", "pandas", *HEAVY)) == ["lcsim.api"]
