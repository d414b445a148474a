"""``convsim show TRANSCRIPT``: print a saved JSONL transcript, finished or not."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.commands.command import Command
from tui.wiring.errors import UserError


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("transcript", type=Path, help="transcript file (.jsonl)")


def handle_show(args: argparse.Namespace) -> int:
    from convsim_core.persistence import read_transcript
    from convsim_core.serialization import SchemaError
    from tui.headless import HeadlessPrinter

    path: Path = args.transcript
    try:
        transcript = read_transcript(path)
    except FileNotFoundError:
        raise UserError(f"{path}: no such transcript file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a transcript file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the file: {exc}") from None
    except SchemaError as exc:
        raise UserError(str(exc)) from None
    HeadlessPrinter().transcript(transcript)
    return 0


COMMAND = Command(
    "show",
    help="print a saved transcript",
    description="Pretty-print a transcript (.jsonl) written by a run, including partial ones.",
    arguments=_arguments,
    handler=handle_show,
)
