"""Tests for lcsim.config.loader: safe YAML, extends, overrides and planner-friendly errors."""

from __future__ import annotations

import enum
import pickle
import textwrap
import time
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lcsim.config.loader import (
    ConfigError,
    apply_overrides,
    deep_merge,
    load_mapping,
    load_model,
    validate_mapping,
)
from lcsim.config.yaml_safe import MAX_ALIASES, MAX_FILE_BYTES

# --------------------------------------------------------------------------------------------
# Small models standing in for the real Scenario


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Level(enum.Enum):
    LOW = "low"
    HIGH = "high"


class Coaching(Strict):
    meetings_per_year: int = Field(12, ge=1, le=52)
    coach_ratio: float = Field(0.1, ge=0.0, le=1.0)
    style: Literal["group", "individual"] = "group"

    @model_validator(mode="after")
    def _enough_coaches(self) -> Coaching:
        if self.style == "individual" and self.coach_ratio < 0.05:
            raise ValueError("individual coaching needs coach_ratio >= 0.05")
        return self


class Community(Strict):
    size: int = Field(ge=2)
    name: str = "lc"
    capacity: int | Literal["auto"] = "auto"
    code: str = Field("A1", pattern=r"^[A-Z][0-9]$")

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value


class Scenario(Strict):
    title: str
    seed: int = 0
    level: Level = Level.LOW
    community: Community
    coaching: Coaching | None = None
    tags: list[str] = Field(default_factory=list)
    cohorts: list[Community] = Field(default_factory=list)
    weights: dict[str, float] = Field(default_factory=dict)


class Aliased(Strict):
    per_year: int = Field(1, alias="perYear")


def write(directory: Path, name: str, text: str) -> Path:
    """Write dedented YAML text to ``directory/name`` (creating folders) and return the path."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def error_of(path: Path, model: type[BaseModel] | None = Scenario, **kw: Any) -> ConfigError:
    """The ConfigError raised by loading ``path`` (into ``model``, or as a mapping if None)."""
    with pytest.raises(ConfigError) as info:
        if model is None:
            load_mapping(path)
        else:
            load_model(path, model, **kw)
    return info.value


VALID = """
title: baseline
community:
  size: 8
coaching:
  meetings_per_year: 10
