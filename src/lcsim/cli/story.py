"""`lcsim story DIR`: one traced student's life in plain words (side by side in a comparison)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lcsim import api
from lcsim.cli.common import seed_int

HELP = "tell one traced student's story from a run or comparison"
DESCRIPTION = ("Print one student's life from a directory run with --trace: entry, setbacks "
               "and whether each became a difficulty episode, who noticed each episode and "
               "when, help, leaves, year results and the outcome, dated by school year and "
               "week. In a comparison directory the same student (the same setbacks, under "
               "common random numbers) is shown under the reference and each proposal side "
               "by side. Nothing is simulated.")
PICKS = ("left", "late", "unhelped", "helped-late", "saved", "earlier")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("directory", type=Path, metavar="DIR")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--student", type=seed_int, metavar="ID", help="the student id")
    who.add_argument("--pick", choices=PICKS,
                     help="pick a traced student reproducibly: left (withdrew or dismissed), "
                     "late (helped > 90 days after onset), unhelped (an episode ended in a "
                     "leave or withdrawal without help), helped-late (helped after the "
                     "median); in a comparison also saved (left under the reference, "
                     "graduated under a proposal) and earlier (helped >= 60 days earlier "
                     "under a proposal)")
    p.add_argument("--replication", "-r", type=seed_int, default=0,
                   help="replication (default 0)")
    p.add_argument("--seed", type=seed_int, default=0,
                   help="seed of --pick's choice among the candidates (default 0)")
    p.add_argument("--json", action="store_true", help="print the story as one JSON object")


def main(args: argparse.Namespace) -> int:
    story = api.story(args.directory, student=args.student, replication=args.replication,
                      pick=args.pick, seed=args.seed)
    print(json.dumps(story.to_json()) if args.json else story.text(), end="\n" * args.json)
    return 0
