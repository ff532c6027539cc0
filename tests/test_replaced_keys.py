"""The three help settings that became assumptions with another meaning (docs/model.md 6.7):
an old file or --set gets one line naming the assumption to write, and no old value."""

from __future__ import annotations

from pathlib import Path

import pytest

from lcsim.config.loader import ConfigError, load_model
from lcsim.config.scenario import Scenario

REPLACED = {"support.resolve_prob": "assumptions.help_recovery_hr",
            "support.loa_prob": "assumptions.help_loa_prob",
            "episodes.fail_if_in_intervention": "assumptions.help_fail_ratio"}


@pytest.mark.parametrize(("old", "new"), REPLACED.items())
def test_an_old_help_key_in_a_file_names_its_replacement(tmp_path: Path, old: str,
                                                          new: str) -> None:
    section, key = old.split(".")
    path = tmp_path / "old.yaml"
    path.write_text(f"name: old\n{section}:\n  {key}: 0.3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_model(path, Scenario)
    text = str(err.value)
    assert "old.yaml" in text and "line 3" in text and old in text and new in text
    assert "0.3" not in text.split(new)[1]  # the old value has another meaning: not carried


@pytest.mark.parametrize(("old", "new"), REPLACED.items())
def test_an_old_help_key_in_set_names_its_replacement(tmp_path: Path, old: str, new: str) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("name: ok\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=new.replace(".", r"\.")):
        load_model(path, Scenario, [f"{old}=0.3"])
