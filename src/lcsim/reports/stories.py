"""The report's paired stories: for each proposal, one student it saved and one it helped
earlier, told side by side with the reference (`lcsim story`, from stored tables only).

Chosen reproducibly (`story_pick.first_pick`, seed 0): the first replication with a traced
candidate, and in it the candidate with the smallest keyed hash. Without ``events.parquet`` the
section says that the comparison was run without ``--trace``.
"""

from __future__ import annotations

import html

from lcsim.comparison.result import Comparison
from lcsim.reports.format import title
from lcsim.reports.story import read_lives, render
from lcsim.reports.story_pick import first_pick

PICKS = ("saved", "earlier")
INTRO = ("Under common random numbers a student meets the same setbacks under every "
         "structure: the same setbacks, a different structure. Each story below follows one "
         "traced student under {ref} (left column) and the proposal (right column); lines "
         "across the page happen under both. Students are chosen reproducibly (seed 0) among "
         "the traced ones; <code>lcsim story DIR --pick saved</code> or <code>--pick "
         "earlier</code> tells more.")


def _story(cmp: Comparison, proposal: str, pick: str) -> str:
    found = first_pick(cmp.directory, pick, seed=0, proposals=[proposal])
    ref, prop = html.escape(title(cmp.reference)), html.escape(title(proposal))
    words = (f"left under {ref} but graduated under {prop}" if pick == "saved" else
             f"helped at least 60 days earlier under {prop}")
    if found is None:
        return (f"<p class='muted'>No traced student {words} (a larger <code>--trace</code> "
                "or more replications may find one).</p>")
    rep, student = found
    lives = [life for life in read_lives(cmp.directory, rep, student)
             if life.scenario in (cmp.reference, proposal)]
    return (f"<h4>A student {words}</h4><pre class='story'>"
            f"{html.escape(render(lives, rep))}</pre>")  # (reference, proposal)


def stories(cmp: Comparison) -> str:
    """The section "One student, two structures" (HTML)."""
    head = "<h2>One student, two structures</h2>"
    if not cmp.info.get("crn", True):
        return (head + "<p class='muted'>This comparison was run without common random "
                "numbers (<code>--no-crn</code>): a student is not the same life in each "
                "scenario, so no paired story can be told.</p>")
    if not (cmp.directory / cmp.reference / "events.parquet").is_file():
        return (head + "<p class='muted'>This comparison was run without <code>--trace"
                "</code>, so it has no students' stories. Run it again with <code>--trace "
                "0.05</code> (the default of <code>lcsim compare</code>) to add them.</p>")
    parts = [head, f"<p>{INTRO.format(ref=html.escape(title(cmp.reference)))}</p>"]
    for proposal in cmp.proposals:
        parts.append(f"<h3>{html.escape(title(proposal))}</h3>")
        parts.extend(_story(cmp, proposal, pick) for pick in PICKS)
    return "\n".join(parts)
