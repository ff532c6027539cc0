"""The provenance section of the committee report: settings, versions and each stored run.

A reader (or a reviewer a year later) can tell from it how the numbers were made: the seed and
replications, the uncertainty analysis' draws and priors, the versions of lcsim and its
libraries, and the hash of every scenario's resolved settings.
"""

from __future__ import annotations

import html
import json
from typing import Any

import matplotlib
import seaborn as sns

from lcsim.comparison.result import Comparison


def _uncertainty_settings(cmp: Comparison) -> dict[str, Any]:
    """The uncertainty analysis' settings, as provenance rows (none without one)."""
    unc = cmp.info.get("uncertainty")
    if not unc:
        return {}
    thresholds = "; ".join(f"{m} {', '.join(f'{v:g}' for v in vs)}"
                           for m, vs in (unc.get("thresholds") or {}).items())
    return {"uncertainty draws": unc.get("draws"),
            "replications per draw": unc.get("replications_per_draw"),
            "priors": unc.get("priors_file") or "shipped",
            "priors SHA-256": unc.get("priors_sha256"),
            "varied assumptions": len(unc.get("varied") or []),
            **({"thresholds": thresholds} if thresholds else {})}


def provenance(cmp: Comparison) -> str:
    """HTML tables of settings, versions and each scenario's stored run (hash, status)."""
    meta = json.loads((cmp.directory / "compare.json").read_text(encoding="utf-8"))
    files = {s["name"]: s.get("file") for s in meta.get("scenarios", [])}
    rows = []
    first: dict[str, Any] = {}
    for name in cmp.names:
        path = cmp.directory / name / "manifest.json"
        man = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        first = first or man
        h = man.get("scenario_hash", "")
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(str(files.get(name) or ''))}"
            f"</td><td><code title='{html.escape(h)}'>{html.escape(h[:12])}</code></td>"
            f"<td>{man.get('replications', '')}</td><td>{man.get('stream', '')}</td>"
            f"<td>{html.escape(str(man.get('status', '')))}</td></tr>")
    versions = {
        "lcsim": meta.get("lcsim_version"), "code hash": meta.get("code_hash"),
        "git commit": meta.get("git_commit"),
        "python": first.get("python"), "numpy": first.get("numpy"),
        "pandas": first.get("pandas"), "simpy": first.get("simpy"),
        "matplotlib": matplotlib.__version__, "seaborn": sns.__version__,
    }
    info = cmp.info
    settings = {
        "seed": info["seed"], "replications per scenario": info["replications"],
        "common random numbers": "yes" if info["crn"] else "no (--no-crn)",
        "stopping": {"fixed": "fixed number of replications",
                     "target_reached": "precision target reached",
                     "max_replications": "maximum replications reached before the target",
                     "failures": "stopped by failed replications"}.get(
                         info["stopping"]["outcome"], info["stopping"]["outcome"]),
        "started": meta.get("started"), "finished": meta.get("finished"),
        "workers": meta.get("workers"),
        **_uncertainty_settings(cmp),
    }
    kv = "".join(f"<tr><th class='row'>{html.escape(k)}</th><td>{html.escape(str(v))}</td>"
                 "</tr>" for k, v in {**settings, **versions}.items())
    return (f"<table class='kv'>{kv}</table><table class='grid small'><tr><th>Scenario</th>"
            "<th>File</th><th>Hash (SHA-256 of resolved settings)</th><th>Replications</th>"
            f"<th>Random stream</th><th>Status</th></tr>{''.join(rows)}</table>"
            "<p class='small muted'>Each scenario's folder holds runs.csv, students.parquet, "
            "episodes.parquet, manifest.json and scenario.resolved.yaml; comparison.csv holds "
            "every number in this report.</p>")
