"""``convsim connect SCENARIO``: the scenario's simulated customer chats with a real bot.

The bot is reached over a WebSocket (``--ws URL``), a webhook (``--webhook URL`` with an
optional ``--preset``), a bot profile file (``--profile BOT.toml``), the scenario's own ``[bot]``
table, or the built-in demo bot started in-process (``--demo-bot``). The bot is checked before the
chat starts, so an unreachable bot is one line naming the URL, not a timeout half a minute later.

Exit codes: 0 the conversation ran (whatever its outcome, timeouts included), 1 it broke off
with an error (connection lost for good, a participant failed) or the bot answered but none of
its replies could be read (``unreadable_replies``), 2 a usage problem (bad scenario or profile,
bot unreachable, or no bot at the URL: a webhook answering 404, 405 or 410).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from tui.commands.bot_options import add_bot_options
from tui.commands.branch_options import (
    add_branch_options,
    branch_scenario,
    load_branch_args,
    wants_branch,
)
from tui.commands.chat_options import add_chat_options, headless_wiring
from tui.commands.command import Command
from tui.commands.terminal_ui import terminal_app
from tui.wiring.bots import DEMO_PLACEHOLDER_URL, BotChoice, demo_bot_profile, recorded_bot
from tui.wiring.errors import UserError, as_user_error
from tui.wiring.scenarios import (
    load_builtin,
    load_scenario_file,
    require_llm,
    with_kinds,
    with_max_messages,
)

if TYPE_CHECKING:
    from channels.profile import BotProfile
    from convsim_core.events import RunnerEvent
    from convsim_core.models import ConversationResult
    from convsim_core.scenario_models import Scenario
    from tui.headless import HeadlessPrinter

logger = logging.getLogger(__name__)

# Moved to tui.wiring.bots; re-exported for code written before the move.
__all__ = ["COMMAND", "DEMO_PLACEHOLDER_URL", "demo_bot_profile", "handle_connect", "run_headless"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario",
        type=Path,
        nargs="?",
        help="scenario file (.toml); optional with --demo-bot (default: the builtin demo)",
    )
    add_bot_options(parser)
    add_branch_options(parser)
    add_chat_options(parser, sides="the customer")


def handle_connect(args: argparse.Namespace) -> Any:
    """The UI's exit code, or the headless run as a coroutine for ``tui.cli`` to run."""
    choice = BotChoice.from_args(args)
    choice.check_preset()
    branch = load_branch_args(args) if wants_branch(args) else None
    args.branch = branch
    loaded = branch_scenario(branch, args.scenario) if branch else _load_scenario(args)
    scenario = _apply_overrides(loaded, args)
    recorded = recorded_bot(branch.parent_header, scenario) if branch and not choice.given else None
    if recorded is not None:
        # A branch of a connected session goes on with the bot it was held with (as replay
        # and the transcript viewer's Connect do) unless a bot is named.
        profile, started = recorded
        args.demo_bot = args.demo_bot or (profile.kind if started else None)
    else:
        profile, _ = choice.bot_for(scenario)
    if not args.headless:
        opened = _open_ui(scenario, profile, args)
        if isinstance(opened, int):
            return opened
        print(f"convsim: {opened}; running headless", file=sys.stderr)
    return run_headless(scenario, profile, args)


# -- what to run against what --------------------------------------------------------------------


def _load_scenario(args: argparse.Namespace) -> Scenario:
    if args.scenario is not None:
        return load_scenario_file(args.scenario)
    if args.demo_bot:
        return load_builtin("demo")
    raise UserError("a scenario file is needed (it is optional only with --demo-bot)")


def _apply_overrides(scenario: Scenario, args: argparse.Namespace) -> Scenario:
    scenario = with_max_messages(scenario, args.max_messages)
    if scenario.customer.kind == "scripted" or not (args.llm or args.offline):
        return scenario
    if args.llm:
        require_llm(scenario)
    return with_kinds(scenario, "llm" if args.llm else "offline", roles=("customer",))


async def _check_reachable(profile: BotProfile) -> None:
    from convsim_core.channel import ChannelError
    from tui.wiring.bots import check_reachable

    with as_user_error(ChannelError):
        await check_reachable(profile)  # also "cannot listen on ..." for our callback port


# -- the terminal UI -------------------------------------------------------------------------------


def _open_ui(scenario: Scenario, profile: BotProfile, args: argparse.Namespace) -> int | str:
    """The UI's exit code, or why it cannot run here."""
    app = terminal_app()
    if isinstance(app, str):
        return app
    if not args.demo_bot:
        asyncio.run(_check_reachable(profile))
    if args.out is not None:
        print("convsim: --out applies to --headless runs only", file=sys.stderr)
    # With the demo bot the app starts it: the profile only names the kind and preset so far.
    branch = getattr(args, "branch", None)
    if branch is not None:
        return int(
            app.run_connect_app(
                scenario, profile, seed=args.seed, demo_bot=bool(args.demo_bot), branch=branch
            )
        )
    return int(app.run_connect_app(scenario, profile, seed=args.seed, demo_bot=bool(args.demo_bot)))


