"""Settings that moved: an old key in a scenario file gets one line naming the key to write.

Issue 9 split the scenario's numbers into levers (what a school decides, in the structure
sections) and assumptions (how people respond, in the `assumptions` section). The behavioural
fields below left their sections; a file, `--set` or sweep factor that still uses one is told
where it went instead of getting "unknown key".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lcsim.config.errors import ConfigError, show_value

MOVED: dict[str, str] = {
    "advising.notice_prob": "assumptions.advisor_notice",
    "coaching.notice_prob": "assumptions.coach_notice",
    "small_groups.facilitator_notice_prob": "assumptions.facilitator_notice",
    "peer_mentoring.notice_prob": "assumptions.mentor_notice",
    "peer_mentoring.escalate_prob": "assumptions.mentor_escalate",
    "space.contact_multiplier": "assumptions.room_contact_multiplier",
    "inclusion.belonging_boost": "assumptions.inclusion_belonging_boost",
    "self_referral.rate_per_year": "assumptions.self_referral_per_year",
    "self_referral.belonging_effect": "assumptions.self_referral_belonging",
    "institution.grades_detect_prob": "assumptions.grades_detect",
}
"""Old dotted key -> the key that replaces it."""

MOVED_SECTIONS: dict[str, str] = {
    "self_referral": "assumptions.self_referral_per_year and assumptions.self_referral_belonging",
}
"""Sections that no longer exist -> where their settings went."""

_NOTES = {
    "inclusion.belonging_boost": "; the programme itself is the lever inclusion.programme: true",
}

REPLACED: dict[str, tuple[str, str]] = {
    "support.resolve_prob": ("assumptions.help_recovery_hr",
                             "help now multiplies the recovery rate from its start"),
    "support.loa_prob": ("assumptions.help_loa_prob",
                         "the chance help ends a severe episode in a leave of absence"),
    "episodes.fail_if_in_intervention": ("assumptions.help_fail_ratio",
                                         "a multiplier of episodes.fail_if_unresolved"),
    "assumptions.tie_per_contact": ("assumptions.contacts_to_tie",
                                    "ties now emerge from contact in the peer network"),
    "assumptions.base_ties_max": ("assumptions.class_pool",
                                  "ties now emerge from contact with the classmates of the pool"),
    "assumptions.lc_ties": ("assumptions.community_pool",
                            "ties now emerge from contact with the community's classmates"),
    "assumptions.vertical_ties": ("assumptions.vertical_contacts_per_week",
                                  "ties now emerge from contact with the class above"),
}
"""Old dotted key -> the assumption that replaced it with another meaning (docs/model.md 6.7):
the old value does not carry over, so it is not repeated in the message."""


def moved_message(path: str, value: Any = None) -> str | None:
    """What to write instead of the old key `path` (with its `value` if one is given)."""
    if path in MOVED:
        new = MOVED[path]
        shown = "" if value is None or isinstance(value, dict | list) else f": {show_value(value)}"
        return (f"has moved to the assumptions section: write {new}{shown}"
                f"{_NOTES.get(path, '')}")
    if path in REPLACED:
        new, meaning = REPLACED[path]
        return f"has been replaced by an assumption: write {new} ({meaning})"
    if path in MOVED_SECTIONS:
        return f"this section has moved to the assumptions section: write {MOVED_SECTIONS[path]}"
    return None


def _found(data: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """Whether the dotted `path` is a key of nested mappings in `data`, and its value."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def check_moved(data: Mapping[str, Any], moved: Mapping[str, str],
                origins: Mapping[str, tuple[str, int]], file: str | None) -> None:
    """Raise one ConfigError, a line per old key of `moved` used in `data`, if there is any."""
    problems: list[ConfigError] = []
    for path in moved:
        present, value = _found(data, path)
        below = path + "."
        if not present or (path in MOVED_SECTIONS
                           and any(p.key == path or (p.key or "").startswith(below)
                                   for p in problems)):
            continue
        where = origins.get(path, (file, 0))
        message = moved_message(path, value)
        assert message is not None
        problems.append(ConfigError(message, file=where[0], key=path, line=where[1] or None,
                                    expected=MOVED.get(path) or REPLACED.get(path, ('',))[0] or None,
                                    found=path))
    if problems:
        problems.sort(key=lambda p: (p.file or "", p.line or 0))
        first = problems[0]
        raise ConfigError(str(first), file=first.file, key=first.key, line=first.line,
                          expected=first.expected, found=first.found,
                          problems=[p.problems[0] for p in problems])
