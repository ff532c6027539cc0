"""lcsim.reports.comparison still offers every public name it had before it was split into report_* modules."""

from __future__ import annotations

import lcsim.reports.comparison as report

PUBLIC = ("CHANNELS", "CHANNEL_LABELS", "CSS", "Change", "FOREST", "GLANCE", "KEY_METRICS",
          "KM_HORIZON", "LOAD", "MINUS", "RETENTION", "SHOW", "SUBGROUP_LABELS",
          "SUBGROUP_WORDS", "Show", "changes", "fmt_change", "fmt_interval", "fmt_value",
          "headline", "km_data", "render", "subgroup_rates", "title", "write_report")


def test_public_names_stay_importable_from_lcsim_report() -> None:
    assert [n for n in PUBLIC if not hasattr(report, n)] == []
    assert set(report.__all__) <= set(PUBLIC)
