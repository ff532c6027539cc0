"""Sensitivity analysis of a sweep directory, computed out of core from its stored tables.

Runs are read in batches (record batches of runs.parquet, or the result store's parts while a
sweep is unfinished) and reduced to per-point moments (count, mean, sum of squared deviations,
merged with Chan et al.'s parallel update), so memory grows with the number of points, never
with the number of runs. From the per-point means:

* standardized regression coefficients (SRC) for any design: OLS of the z-scored metric on the
  z-scored factor codes (log of the value for log ranges, the ordinal code for non-numeric
  values), with t intervals; R^2 of that model is reported as factor "(model)";
* Sobol' S1 and ST with bootstrap CIs (SALib) for ``design: sobol``;
* Morris mu*, sigma and mu (SALib) for ``design: morris``.

Writes ``point_summary.csv`` (point, factor values, metric, n, mean, sd, ci_low, ci_high) and
``sensitivity.csv`` (metric, factor, method, index, value, ci_low, ci_high).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from scipy import stats

from lcsim.experiment.atomic import atomic_write_csv
from lcsim.experiment.store import ResultStore
from lcsim.outcomes.json_values import json_scalar
from lcsim.outcomes.registry import BEYOND_FOLLOW_UP
from lcsim.stats.intervals import may_average

LEVEL = 0.95
RESAMPLES = 500  # bootstrap resamples for Sobol'/Morris CIs
SENSITIVITY_COLUMNS = ["metric", "factor", "method", "index", "value", "ci_low", "ci_high"]
MODEL_ROW = "(model)"
KEYS = ("point", "replication")
_PRIMARY = {"sobol": ("sobol", "ST"), "morris": ("morris", "mu_star")}


def read_manifest(directory: Path) -> dict[str, Any]:
    """The sweep's ``sweep.json``."""
    return json.loads((Path(directory) / "sweep.json").read_text(encoding="utf-8"))


def iter_runs(directory: Path, batch_size: int = 4_096) -> Iterator[pd.DataFrame]:
    """The runs table in pieces of at most ``batch_size`` rows: record batches of runs.parquet,
    or, for a sweep that has not finished, the result-store parts (``store.iter_parts``)."""
    directory = Path(directory)
    path = directory / "runs.parquet"
    if path.exists():
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
            yield batch.to_pandas()
    else:
        yield from ResultStore(directory).iter_parts("runs")


@dataclass
class PointMoments:
    """Per point x metric: number of values, mean and sum of squared deviations (M2)."""

    metrics: list[str]
    n: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    def sd(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.n > 1, np.sqrt(self.m2 / np.maximum(self.n - 1, 1)), np.nan)


