"""The options of every command that runs a batch job (``convsim batch`` and ``convsim test``).

One definition each, so the scenarios, ``--runs``, ``--concurrency``, ``--seed``, ``--out``,
``--resume``, the bot, the rate limits, the scale and ``--llm``/``--offline`` parse the same way
in both; :func:`tui.commands.batch.build_job` reads them into a job. What says something
different per command (four help lines and ``--concurrency``'s default) is a
:class:`BatchOptionTexts`, one per command side by side here (``BATCH_TEXTS``, ``TEST_TEXTS``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import attrs

from tui.commands.bot_options import add_bot_options
from tui.commands.scale_options import add_scale_options
from tui.numbers import ANY_WHOLE, CONCURRENCY, POSITIVE, POSITIVE_WHOLE, RUNS, add_number


@attrs.frozen(kw_only=True)
class BatchOptionTexts:
    """The shared options' help lines that differ per command, and ``--concurrency``'s default
    (None: the command picks one after reading a resumed batch's manifest)."""

    scenarios: str
    runs: str
    concurrency: str
    progress: str
    default_concurrency: int | None


BATCH_TEXTS = BatchOptionTexts(
    scenarios="scenario file, folder of scenario files, or built-in name (e.g. demo); "
    "optional with --resume",
    runs="runs per scenario (10)",
    default_concurrency=None,
    concurrency="conversations at once (10; on --resume, what the batch was started with)",
    progress="headless, not a terminal: print a progress line every N conversations",
)

TEST_TEXTS = BatchOptionTexts(
    scenarios="scenario file, folder or built-in name (with an [expect] table); "
    "optional with --resume",
    runs="runs per scenario, at most (10)",
    default_concurrency=4,
    concurrency="conversations at once (4)",
    progress="not a terminal: print a progress line every N conversations",
)


def add_batch_options(parser: argparse.ArgumentParser, texts: BatchOptionTexts) -> None:
    """Add the shared options, with the command's own help lines."""
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=texts.scenarios)
    add_number(parser, "--runs", rule=RUNS, metavar="N", help=texts.runs)
    add_number(
        parser,
        "--concurrency",
        "-c",
        rule=CONCURRENCY,
        default=texts.default_concurrency,
        metavar="C",
        help=texts.concurrency,
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="batch folder (a new one)")
    add_number(
        parser,
        "--seed",
        rule=ANY_WHOLE,
        metavar="S",
        help="base seed for every scenario (default: theirs)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="finish an interrupted batch in --out"
    )
    add_number(parser, "--progress-every", rule=POSITIVE_WHOLE, metavar="N", help=texts.progress)
    add_bot_options(parser, prefix="hybrid: ")
    limits = parser.add_argument_group("LLM rate limits (shared by all conversations)")
    add_number(limits, "--rpm", rule=POSITIVE, metavar="N", help="requests per minute")
    add_number(limits, "--tpm", rule=POSITIVE, metavar="N", help="tokens per minute")
    add_scale_options(parser)
    llm = parser.add_mutually_exclusive_group()
    llm.add_argument("--offline", action="store_true", help="play every side offline")
    llm.add_argument("--llm", action="store_true", help="play every non-scripted side by LLM")
