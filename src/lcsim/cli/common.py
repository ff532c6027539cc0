"""Argument helpers and printing shared by subcommands (light: no layer below the API)."""

from __future__ import annotations

import argparse
import math
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def _whole_number(text: str, minimum: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected {what} >= {minimum}, found {value}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return _whole_number(text, 1, "a number")


def seed_int(text: str) -> int:
    """argparse type: a seed, an integer >= 0."""
    return _whole_number(text, 0, "a seed")


def trace_share(text: str) -> float | None:
    """argparse type: ``all`` (1.0), a share in (0, 1], or 0 / ``none`` (no event log)."""
    if text.strip().lower() in ("all", "none"):
        return 1.0 if text.strip().lower() == "all" else None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'all' or a share between 0 and 1, found {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, found {value}")
    return value or None


def add_trace(parser: argparse.ArgumentParser, default: float | None) -> None:
    """--trace: keep the event log of a share of students, for `lcsim story`."""
    said = "none" if default is None else f"{default:g}"
    parser.add_argument("--trace", type=trace_share, default=default, metavar="SHARE|all",
                        help="keep the event log (events.parquet, read by lcsim story) of "
                        "this share of students, chosen by the seed and replication only "
                        f"(the same students in every scenario); 0 for none (default {said})")


def add_execution(parser: argparse.ArgumentParser) -> None:
    """--workers and --scheduler: where replications run."""
    parser.add_argument("--workers", type=positive_int, default=None,
                        help="local worker processes (default: the number of cores; 1 runs "
                        "in this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")


def default_out(name: str) -> Path:
    """results/<name>-<timestamp>/"""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "run"
    return Path("results") / f"{slug}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def fmt(value: float) -> str:
    """A number for a table: 4 significant digits, blank for NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4g}"


def print_summary(summary: pd.DataFrame, title: str) -> None:
    """Print metric, mean and 95% CI as an aligned table."""
    width = max(len(m) for m in summary["metric"]) if len(summary) else 10
    print(title)
    print(f"{'metric':<{width}}  {'mean':>10}  {'95% CI':>23}")
    total = int(summary["n"].max()) if len(summary) else 0
    for row in summary.itertuples():
        ci = f"{fmt(row.ci_low)} to {fmt(row.ci_high)}"
        if math.isnan(row.mean) and 0 < row.n < total:  # a quantile beyond follow-up somewhere
            ci = f"reached in {row.n} of {total} replications"
        print(f"{row.metric:<{width}}  {fmt(row.mean):>10}  {ci:>23}")


def refuse(message: str) -> int:
    """Report unusable input in one line on stderr; the exit code for it (2)."""
    print(f"lcsim: error: {message}", file=sys.stderr)
    return 2
