"""``convsim show TRANSCRIPT``: print a saved JSONL transcript, finished or not."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tui.wiring.errors import UserError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "show",
        help="print a saved transcript",
        description="Pretty-print a transcript (.jsonl) written by a run, including partial ones.",
    )
    parser.add_argument("transcript", type=Path, help="transcript file (.jsonl)")
    parser.set_defaults(handler=handle_show)


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