def _batch_moments(points: np.ndarray, values: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per point in one batch: (points, count, mean, M2) per metric, NaNs ignored."""
    order = np.argsort(points, kind="stable")
    pts, v = points[order], values[order]
    uniq, start = np.unique(pts, return_index=True)
    ok = ~np.isnan(v)
    nb = np.add.reduceat(ok.astype(float), start, axis=0)
    sb = np.add.reduceat(np.where(ok, v, 0.0), start, axis=0)
    mb = np.divide(sb, nb, out=np.zeros_like(sb), where=nb > 0)
    sizes = np.diff(np.append(start, len(pts)))
    dev = np.where(ok, v - np.repeat(mb, sizes, axis=0), 0.0)
    return uniq, nb, mb, np.add.reduceat(dev * dev, start, axis=0)


def point_moments(directory: Path, n_points: int, batch_size: int = 4_096) -> PointMoments:
    """Reduce the runs to per-point moments, one batch at a time (Chan et al.'s merge)."""
    metrics: list[str] | None = None
    n = mean = m2 = np.zeros((n_points, 0))
    runs = np.zeros((n_points, 1))  # rows per point, whatever their values
    for part in iter_runs(directory, batch_size):
        runs[:, 0] += np.bincount(part["point"].to_numpy(dtype=np.int64), minlength=n_points)
        if metrics is None:
            metrics = [c for c in part.columns if c not in KEYS]
            n, mean, m2 = (np.zeros((n_points, len(metrics))) for _ in range(3))
        if part.empty:
            continue
        values = part[metrics].apply(pd.to_numeric, errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)
        p, nb, mb, m2b = _batch_moments(part["point"].to_numpy(dtype=np.int64), values)
        na, ma = n[p], mean[p]
        tot = na + nb
        safe = np.maximum(tot, 1.0)
        delta = mb - ma
        mean[p] = np.where(tot > 0, ma + delta * nb / safe, 0.0)
        m2[p] = m2[p] + m2b + np.where(tot > 0, delta * delta * na * nb / safe, 0.0)
        n[p] = tot
    mean = np.where(n > 0, mean, np.nan)
    # A censored quantile missing in some replication of a point lies beyond follow-up: the
    # point gets no mean rather than one biased low (metrics.BEYOND_FOLLOW_UP).
    short = ~may_average(metrics or [], n, runs, BEYOND_FOLLOW_UP)
    return PointMoments(metrics or [], n, np.where(short, np.nan, mean),
                        np.where(short, np.nan, m2))


def point_summary(points: pd.DataFrame, mom: PointMoments, level: float = LEVEL) -> pd.DataFrame:
    """Tidy per-point summaries: mean and Student-t CI across replications per metric."""
    sd = mom.sd()
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(mom.n > 1, stats.t.ppf(0.5 + level / 2, np.maximum(mom.n - 1, 1)), np.nan)
        half = np.where(sd == 0, 0.0, t * sd / np.sqrt(mom.n))
    p, m = mom.mean.shape
    out = pd.DataFrame({
        "point": np.repeat(np.arange(p), m),
        "metric": np.tile(np.array(mom.metrics, dtype=object), p),
        "n": mom.n.reshape(-1).astype(np.int64),
        "mean": mom.mean.reshape(-1),
        "sd": sd.reshape(-1),
        "ci_low": (mom.mean - half).reshape(-1),
        "ci_high": (mom.mean + half).reshape(-1),
    })
    return points.merge(out, on="point", how="right")


def factor_codes(points: pd.DataFrame, factors: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Numeric codes of factor values for regression: log for log ranges, 0/1 for booleans,
    the order of first appearance for anything else that is not a number."""
    codes = {}
    for path, info in factors.items():
        col = points[path]
        if pd.api.types.is_bool_dtype(col):
            codes[path] = col.astype(float)
        elif pd.api.types.is_numeric_dtype(col) and not col.isna().any():
            x = col.astype(float)
            codes[path] = np.log(x) if info.get("log") else x
        else:
            codes[path] = pd.Series(pd.factorize(col.astype(str))[0], index=col.index,
                                    dtype=float)
    return pd.DataFrame(codes)


def src(x: pd.DataFrame, y: np.ndarray, level: float = LEVEL) -> list[dict[str, Any]]:
    """Standardized regression coefficients of y on the columns of x, with t CIs, and R^2.

    Constant factors are left out (no variation to attribute); rows with NaN y are dropped.
    """
    keep = np.isfinite(y)
    if keep.sum() < 3:  # too few points with a value to fit anything
        return []
    xs = x.to_numpy(dtype=float)[keep]
    ys = y[keep]
    varying = [i for i in range(xs.shape[1]) if np.nanstd(xs[:, i]) > 0]
    n, k = len(ys), len(varying)
    if k == 0 or n < 3 or not np.std(ys) > 0:
        return []
    z = (xs[:, varying] - xs[:, varying].mean(0)) / xs[:, varying].std(0, ddof=1)
    zy = (ys - ys.mean()) / ys.std(ddof=1)
    beta, *_ = np.linalg.lstsq(z, zy, rcond=None)
    resid = zy - z @ beta
    dof = n - k - 1
    rows = []
    if dof > 0:
        s2 = float(resid @ resid) / dof
        se = np.sqrt(np.maximum(np.diag(np.linalg.pinv(z.T @ z)) * s2, 0.0))
        half = stats.t.ppf(0.5 + level / 2, dof) * se
    else:
        half = np.full(k, np.nan)
    for j, i in enumerate(varying):
        rows.append({"factor": x.columns[i], "method": "src", "index": "src",
                     "value": float(beta[j]), "ci_low": float(beta[j] - half[j]),
                     "ci_high": float(beta[j] + half[j])})
    r2 = 1.0 - float(resid @ resid) / float(zy @ zy)
    rows.append({"factor": MODEL_ROW, "method": "src", "index": "r2", "value": r2,
                 "ci_low": np.nan, "ci_high": np.nan})
    return rows


def sobol_indices(names: list[str], y: np.ndarray, seed: int,
                  level: float = LEVEL) -> list[dict[str, Any]]:
    """Sobol' S1 and ST with bootstrap CIs (SALib) from a Saltelli design's outputs."""
    from SALib.analyze import sobol

    from lcsim.sweeps.design import salib_problem

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = sobol.analyze(salib_problem(names), y, calc_second_order=False,
                            num_resamples=RESAMPLES, conf_level=level, seed=seed)
    rows = []
    for i, name in enumerate(names):
        for index in ("S1", "ST"):
            v, c = float(res[index][i]), float(res[f"{index}_conf"][i])
            rows.append({"factor": name, "method": "sobol", "index": index, "value": v,
                         "ci_low": v - c, "ci_high": v + c})
    return rows


def morris_indices(names: list[str], x: np.ndarray, y: np.ndarray, levels: int, seed: int,
                   level: float = LEVEL) -> list[dict[str, Any]]:
    """Morris mu* (with bootstrap CI), sigma and mu (SALib) from the unit-cube design."""
    from SALib.analyze import morris

    from lcsim.sweeps.design import salib_problem

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = morris.analyze(salib_problem(names), x, y, num_resamples=RESAMPLES,
                             conf_level=level, num_levels=levels, seed=seed)
    rows = []
    for i, name in enumerate(names):
        ms, c = float(res["mu_star"][i]), float(res["mu_star_conf"][i])
        rows.append({"factor": name, "method": "morris", "index": "mu_star", "value": ms,
                     "ci_low": ms - c, "ci_high": ms + c})
        for index in ("sigma", "mu"):
            rows.append({"factor": name, "method": "morris", "index": index,
                         "value": float(res[index][i]), "ci_low": np.nan, "ci_high": np.nan})
    return rows


def sensitivity(manifest: dict[str, Any], points: pd.DataFrame, design: pd.DataFrame | None,
                mom: PointMoments) -> pd.DataFrame:
    """All sensitivity indices of every metric that varies across points (tidy)."""
    factors: dict[str, dict[str, Any]] = manifest["factors"]
    names = list(factors)
    codes = factor_codes(points, factors)
    seed = int(manifest.get("seed", 0))
    rows: list[dict[str, Any]] = []
    for j, metric in enumerate(mom.metrics):
        y = mom.mean[:, j]
        if metric in BEYOND_FOLLOW_UP and np.isnan(y).any():
            continue  # dropping the points beyond follow-up would bias any index
        found = [{"metric": metric, **r} for r in src(codes, y)]
        complete = bool(np.isfinite(y).all() and np.std(y) > 0)
        if complete and manifest["design"] == "sobol":
            found += [{"metric": metric, **r} for r in sobol_indices(names, y, seed)]
        if complete and manifest["design"] == "morris" and design is not None:
            found += [{"metric": metric, **r} for r in morris_indices(
                names, design[names].to_numpy(dtype=float), y, int(manifest["levels"]), seed)]
        rows += found
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def analyse(directory: Path) -> pd.DataFrame:
    """Write point_summary.csv and sensitivity.csv for a sweep directory; return the latter."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    points = pd.read_parquet(directory / "points.parquet")
    design_path = directory / "design.parquet"
    design = pd.read_parquet(design_path) if design_path.exists() else None
    mom = point_moments(directory, len(points))
    atomic_write_csv(point_summary(points, mom), directory / "point_summary.csv")
    sens = sensitivity(manifest, points, design, mom)
    atomic_write_csv(sens, directory / "sensitivity.csv")
    return sens


def top_indices(sens: pd.DataFrame, design: str, n: int = 3) -> dict[str, list[dict[str, Any]]]:
    """Per metric, the ``n`` factors with the largest primary index (Sobol' ST, Morris mu*,
    otherwise |SRC|), largest first."""
    method, index = _PRIMARY.get(design, ("src", "src"))
    chosen = sens[(sens["method"] == method) & (sens["index"] == index)]
    if chosen.empty and method != "src":
        chosen = sens[(sens["method"] == "src") & (sens["index"] == "src")]
    out: dict[str, list[dict[str, Any]]] = {}
    for metric, grp in chosen.groupby("metric", sort=False):
        grp = grp.assign(_size=grp["value"].abs()).sort_values("_size", ascending=False)
        out[str(metric)] = [
            {"factor": r["factor"], "method": r["method"], "index": r["index"],
             "value": json_scalar(r["value"]), "ci_low": json_scalar(r["ci_low"]),
             "ci_high": json_scalar(r["ci_high"])}
            for r in grp.head(n).to_dict("records")]
    return out


