"""The options every single-conversation command shares (watch, demo, connect, play).

One definition each, so ``--seed``, ``--max-messages``, ``--out``, ``--headless`` and
``--llm``/``--offline`` read and parse the same way in every command's ``--help``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.numbers import ANY_WHOLE, POSITIVE_WHOLE, NumberAction


def add_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed", action=NumberAction, rule=ANY_WHOLE, help="random seed (default: the scenario's)"
    )


def add_chat_options(parser: argparse.ArgumentParser, *, sides: str) -> None:
    """``--headless``, ``--seed``, ``--max-messages``, ``--out`` and ``--llm``/``--offline``.

    ``sides`` names who ``--llm``/``--offline`` change: "both sides" or "the customer".
    """
    parser.add_argument(
        "--headless", action="store_true", help="print the chat as plain text, no terminal UI"
    )
    add_seed(parser)
    parser.add_argument(
        "--max-messages",
        action=NumberAction,
        rule=POSITIVE_WHOLE,
        metavar="N",
        help="stop after N messages",
    )
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="transcript file (default: runs/<scenario>/...)"
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--llm", action="store_true", help=f"let the LLM play {sides} (needs OPENAI_API_KEY)"
    )
    group.add_argument(
        "--offline",
        action="store_true",
        help=f"play {sides} offline, even kind = 'llm' ones",
    )
