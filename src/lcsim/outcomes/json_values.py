"""Numbers as JSON can hold them: JSON has no NaN or infinity, and no numpy scalars.

Undefined results (a CI from one replication, a quantile beyond follow-up) are NaN in the
tables and null in every JSON output.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def json_scalar(x: Any) -> Any:
    """JSON-safe scalar: NaN, infinities and NA become None, numpy scalars Python ones."""
    if x is None or x is pd.NA:
        return None
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    return x


def json_clean(obj: Any) -> Any:
    """Recursively make dicts, lists and tuples of scalars JSON-safe (see `json_scalar`)."""
    if isinstance(obj, dict):
        return {str(k): json_clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_clean(v) for v in obj]
    return json_scalar(obj)
