"""``convsim demo``: watch the builtin demo chat (a refund request), no setup or API key needed."""

from __future__ import annotations

import argparse
from typing import Any

from tui.commands.command import Command
from tui.commands.watch import add_run_options, run_scenario_command
from tui.wiring.errors import UserError


def handle_demo(args: argparse.Namespace) -> Any:
    from convsim_core.scenario import ScenarioError, builtin_scenario

    try:
        scenario = builtin_scenario("demo")
    except ScenarioError as exc:
        raise UserError(str(exc)) from None
    return run_scenario_command(scenario, args, mode="demo")


COMMAND = Command(
    "demo",
    help="watch a built-in demo chat (offline, no API key needed)",
    description="Watch a simulated refund chat between a rule-based customer and agent.",
    arguments=add_run_options,
    handler=handle_demo,
)
