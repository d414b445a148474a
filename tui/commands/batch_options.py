"""The options of every command that runs a batch job (``convsim batch`` and ``convsim test``).

One definition each, so the scenarios, ``--runs``, ``--concurrency``, ``--seed``, ``--out``,
``--resume``, the bot, the rate limits, the scale and ``--llm``/``--offline`` parse the same way
in both; :func:`tui.commands.batch.build_job` reads them into a job. The help lines that say
something different per command are arguments.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.commands.bot_options import add_bot_options
from tui.commands.scale_options import add_scale_options
from tui.numbers import ANY_WHOLE, CONCURRENCY, POSITIVE, POSITIVE_WHOLE, RUNS, NumberAction


def add_batch_options(
    parser: argparse.ArgumentParser,
    *,
    scenarios_help: str,
    runs_help: str,
    concurrency: int | None,
    concurrency_help: str,
    progress_help: str,
) -> None:
    """Add the shared options; ``concurrency`` is ``--concurrency``'s default (None: the
    command picks one after reading a resumed batch's manifest)."""
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=scenarios_help)
    parser.add_argument("--runs", action=NumberAction, rule=RUNS, metavar="N", help=runs_help)
    parser.add_argument(
        "--concurrency",
        "-c",
        action=NumberAction,
        rule=CONCURRENCY,
        default=concurrency,
        metavar="C",
        help=concurrency_help,
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="batch folder (a new one)")
    parser.add_argument(
        "--seed",
        action=NumberAction,
        rule=ANY_WHOLE,
        metavar="S",
        help="base seed for every scenario (default: theirs)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="finish an interrupted batch in --out"
    )
    parser.add_argument(
        "--progress-every",
        action=NumberAction,
        rule=POSITIVE_WHOLE,
        metavar="N",
        help=progress_help,
    )
    add_bot_options(parser, prefix="hybrid: ")
    limits = parser.add_argument_group("LLM rate limits (shared by all conversations)")
    limits.add_argument(
        "--rpm", action=NumberAction, rule=POSITIVE, metavar="N", help="requests per minute"
    )
    limits.add_argument(
        "--tpm", action=NumberAction, rule=POSITIVE, metavar="N", help="tokens per minute"
    )
    add_scale_options(parser)
    llm = parser.add_mutually_exclusive_group()
    llm.add_argument("--offline", action="store_true", help="play every side offline")
    llm.add_argument("--llm", action="store_true", help="play every non-scripted side by LLM")
