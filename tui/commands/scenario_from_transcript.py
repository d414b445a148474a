"""``convsim scenarios from-transcript FILE [--out FILE.toml]``: a session as a scenario file."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.commands.command import Command
from tui.wiring.errors import UserError
from tui.wiring.scenario_export import check_command, default_out, save_scenario


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("transcript", type=Path, metavar="FILE", help="a transcript (.jsonl)")
    parser.add_argument(
        "--out", type=Path, metavar="FILE.toml", help="where to write it (default: FILE.toml)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


def handle_from_transcript(args: argparse.Namespace) -> int:
    out: Path = args.out or default_out(args.transcript)
    if out.exists() and not args.force:
        raise UserError(f"{out} exists (use --force to overwrite)")
    path, expect_table = save_scenario(args.transcript, out)
    how = "[expect] table" if expect_table else "expectation as a comment (no [expect] support yet)"
    print(f"{path}: scripted customer from {args.transcript.name}, {how}")
    print(f"check it with: {check_command(path)}")
    return 0


FROM_TRANSCRIPT = Command(
    "from-transcript",
    help="a scenario whose scripted customer says what a saved session's customer said",
    description=(
        "Write a scenario from a played or connected session: the customer is scripted"
        " with the recorded turns, the expectation is the outcome the session reached."
    ),
    arguments=_arguments,
    handler=handle_from_transcript,
)
"""The ``from-transcript`` verb of ``convsim scenarios``."""
