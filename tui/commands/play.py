"""``convsim play SCENARIO``: you are the agent; the scenario's simulated customer chats with you.

SCENARIO is a scenario file, or the name of a built-in scenario (``demo``).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tui.commands.branch_options import (
    add_branch_options,
    branch_scenario,
    load_branch_args,
    wants_branch,
)
from tui.commands.chat_options import add_seed
from tui.commands.command import Command
from tui.wiring.errors import UserError
from tui.wiring.scenarios import resolve_scenario

__all__ = ["COMMAND", "handle_play", "resolve_scenario"]

if TYPE_CHECKING:
    pass


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario",
        nargs="?",
        help="scenario file (.toml) or built-in name (demo); optional with --from",
    )
    add_branch_options(parser)
    add_seed(parser)


def handle_play(args: argparse.Namespace) -> int:
    branch = load_branch_args(args) if wants_branch(args) else None
    if branch is not None:
        scenario = branch_scenario(branch, args.scenario)
    elif args.scenario is None:
        raise UserError("a scenario is needed (a file, a built-in name, or --from TRANSCRIPT)")
    else:
        scenario = resolve_scenario(args.scenario)
    if not sys.stdout.isatty():
        raise UserError("play needs a terminal: it is interactive")
    from tui.app import run_play_app

    if branch is not None:
        return run_play_app(scenario, seed=args.seed, branch=branch)
    return run_play_app(scenario, seed=args.seed)


COMMAND = Command(
    "play",
    help="be the agent yourself: a simulated customer chats with you",
    description=(
        "Play the agent in a scenario: type your replies, the simulated customer answers in"
        " real time, and at the end you confirm or correct the outcome."
    ),
    arguments=_arguments,
    handler=handle_play,
)
