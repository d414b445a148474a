"""The options every single-conversation command shares (watch, demo, connect, play).

One definition each, so ``--seed``, ``--max-messages``, ``--out``, ``--headless`` and
``--llm``/``--offline`` read and parse the same way in every command's ``--help``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tui.numbers import ANY_WHOLE, POSITIVE_WHOLE, add_number

if TYPE_CHECKING:
    from convsim_core.branching import Branch
    from convsim_core.runners.base import EventCallback
    from convsim_core.scenario_models import Scenario
    from tui.wiring.runs import RunWiring


def add_seed(parser: argparse.ArgumentParser) -> None:
    add_number(parser, "--seed", rule=ANY_WHOLE, help="random seed (default: the scenario's)")


def add_chat_options(parser: argparse.ArgumentParser, *, sides: str) -> None:
    """``--headless``, ``--seed``, ``--max-messages``, ``--out`` and ``--llm``/``--offline``.

    ``sides`` names who ``--llm``/``--offline`` change: "both sides" or "the customer".
    """
    parser.add_argument(
        "--headless", action="store_true", help="print the chat as plain text, no terminal UI"
    )
    add_seed(parser)
    add_number(
        parser, "--max-messages", rule=POSITIVE_WHOLE, metavar="N", help="stop after N messages"
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


def headless_wiring(
    scenario: Scenario,
    args: argparse.Namespace,
    *,
    event_callback: EventCallback,
    branch: Branch | None = None,
) -> RunWiring:
    """The run that ``--seed``, ``--out`` and ``--offline`` ask for, printing through
    ``event_callback``; the transcript file is checked here, before the run (exit 2)."""
    from convsim_core.builder import default_transcript_path
    from tui.outputs import check_out
    from tui.wiring.runs import RunWiring

    seed = scenario.seed if args.seed is None else args.seed
    path: Path = args.out or default_transcript_path(scenario, seed)
    check_out(path)
    return RunWiring(
        scenario,
        seed,
        path,
        event_callback=event_callback,
        use_llm=False if args.offline else None,
        branch=branch,
    )