# -- headless --------------------------------------------------------------------------------------


async def run_headless(scenario: Scenario, profile: BotProfile, args: argparse.Namespace) -> int:
    """Hold one conversation, printing it as it happens; see the module docstring for codes."""
    from channels.where import public_url
    from convsim_core.channel import ChannelError
    from convsim_core.scenario import ScenarioError
    from tui.headless import HeadlessPrinter
    from tui.wiring.runs import open_bot_run

    printer = HeadlessPrinter()
    wiring = headless_wiring(
        scenario,
        args,
        event_callback=_LivePrinter(printer).on_event,
        branch=getattr(args, "branch", None),
    )
    seed, path = wiring.seed, wiring.transcript_path
    assert path is not None  # headless_wiring always names the file
    with as_user_error(ChannelError, ScenarioError):
        run = await open_bot_run(wiring, profile, demo_bot=bool(args.demo_bot))
    try:
        customer = str(run.runner.services.header.get("customer_kind", "?"))
        shown = public_url(run.profile.url)  # printed output lands in CI logs: no secrets
        printer.intro(scenario, seed=seed, kinds={"customer": customer, "agent": shown})
        try:
            result = await run.runner.run()
        except asyncio.CancelledError:
            print(f"convsim: stopped; transcript so far in {path}", file=sys.stderr)
            raise
    finally:
        await run.close()
    writer = run.writer
    saved = path if writer.error is None else None
    printer.summary(result, transcript=saved, real_time=True)
    _print_extras(printer, result)
    if writer.error is not None:
        print(f"convsim: could not write the transcript {path}: {writer.error}", file=sys.stderr)
        return max(1, _exit_code(result, shown, saved))
    return _exit_code(result, shown, saved)


@attrs.define
class _LivePrinter:
    """The headless printer plus what only a real bot does: reconnects and unreadable frames."""

    printer: HeadlessPrinter

    def on_event(self, event: RunnerEvent) -> None:
        from convsim_core.channel import ChannelState
        from convsim_core.events import ChannelStateChanged, ProtocolErrorSeen
        from convsim_core.textsafe import one_line

        style = self.printer.style
        if isinstance(event, ChannelStateChanged):
            if event.state in (ChannelState.RECONNECTING, ChannelState.FAILED):
                detail = f": {one_line(event.detail)}" if event.detail else ""
                self.printer.line(style.warn(f"        [connection {event.state.value}{detail}]"))
            elif event.state is ChannelState.CONNECTED and event.detail:
                self.printer.line(style.dim(f"        [connected: {one_line(event.detail)}]"))
        elif isinstance(event, ProtocolErrorSeen):
            why = f" ({event.reason})" if event.reason and event.reason != event.excerpt else ""
            self.printer.line(
                style.warn(f"        [unreadable bot message: {event.excerpt!r}{why}]")
            )
        else:
            self.printer.on_event(event)


def _print_extras(printer: HeadlessPrinter, result: ConversationResult) -> None:
    bold = printer.style.bold
    if result.inferred_intent:
        printer.line(f"{bold('Intent:'.ljust(12))}{result.inferred_intent} (inferred)")


def _exit_code(result: ConversationResult, url: str, transcript: Path | None) -> int:
    from convsim_core.models import TerminationReason
    from convsim_core.textsafe import one_line
    from tui.wiring.runs import never_reached

    if result.error is None:
        return 0
    kept = f"; the transcript so far is saved in {transcript}" if transcript else ""
    if result.error.startswith("cannot listen on "):
        # Our own callback port (taken after the check before the run): a setup problem.
        print(f"convsim: error: {one_line(result.error)}", file=sys.stderr)
        return 2
    if never_reached(result):
        # No bot at the URL (a webhook's 404 on the first message, a bot gone since the check):
        # the same line and code as the check before the run gives an unreachable bot.
        print(f"convsim: error: {one_line(result.error)}{kept}", file=sys.stderr)
        return 2
    if result.termination_reason is TerminationReason.CHANNEL_ERROR:
        print(f"convsim: lost the bot at {url}: {result.error}{kept}", file=sys.stderr)
    elif result.termination_reason is TerminationReason.UNREADABLE_REPLIES:
        print(
            f"convsim: the bot at {url} answered, but {result.error}; check [bot.reply] in the"
            f" profile, or run `convsim probe {url}`{kept}",
            file=sys.stderr,
        )
    else:
        print(f"convsim: the conversation failed: {result.error}{kept}", file=sys.stderr)
    return 1


COMMAND = Command(
    "connect",
    help="let a scenario's simulated customer chat with a real bot",
    description=(
        "Connect a scenario's simulated customer to a real bot (WebSocket, webhook, Socket.IO"
        " or Direct Line) and"
        " hold the conversation in real time."
    ),
    epilog=(
        "exit codes: 0 conversation held, 1 it broke off with an error or no bot reply"
        " could be read, 2 usage error or no bot at the URL"
    ),
    arguments=_arguments,
    handler=handle_connect,
)
