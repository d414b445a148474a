"""``convsim watch SCENARIO``: run a scenario file as a full simulation and watch it.

Opens the terminal UI, or with ``--headless`` prints the chat as plain text. The run logic
here is shared with ``convsim demo``, which is ``watch`` on the builtin demo scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.commands.branch_options import (
    add_branch_options,
    branch_scenario,
    load_branch_args,
    wants_branch,
)
from tui.commands.chat_options import add_chat_options, headless_wiring
from tui.commands.command import Command
from tui.commands.terminal_ui import terminal_app
from tui.numbers import POSITIVE, add_number
from tui.wiring.errors import UserError, as_user_error
from tui.wiring.scenarios import load_scenario_file, require_llm, with_kinds, with_max_messages

if TYPE_CHECKING:
    from convsim_core.branching import Branch
    from convsim_core.scenario_models import Scenario

logger = logging.getLogger(__name__)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path, nargs="?", help="scenario file (.toml)")
    parser.add_argument(
        "--from",
        dest="from_run",
        metavar="DIR/ID|TRANSCRIPT",
        help=(
            "re-run one conversation of a batch exactly (its scenario copy and seed), or branch"
            " from a saved transcript (with --at N: its first N messages)"
        ),
    )
    add_branch_options(parser, with_from=False)
    add_run_options(parser)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    add_chat_options(parser, sides="both sides")
    add_number(
        parser,
        "--speed",
        rule=POSITIVE,
        metavar="X",
        help="pace messages at X times real typing speed (default: x8 in the terminal UI,"
        " no waiting headless)",
    )


def handle_watch(args: argparse.Namespace) -> Any:
    if wants_branch(args):
        branch = load_branch_args(args)
        return run_scenario_command(branch_scenario(branch, args.scenario), args, branch=branch)
    if args.from_run is not None:
        if args.scenario is not None:
            raise UserError("give either a scenario file or --from DIR/ID, not both")
        return _rerun_batch_conversation(args)
    if args.scenario is None:
        raise UserError("a scenario file is needed (or --from DIR/ID to re-run a batch's run)")
    return run_scenario_command(load_scenario_file(args.scenario), args)


def _rerun_batch_conversation(args: argparse.Namespace) -> Any:
    from convsim_core.batch import BatchFolderError, load_run_spec, read_manifest, split_run_path
    from convsim_core.batch.rerun import is_hybrid, rerun_command
    from convsim_core.scenario import ScenarioError

    try:
        folder, run_id = split_run_path(args.from_run)
        manifest = read_manifest(folder)
        if is_hybrid(manifest):
            # The offline agent in the bot's seat would not re-run this conversation at all.
            raise UserError(
                f"{args.from_run} was held with a bot, not simulated; re-run it with:"
                f" {rerun_command(folder, run_id, manifest)}"
            )
        scenario, seed = load_run_spec(folder, run_id)
    except (BatchFolderError, ScenarioError) as exc:
        raise UserError(str(exc)) from None
    if args.seed is None:
        args.seed = seed
    return run_scenario_command(scenario, args)


def run_scenario_command(
    scenario: Scenario,
    args: argparse.Namespace,
    *,
    mode: str = "watch",
    branch: Branch | None = None,
) -> Any:
    """Open the UI, or return the headless run (a coroutine ``tui.cli`` runs)."""
    scenario = _apply_overrides(scenario, args)
    if not args.headless:
        note = _open_ui(scenario, args, mode, branch)
        if isinstance(note, int):
            return note
        print(f"convsim: {note}; running headless", file=sys.stderr)
    return run_headless(scenario, args, branch=branch)


def _open_ui(
    scenario: Scenario, args: argparse.Namespace, mode: str, branch: Branch | None = None
) -> int | str:
    """The UI's exit code, or why it cannot run here."""
    app = terminal_app()
    if isinstance(app, str):
        return app
    if args.out is not None:
        print("convsim: --out applies to --headless runs only", file=sys.stderr)
    if branch is not None:
        return int(
            app.run_watch_app(scenario, seed=args.seed, mode=mode, speed=args.speed, branch=branch)
        )
    return int(app.run_watch_app(scenario, seed=args.seed, mode=mode, speed=args.speed))


def _apply_overrides(scenario: Scenario, args: argparse.Namespace) -> Scenario:
    scenario = with_max_messages(scenario, args.max_messages)
    if args.llm:
        require_llm(scenario)
        return with_kinds(scenario, "llm", roles=("customer", "agent"))
    if args.offline:
        return with_kinds(scenario, "offline", roles=("customer", "agent"))
    return scenario


async def run_headless(
    scenario: Scenario, args: argparse.Namespace, *, branch: Branch | None = None
) -> int:
    """Run once, printing as it goes; exit code 1 when the run failed with an error."""
    from convsim_core.pacing import RealTimePacing
    from convsim_core.scenario import ScenarioError
    from tui.headless import HeadlessPrinter
    from tui.wiring.runs import full_run

    printer = HeadlessPrinter()
    wiring = headless_wiring(scenario, args, event_callback=printer.on_event, branch=branch)
    seed, path = wiring.seed, wiring.transcript_path
    with as_user_error(ScenarioError):
        runner, writer = full_run(wiring, pacer=RealTimePacing(args.speed) if args.speed else None)
    assert writer is not None  # a path was given
    header = runner.services.header
    kinds = {role: str(header.get(f"{role}_kind", "?")) for role in ("customer", "agent")}
    printer.intro(scenario, seed=seed, kinds=kinds)
    try:
        result = await runner.run()
    except asyncio.CancelledError:
        print(f"convsim: stopped; partial transcript in {path}", file=sys.stderr)
        raise
    saved = path if writer.error is None else None
    printer.summary(result, transcript=saved)
    if writer.error is not None:
        print(f"convsim: could not write the transcript {path}: {writer.error}", file=sys.stderr)
        return 1
    return 1 if result.error else 0


COMMAND = Command(
    "watch",
    help="watch a simulated chat of a scenario file",
    description="Run a scenario file with a simulated customer and agent and watch the chat.",
    arguments=_arguments,
    handler=handle_watch,
)
