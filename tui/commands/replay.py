"""``convsim replay TRANSCRIPT_OR_DIR [bot options] [--fast]``: a regression test of a bot.

Resends a recorded conversation's customer messages to the bot (with their recorded timing, or
at once with ``--fast``) and shows per turn the recorded and the new answers side by side with
a word diff, and the outcome each reached. For a folder: every transcript, then a summary of
the conversations and turns that changed.

Exit codes: 0 nothing changed, 1 some answer or outcome changed (or a replay broke off),
2 a usage problem (no such file, bot unreachable, no bot at the URL: a webhook's 404).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui.commands.bot_options import add_bot_options
from tui.commands.command import Command

if TYPE_CHECKING:
    from convsim_core.replay import ReplayComparison
    from tui.wiring.bots import BotChoice


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target", type=Path, metavar="TRANSCRIPT_OR_DIR", help="a transcript or a folder of them"
    )
    add_bot_options(parser)
    parser.add_argument(
        "--fast",
        action="store_true",
        help="send each customer message as soon as the bot has answered (no recorded waits)",
    )
    parser.add_argument(
        "--headless", action="store_true", help="print the comparison, no terminal UI"
    )


def handle_replay(args: argparse.Namespace) -> int:
    from tui.replaying.print import print_comparison, print_summary
    from tui.replaying.run import transcripts_in
    from tui.wiring.bots import BotChoice

    choice = BotChoice.from_args(args)
    choice.check_preset()
    paths = transcripts_in(args.target)
    results = asyncio.run(_replay_all(paths, choice, fast=args.fast))
    if not args.headless and sys.stdout.isatty():
        from tui.replaying.app_entry import show_comparisons

        show_comparisons(results)
    else:
        for result in results:
            print_comparison(result)
        if len(results) > 1:
            print_summary(results)
    return 1 if any(result.changed for result in results) else 0


async def _replay_all(
    paths: list[Path], choice: BotChoice, *, fast: bool
) -> list[ReplayComparison]:
    from tui.replaying.run import replay_one

    results: list[ReplayComparison] = []
    for path in paths:
        if len(paths) > 1:
            print(f"convsim: replaying {path.name}…", file=sys.stderr)
        results.append(await replay_one(path, choice, fast=fast))
    return results


COMMAND = Command(
    "replay",
    help="resend a recorded conversation to a bot and compare the answers",
    description=(
        "Replay recorded customer messages against a bot (by default the bot the"
        " transcript recorded) and compare its answers turn by turn with the recording."
    ),
    epilog="exit codes: 0 nothing changed, 1 something changed, 2 usage error or no bot at the URL",
    arguments=_arguments,
    handler=handle_replay,
)
