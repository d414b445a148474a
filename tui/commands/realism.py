"""``convsim realism DIR --library LIB``: how close simulated customers come to real ones."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tui.commands.command import Command
from tui.wiring.errors import UserError


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, metavar="DIR", help="a folder of transcripts")
    parser.add_argument("--library", type=Path, required=True, metavar="LIB")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def handle_realism(args: argparse.Namespace) -> int:
    from convsim_core.chats.library import ChatLibrary, ChatLibraryError
    from convsim_core.chats.realism import measure, reference_chats
    from convsim_core.models import ParticipantRole
    from convsim_core.persistence import read_transcript
    from convsim_core.serialization import SchemaError

    folder: Path = args.folder
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder of transcripts")
    try:
        ChatLibrary.open(args.library)
    except ChatLibraryError as exc:
        raise UserError(str(exc)) from None
    skipped: list[str] = []
    by_scenario: dict[str, list[list[str]]] = {}
    openings: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.jsonl")):
        try:
            transcript = read_transcript(path)
        except (OSError, UnicodeDecodeError, SchemaError) as exc:
            skipped.append(f"{path}: {exc}")
            continue
        name = str(transcript.header.get("scenario") or path.parent.name)
        turns = [m.content for m in transcript.messages if m.sender is ParticipantRole.CUSTOMER]
        if turns:
            by_scenario.setdefault(name, []).append(turns)
            openings.setdefault(name, []).append(turns[0])
    for line in skipped[:10]:
        print(f"convsim: skipped {line}", file=sys.stderr)
    if len(skipped) > 10:
        print(f"convsim: ... and {len(skipped) - 10} more files skipped", file=sys.stderr)
    if not by_scenario:
        raise UserError(f"{folder}: no transcript with customer messages")
    rows: dict[str, dict[str, Any]] = {}
    for name, conversations in sorted(by_scenario.items()):
        real = reference_chats(args.library, " ".join(openings[name][:20]))
        try:
            rows[name] = {
                "conversations": len(conversations),
                **measure(conversations, real).to_json(),
            }
        except ValueError as exc:
            raise UserError(f"{name}: {exc}") from None
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    header = f"{'scenario':24} {'convs':>5} {'words':>11} {'length':>6} {'turns':>6}"
    header += f" {'vocab':>6} {'nearest':>7} {'clf acc':>7} {'score':>6}"
    print(header)
    for name, row in rows.items():
        words = f"{row['mean_words_simulated']:.1f}/{row['mean_words_real']:.1f}"
        print(
            f"{name[:24]:24} {row['conversations']:5d} {words:>11} {row['length']:6.2f}"
            f" {row['turns']:6.2f} {row['vocabulary']:6.2f} {row['nearest']:7.2f}"
            f" {row['classifier_accuracy']:7.0%} {row['score']:6.2f}"
        )
    print("words: simulated/real mean per turn; clf acc 50% = indistinguishable; 1.00 = like real")
    return 0


COMMAND = Command(
    "realism",
    help="score simulated customers against real chats",
    description=(
        "Per scenario: length and turn-count distributions, vocabulary overlap,"
        " similarity to the nearest real turn and how well a classifier tells simulated from"
        " real turns (50% = indistinguishable), against the most alike chats of a library."
    ),
    arguments=_arguments,
    handler=handle_realism,
)