tags: [a, b]
"""


# --------------------------------------------------------------------------------------------
# Happy path


def test_load_model_returns_frozen_validated_instance(tmp_path: Path) -> None:
    result = load_model(write(tmp_path, "ok.yaml", VALID), Scenario)
    assert isinstance(result, Scenario)
    assert result.community.size == 8
    assert result.coaching is not None and result.coaching.meetings_per_year == 10
    assert result.tags == ["a", "b"]
    with pytest.raises(Exception):  # noqa: B017 - frozen: any pydantic error is fine
        result.seed = 3  # type: ignore[misc]


def test_origins_record_line_of_every_key_and_list_item(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.yaml", VALID + "cohorts:\n  - size: 3\n  - size: 4\n")
    data, origins = load_mapping(path)
    assert data["cohorts"] == [{"size": 3}, {"size": 4}]
    shown = str(path)
    assert origins["title"] == (shown, 1)
    assert origins["community.size"] == (shown, 3)
    assert origins["coaching.meetings_per_year"] == (shown, 5)
    assert origins["tags.1"] == (shown, 6)
    assert origins["cohorts.1.size"] == (shown, 9)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbftitle: caf\xc3\xa9\n")
    assert load_mapping(path)[0] == {"title": "café"}


# --------------------------------------------------------------------------------------------
# Rule 1: safe YAML only


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system",
        "!!python/object/new:os.system",
        "!!python/name:os.system",
        "!custom",
    ],
)
def test_object_tags_refused_and_never_executed(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "PWNED"
    path = write(tmp_path, "evil.yaml", f'title: x\ncommunity:\n  name: {tag} ["touch {marker}"]\n')
    err = error_of(path)
    assert not marker.exists()
    assert err.file == str(path)
    assert err.line == 3
    assert err.key == "community.name"
    assert f"YAML tag '{tag}' is not allowed" in str(err)
    assert str(err).startswith(f"{path}, line 3: community.name: ")


def test_object_tag_on_whole_document_refused(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    path = write(tmp_path, "evil.yaml", f'!!python/object/apply:os.system ["touch {marker}"]\n')
    err = error_of(path, None)
    assert not marker.exists()
    assert err.line == 1 and "!!python/object/apply:os.system" in str(err)


def test_invalid_scalar_for_explicit_tag_reports_line(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "x.yaml", "title: a\nseed: !!int abc\n"), None)
    assert (err.line, err.key) == (2, "seed")
    assert "cannot read value 'abc'" in str(err)


def test_impossible_date_reports_line(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "x.yaml", "title: a\nstart: 2024-13-45\n"), None)
    assert (err.line, err.key) == (2, "start")


# --------------------------------------------------------------------------------------------
# Rule 2: alias bombs


def test_billion_laughs_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghi"
    for prev, cur in zip(names, names[1:], strict=False):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    start = time.perf_counter()
    err = error_of(path, None)
    assert time.perf_counter() - start < 0.5
    assert "too many YAML aliases" in str(err)
    assert err.file == str(path) and err.line is not None


def test_alias_count_is_capped(tmp_path: Path) -> None:
    refs = ", ".join(["*x"] * MAX_ALIASES)
    ok = write(tmp_path, "ok.yaml", f"x: &x 1\nl: [{refs}]\n")
    assert load_mapping(ok)[0]["l"] == [1] * MAX_ALIASES
    bad = write(tmp_path, "bad.yaml", f"x: &x 1\nl: [{refs}, *x]\n")
    err = error_of(bad, None)
    assert "too many YAML aliases" in str(err) and str(MAX_ALIASES) in str(err)
    assert err.line == 2


def test_exponential_expansion_with_few_aliases_refused(tmp_path: Path) -> None:
    """40 aliases (under the count cap) can still expand to 2**20 values: refused."""
    lines = ["l0: &l0 [x, x]"]
    lines += [f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(1, 21)]
    path = write(tmp_path, "wide.yaml", "\n".join(lines) + "\n")
    start = time.perf_counter()
    err = error_of(path, None)
    assert time.perf_counter() - start < 0.5
    assert "too many YAML aliases" in str(err)


def test_self_referencing_alias_refused(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "loop.yaml", "title: a\nx: &x [1, *x]\n"), None)
    assert err.line == 2 and "contains itself" in str(err)


def test_excessive_nesting_refused(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "deep.yaml", "a: " + "[" * 200 + "]" * 200 + "\n"), None)
    assert "nested too deeply" in str(err) and err.line == 1


def test_aliases_and_merge_keys_within_limits_work(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "anchors.yaml",
        """
        defaults: &d
          size: 3
          name: base
        community:
          <<: *d
          size: 5
        """,
    )
    data, origins = load_mapping(path)
    assert data["community"] == {"size": 5, "name": "base"}
    assert origins["community.size"] == (str(path), 6)  # the explicit key wins
    assert origins["community.name"] == (str(path), 3)  # merged from the anchor


def test_aliased_values_are_not_shared_after_loading(tmp_path: Path) -> None:
    path = write(tmp_path, "share.yaml", "a: &d {size: 3}\nb: *d\n")
    data, origins = load_mapping(path)
    assert data["a"] is not data["b"]
    changed = apply_overrides(data, ["b.size=9"], origins)
    assert changed["a"] == {"size": 3} and changed["b"] == {"size": 9}


# --------------------------------------------------------------------------------------------
# Rule 3: the top level must be a mapping


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "expected a mapping of settings at the top level"),
        ("just some text\n", "expected a mapping of settings at the top level"),
        ("", "file is empty"),
        ("# only\n# comments\n", "file is empty"),
        ("~\n", "file is empty"),
    ],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "top.yaml"
    path.write_text(text, encoding="utf-8")
    err = error_of(path)
    assert message in str(err) and err.file == str(path)


def test_top_level_list_names_what_was_found(tmp_path: Path) -> None:
    path = write(tmp_path, "top.yaml", "# heading\n- a\n")
    err = error_of(path, None)
    assert str(err) == (
        f"{path}, line 2: expected a mapping of settings at the top level "
        "(lines like 'name: value'), found a list"
    )


# --------------------------------------------------------------------------------------------
# Rule 4: file-level problems


def test_file_at_size_limit_loads_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    body = "title: a\n"
    text = body + "#" * (MAX_FILE_BYTES - len(body) - 1) + "\n"
    at_limit = tmp_path / "limit.yaml"
    at_limit.write_text(text, encoding="utf-8")
    assert load_mapping(at_limit)[0] == {"title": "a"}
    too_big = tmp_path / "big.yaml"
    too_big.write_text(text + "\n", encoding="utf-8")
    err = error_of(too_big, None)
    assert "too large" in str(err) and err.file == str(too_big)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    err = error_of(path)
    assert str(err) == f"{path}: file not found"


def test_directory_refused(tmp_path: Path) -> None:
    err = error_of(tmp_path)
    assert err.file == str(tmp_path) and "found a directory" in str(err)


def test_non_utf8_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: a\ncommunity:\n  name: caf\xe9\n".encode("latin-1"))
    err = error_of(path)
    assert err.line == 3 and "not valid UTF-8" in str(err) and err.file == str(path)


def test_control_character_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "ctl.yaml"
    path.write_text('title: a\nname: "x\x01"\n', encoding="utf-8")
    err = error_of(path, None)
    assert err.line == 2 and "control character 0x01" in str(err)


def test_syntax_error_reports_line(tmp_path: Path) -> None:
    path = write(tmp_path, "syntax.yaml", "title: a\ncommunity:\n  size: 3\ntags: [a, b\nseed: 1\n")
    err = error_of(path)
    assert err.file == str(path) and err.line in (4, 5)
    assert "YAML syntax error" in str(err)


def test_tab_indentation_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "tabs.yaml"
    path.write_text("title: a\ncommunity:\n\tsize: 3\n", encoding="utf-8")
    err = error_of(path)
    assert err.line == 3 and "not tabs" in str(err)


def test_two_documents_refused(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "two.yaml", "title: a\n---\ntitle: b\n"), None)
    assert err.line == 2 and "more than one YAML document" in str(err)


# --------------------------------------------------------------------------------------------
# Rules 5 and 6: duplicate and non-text keys


def test_duplicate_key_refused_with_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dup.yaml",
        """
        title: a
        community:
          size: 3
          name: x
          size: 4
        """,
    )
    err = error_of(path)
    assert (err.file, err.line, err.key) == (str(path), 5, "community.size")
    assert str(err) == f"{path}, line 5: community.size: duplicate key (already set on line 3)"


def test_duplicate_top_level_key_refused(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "dup.yaml", "title: a\nseed: 1\ntitle: b\n"), None)
    assert (err.line, err.key) == (3, "title")


@pytest.mark.parametrize("bad_key", ["1", "null", "[a]", "yes", "3.5", "{a: 1}"])
def test_non_text_keys_refused(tmp_path: Path, bad_key: str) -> None:
    path = write(tmp_path, "keys.yaml", f"title: a\nweights:\n  {bad_key}: 1\n")
    err = error_of(path)
    assert (err.file, err.line, err.key) == (str(path), 3, "weights")
    assert "setting names must be text" in str(err)


def test_quoted_number_key_is_text(tmp_path: Path) -> None:
    data, _ = load_mapping(write(tmp_path, "keys.yaml", "weights:\n  '1': 0.5\n"))
    assert data == {"weights": {"1": 0.5}}


def test_duplicate_key_inside_merge_refused(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "merge.yaml", "a:\n  <<: {x: 1,\n        x: 2}\n"), None)
    assert (err.key, err.line) == ("a.x", 3) and "duplicate key" in str(err)


def test_non_text_key_inside_merge_refused(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "merge.yaml", "a:\n  <<: {1: x}\n"), None)
    assert err.key == "a" and "setting names must be text" in str(err)


# --------------------------------------------------------------------------------------------
# Rule 7: extends


def _chain(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "c.yaml",
        """
        title: from c
        seed: 1
        community:
          size: 4
          name: c-name
        tags: [c1, c2, c3]
        weights: {x: 1.0, y: 2.0}
        """,
    )
    write(
        tmp_path,
        "b.yaml",
        """
        extends: c.yaml
        seed: 2
        community:
          size: 6
        tags: [b1]
        """,
    )
    return write(
        tmp_path,
        "a.yaml",
        """
        # the scenario actually run
        extends: b.yaml
        title: from a
        weights:
          y: 3.0
        coaching: null
        """,
    )


def test_extends_chain_deep_merges(tmp_path: Path) -> None:
    data, origins = load_mapping(_chain(tmp_path))
    assert data == {
        "title": "from a",
        "seed": 2,
        "community": {"size": 6, "name": "c-name"},
        "tags": ["b1"],  # lists are replaced, never concatenated
        "weights": {"x": 1.0, "y": 3.0},
        "coaching": None,  # null sets None, it does not delete
    }
    assert "extends" not in data and "extends" not in origins
    c, b, a = (str(tmp_path / n) for n in ("c.yaml", "b.yaml", "a.yaml"))
    assert origins["title"] == (a, 3)
    assert origins["seed"] == (b, 2)
    assert origins["community.size"] == (b, 4)
    assert origins["community.name"] == (c, 5)
    assert origins["weights.x"] == (c, 7)
    assert origins["weights.y"] == (a, 5)
    assert origins["tags.0"] == (b, 5)
    assert "tags.2" not in origins  # c's longer list was replaced entirely


def test_error_in_base_value_points_at_base_file(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "title: a\ncommunity:\n  size: 1\n")
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nseed: 3\n")
    err = error_of(child)
    assert (err.file, err.line, err.key) == (str(tmp_path / "base.yaml"), 3, "community.size")


def test_error_while_reading_base_names_base_file(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "title: a\ntitle: b\n")
    child = write(tmp_path, "child.yaml", "extends: base.yaml\n")
    err = error_of(child, None)
    assert (err.file, err.line) == (str(tmp_path / "base.yaml"), 2)


def test_extends_resolved_relative_to_extending_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "configs/base.yaml", "title: right base\ncommunity: {size: 3}\n")
    write(tmp_path, "configs/sub/a.yaml", "extends: ../base.yaml\nseed: 7\n")
    write(tmp_path, "base.yaml", "title: WRONG base in cwd\n")  # decoy
    monkeypatch.chdir(tmp_path)
    data, origins = load_mapping("configs/sub/a.yaml")
    assert data["title"] == "right base"
    assert origins["title"] == (str(Path("configs/base.yaml")), 1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    model = load_model(tmp_path / "configs/sub/a.yaml", Scenario)
    assert (model.title, model.seed) == ("right base", 7)


@pytest.mark.parametrize(
    ("files", "start", "chain", "culprit"),
    [
        ({"a.yaml": "b.yaml", "b.yaml": "a.yaml"}, "a.yaml", "a.yaml -> b.yaml -> a.yaml", "b"),
        ({"a.yaml": "a.yaml"}, "a.yaml", "a.yaml -> a.yaml", "a"),
        (
            {"a.yaml": "b.yaml", "b.yaml": "c.yaml", "c.yaml": "b.yaml"},
            "a.yaml",
            "a.yaml -> b.yaml -> c.yaml -> b.yaml",
            "c",
        ),
    ],
)
def test_extends_cycle_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    start: str,
    chain: str,
    culprit: str,
) -> None:
    for name, target in files.items():
        write(tmp_path, name, f"title: {name}\nextends: {target}\n")
    monkeypatch.chdir(tmp_path)
    err = error_of(Path(start), None)
    assert f"extends cycle: {chain}" in str(err)
    assert (err.file, err.line, err.key) == (f"{culprit}.yaml", 2, "extends")


def test_missing_base_names_extending_file_and_line(tmp_path: Path) -> None:
    child = write(tmp_path, "child.yaml", "# comment\ntitle: a\nextends: nowhere.yaml\n")
    err = error_of(child, None)
    assert (err.file, err.line, err.key) == (str(child), 3, "extends")
    assert "'nowhere.yaml' not found" in str(err)


@pytest.mark.parametrize("value", ["[a.yaml]", "3", "", "{file: a.yaml}"])
def test_extends_must_be_a_file_name(tmp_path: Path, value: str) -> None:
    child = write(tmp_path, "child.yaml", f"title: a\nextends: {value}\n")
    err = error_of(child, None)
    assert (err.file, err.line, err.key) == (str(child), 2, "extends")
    assert "expected the name of a base settings file" in str(err)


# --------------------------------------------------------------------------------------------
# Validation errors: keys, lines, expected/found, did-you-mean


def test_message_format_matches_planner_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        "scenarios/x.yaml",
        """
        title: a
        community:
          size: abc
        coaching:
          meetings_per_yer: 4
        """,
    )
    monkeypatch.chdir(tmp_path)
    err = error_of(Path("scenarios/x.yaml"))
    assert str(err).splitlines() == [
        "scenarios/x.yaml, line 3: community.size: expected an integer >= 2, found 'abc'",
        "scenarios/x.yaml, line 5: coaching.meetings_per_yer: unknown key "
        "(did you mean 'meetings_per_year'?)",
    ]
    assert err.problems == str(err).splitlines()
    assert (err.file, err.line, err.key) == ("scenarios/x.yaml", 3, "community.size")
    assert (err.expected, err.found) == ("an integer >= 2", "'abc'")


@pytest.mark.parametrize(
    ("yaml_text", "key", "line", "fragment"),
    [
        (
            "title: a\ncommunity: {size: 3}\ncoaching:\n  meetings_per_year: 60\n",
            "coaching.meetings_per_year",
            4,
            "expected an integer between 1 and 52, found 60",
        ),
        (
            "title: a\ncommunity: {size: 3}\ncoaching:\n  coach_ratio: 1.5\n",
            "coaching.coach_ratio",
            4,
            "expected a number between 0.0 and 1.0, found 1.5",
        ),
        (
            "title: a\ncommunity: {size: 3}\ncoaching:\n  style: grup\n",
            "coaching.style",
            4,
            "expected one of 'group', 'individual', found 'grup' (did you mean 'group'?)",
        ),
        (
            "title: a\nlevel: hihg\ncommunity: {size: 3}\n",
            "level",
            2,
            "expected one of 'low', 'high', found 'hihg' (did you mean 'high'?)",
        ),
        (
            "title: a\ncommunity:\n  size: 3\n  capacity: lots\n",
            "community.capacity",
            4,
            "expected an integer or 'auto', found 'lots'",
        ),
        (
            "title: a\ncommunity: {size: 3}\ntags:\n  - a\n  - [b]\n",
            "tags.1",
            5,
            "expected text, found ['b']",
        ),
        (
            "title: a\ncommunity: {size: 3}\nweights:\n  x: 1\n  y: heavy\n",
            "weights.y",
            5,
            "expected a number, found 'heavy'",
        ),
        (
            "title: a\ncommunity:\n  size: 3\n  name: '  '\n",
            "community.name",
            4,
            "name must not be blank, found '  '",
        ),
        (
            "title: a\ncommunity: {size: 3}\ncoaching:\n  style: individual\n  coach_ratio: 0\n",
            "coaching",
            3,
            "individual coaching needs coach_ratio >= 0.05",
        ),
        (
            "title: a\ncommunity:\n  size: 3\n  code: a1\n",
            "community.code",
            4,
            "expected text matching the pattern '^[A-Z][0-9]$', found 'a1'",
        ),
        (
            "title: a\ncommunity: {size: 3}\ncoaching: often\n",
            "coaching",
            3,
            "expected a mapping of settings or null, found 'often'",
        ),
        (
            "title: a\ncommunity: {size: 3}\ncohorts:\n  - size: 3\n  - {size: 2, nmae: x}\n",
            "cohorts.1.nmae",
            5,
            "unknown key (did you mean 'name'?)",
        ),
        (
            "title: a\ncommunity: {size: 3}\nweights: [1]\n",
            "weights",
            3,
            "expected a mapping, found [1]",
        ),
        (
            "titel: a\ncommunity: {size: 3}\n",
            "titel",
            1,
            "unknown key (did you mean 'title'?)",
        ),
        (
            "title: a\ncommunity: {size: 3}\ncoaching:\n  zzz: 1\n",
            "coaching.zzz",
            4,
            "unknown key (known keys here: meetings_per_year, coach_ratio, style)",
        ),
    ],
)
def test_validation_problem_is_located_and_explained(
    tmp_path: Path, yaml_text: str, key: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, "x.yaml", yaml_text)
    err = error_of(path)
    assert (err.file, err.key, err.line) == (str(path), key, line)
    assert err.problems[0] == f"{path}, line {line}: {key}: {fragment}"


def test_did_you_mean_uses_field_aliases(tmp_path: Path) -> None:
    path = write(tmp_path, "alias.yaml", "perYeer: 3\n")
    err = error_of(path, Aliased)
    assert (err.key, err.line) == ("perYeer", 1)
    assert "did you mean 'perYear'?" in str(err)


def test_missing_settings_are_reported_where_the_parent_is(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "seed: 1\ncommunity:\n  name: x\n")
    err = error_of(path)
    assert err.problems == [
        f"{path}, line 2: community.size: required setting is missing (expected an integer >= 2)",
        f"{path}: title: required setting is missing (expected text)",
    ]
    assert (err.line, err.key) == (2, "community.size")


def test_all_problems_reported_in_reading_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.yaml",
        """
        title: a
        community:
          size: 1
          colour: red
        coaching:
          coach_ratio: -1
        """,
    )
    err = error_of(path)
    assert [p.split(": ")[0] for p in err.problems] == [
        f"{path}, line 3",
        f"{path}, line 4",
        f"{path}, line 6",
    ]
    assert err.line == 3 and err.key == "community.size"
    assert "errors.pydantic.dev" not in str(err) and "Traceback" not in str(err)


def test_long_found_values_are_truncated(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", f"title: a\ncommunity:\n  size: {'9x' * 100}\n")
    err = error_of(path)
    assert err.found is not None and len(err.found) <= 60 and err.found.endswith("...")


def test_validate_mapping_alone_uses_origins_and_file() -> None:
    data = {"title": "a", "community": {"size": 1}}
    origins = {"community.size": ("sweep.yaml", 12)}
    with pytest.raises(ConfigError) as info:
        validate_mapping(data, Scenario, origins, "sweep.yaml")
    assert str(info.value) == (
        "sweep.yaml, line 12: community.size: expected an integer >= 2, found 1"
    )
    with pytest.raises(ConfigError) as info:
        validate_mapping({"community": {"size": 3}}, Scenario, {}, None)
    assert str(info.value) == "title: required setting is missing (expected text)"
    ok = validate_mapping({"title": "t", "community": {"size": 3}}, Scenario, {}, None)
    assert ok.community.size == 3


def test_config_error_survives_pickling(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "x.yaml", "title: a\ncommunity: {size: 1}\nseed: x\n"))
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.file, copy.key, copy.line, copy.problems) == (
        err.file,
        err.key,
        err.line,
        err.problems,
    )
    assert str(copy) == str(err)


# --------------------------------------------------------------------------------------------
# Overrides


def test_overrides_set_nested_keys_with_yaml_types(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.yaml", VALID)
    model = load_model(
        path,
        Scenario,
        [
            "community.size=4",
            "coaching.style=individual",
            "coaching.coach_ratio=0.25",
            "tags=[x, 'y z']",
            "weights={a: 1, b: 2.5}",
            "level=high",
        ],
    )
    assert model.community.size == 4
    assert model.coaching is not None
    assert (model.coaching.style, model.coaching.coach_ratio) == ("individual", 0.25)
    assert model.coaching.meetings_per_year == 10  # untouched sibling kept
    assert model.tags == ["x", "y z"]
    assert model.weights == {"a": 1.0, "b": 2.5}
    assert model.level is Level.HIGH


def test_override_value_types_and_origins() -> None:
    origins = {"x": ("f.yaml", 1), "x.enabled": ("f.yaml", 2), "x.old": ("f.yaml", 3)}
    data = {"x": {"enabled": True, "old": 1}}
    out = apply_overrides(
        data, ["x.enabled=false", "x.n=4", "x.l=[1,2]", "x.none=null", "x.s='4'"], origins
    )
    assert out["x"] == {"enabled": False, "old": 1, "n": 4, "l": [1, 2], "none": None, "s": "4"}
    assert data == {"x": {"enabled": True, "old": 1}}  # input untouched
    assert origins["x.enabled"] == ("--set", 0)
    assert origins["x.l.1"] == ("--set", 0)
    assert origins["x.old"] == ("f.yaml", 3)


def test_override_replacing_a_group_forgets_old_origins() -> None:
    origins = {"x": ("f.yaml", 1), "x.a": ("f.yaml", 2)}
    out = apply_overrides({"x": {"a": 1}}, ["x={b: 2}"], origins)
    assert out == {"x": {"b": 2}}
    assert "x.a" not in origins and origins["x.b"] == ("--set", 0)


def test_override_creates_intermediate_mappings(tmp_path: Path) -> None:
    path = write(tmp_path, "min.yaml", "title: a\ncommunity: {size: 3}\ncoaching: null\n")
    model = load_model(path, Scenario, ["coaching.meetings_per_year=6"])
    assert model.coaching is not None and model.coaching.meetings_per_year == 6
    origins: dict[str, tuple[str, int]] = {}
    assert apply_overrides({}, ["a.b.c=1"], origins) == {"a": {"b": {"c": 1}}}
    assert origins["a"] == origins["a.b"] == origins["a.b.c"] == ("--set", 0)


def test_later_override_wins() -> None:
    assert apply_overrides({}, ["a=1", "a=2"], {}) == {"a": 2}


def test_override_into_list_items(tmp_path: Path) -> None:
    path = write(tmp_path, "l.yaml", VALID + "cohorts:\n  - size: 3\n  - size: 4\n")
    model = load_model(path, Scenario, ["cohorts.1.size=9", "tags.0=z"])
    assert [c.size for c in model.cohorts] == [3, 9]
    assert model.tags == ["z", "b"]
    err = error_of(path, overrides=["cohorts.5.size=9"])
    assert err.file == "--set" and err.key == "cohorts.5.size"
    assert "item number from 0 to 1" in str(err)


def test_override_typo_gets_did_you_mean(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "ok.yaml", VALID), overrides=["coaching.meetings_per_yer=3"])
    assert str(err) == (
        "--set coaching.meetings_per_yer: unknown key (did you mean 'meetings_per_year'?)"
    )
    assert (err.file, err.line, err.key) == ("--set", None, "coaching.meetings_per_yer")


def test_override_bad_value_is_blamed_on_the_override(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "ok.yaml", VALID), overrides=["community.size=abc"])
    assert str(err) == "--set community.size: expected an integer >= 2, found 'abc'"


@pytest.mark.parametrize("raw", ["community.size", "=3", ".a=1", "a..b=1", "a.=1", " =1"])
def test_malformed_override_refused(raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides({}, [raw], {})
    assert info.value.file == "--set"
    assert str(info.value).startswith("--set: ")
    assert "key=value" in str(info.value)


def test_override_inside_a_plain_value_refused() -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides({"title": "a"}, ["title.x=1"], {})
    assert str(info.value) == (
        "--set title.x: cannot set 'x' inside 'title', which is 'a', not a group of settings"
    )


def test_override_value_with_bad_yaml_names_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides({}, ["tags=[a, b"], {})
    assert info.value.key == "tags" and "cannot read the value '[a, b'" in str(info.value)


def test_override_value_with_object_tag_refused() -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides({}, ["x.y=!!python/object/apply:os.system [ls]"], {})
    assert info.value.key == "x.y" and "is not allowed" in str(info.value)


@pytest.mark.parametrize("text", ["Run 2: baseline", "#fff", "a #b", "- x"])
def test_override_block_looking_values_are_plain_text(text: str) -> None:
    assert apply_overrides({}, [f"title={text}"], {}) == {"title": text}


# --------------------------------------------------------------------------------------------
# Rule 9: nothing global is mutated


def test_shared_safe_loader_untouched(tmp_path: Path) -> None:
    constructors = dict(yaml.SafeLoader.yaml_constructors)
    compose = yaml.SafeLoader.compose_node
    load_mapping(write(tmp_path, "ok.yaml", VALID))
    with pytest.raises(ConfigError):
        load_mapping(write(tmp_path, "dup.yaml", "a: 1\na: 2\n"))
    assert yaml.SafeLoader.yaml_constructors == constructors
    assert yaml.SafeLoader.compose_node is compose
    assert yaml.safe_load("a: 1\na: 2\n") == {"a": 2}  # stock behaviour unchanged


# --------------------------------------------------------------------------------------------
# deep_merge properties

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)
_dicts = st.dictionaries(st.text(max_size=5), _values, max_size=5)


@given(_dicts)
def test_deep_merge_with_itself_is_identity(data: dict[str, Any]) -> None:
    assert deep_merge(data, data) == data


@given(_dicts, _dicts)
def test_deep_merge_child_wins_and_base_fills_in(
    base: dict[str, Any], child: dict[str, Any]
) -> None:
    base_before, child_before = repr(base), repr(child)
    merged = deep_merge(base, child)
    assert set(merged) == set(base) | set(child)
    for key, value in child.items():
        if not (isinstance(value, dict) and isinstance(base.get(key), dict)):
            assert merged[key] == value  # scalars, lists and null: the child wins
        else:
            assert merged[key] == deep_merge(base[key], value)
    for key in set(base) - set(child):
        assert merged[key] == base[key]
    assert (repr(base), repr(child)) == (base_before, child_before)  # inputs untouched
