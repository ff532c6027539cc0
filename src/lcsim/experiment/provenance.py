"""Where results come from: hashes of scenarios and code, the git commit, timestamps.

What a stored directory records so that ``--resume`` can refuse other inputs and a reader can
tell which code produced it. Free of the model (no SimPy), so comparisons and reports can use it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import yaml

import lcsim
from lcsim.config.scenario import Scenario


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario (canonical JSON)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def scenario_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML (every field, defaults included)."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False)


def git_commit() -> str | None:
    """The commit of the lcsim source tree, if it is a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(lcsim.__file__).parent, capture_output=True,
            text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@functools.cache
def code_hash() -> str:
    """SHA-256 of the lcsim package's source files (relative paths and contents).

    What resuming checks: results from other model code must not be mixed, while a commit that
    touches only docs, tests or scenarios changes nothing here (and an installed copy outside
    git still has a code version).
    """
    return source_hash(Path(lcsim.__file__).parent)


def source_hash(root: Path) -> str:
    """SHA-256 of the Python files under `root`: their relative paths and contents, in order."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def now_iso() -> str:
    """The current UTC time, to the second (ISO 8601): `started` and `finished` stamps."""
    return datetime.now(UTC).isoformat(timespec="seconds")
