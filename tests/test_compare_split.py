"""lcsim.comparison.runner still offers every public name it had before it was split into compare_* modules."""

from __future__ import annotations

import importlib

import lcsim

# `import lcsim.comparison.runner as m` would give the function lcsim.comparison.runner, which shadows the module.
module = importlib.import_module("lcsim.comparison.runner")

PUBLIC = ("COLUMNS", "DEFAULT_FIRST_ROUND", "DEFAULT_MAX_REPLICATIONS", "DEFAULT_REPLICATIONS",
          "ROUND", "CompareError", "Comparison", "compare", "comparison_table", "half_widths",
          "higher_is_better", "load")


def test_public_names_stay_importable_from_lcsim_compare() -> None:
    assert [n for n in PUBLIC if not hasattr(module, n)] == []
    assert set(module.__all__) <= set(PUBLIC)
    assert lcsim.comparison.runner is module.compare and lcsim.Comparison is module.Comparison
