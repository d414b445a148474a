"""``--from TRANSCRIPT --at N``: branch a new run from a saved conversation (watch, play, connect).

``watch --from`` also takes a batch conversation (``DIR/ID``) to re-run it exactly; a path to an
existing transcript file, or ``--at``, means a branch instead.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tui.numbers import POSITIVE_WHOLE, add_number
from tui.wiring.errors import UserError

if TYPE_CHECKING:
    from convsim_core.branching import Branch
    from convsim_core.scenario_models import Scenario


def add_branch_options(parser: argparse.ArgumentParser, *, with_from: bool = True) -> None:
    if with_from:
        parser.add_argument(
            "--from",
            dest="from_run",
            metavar="TRANSCRIPT",
            help="branch from a saved transcript: its first messages are the history",
        )
    add_number(
        parser,
        "--at",
        rule=POSITIVE_WHOLE,
        metavar="N",
        help="with --from TRANSCRIPT: keep messages 0..N-1 and continue live (default: all)",
    )


def wants_branch(args: argparse.Namespace) -> bool:
    """A branch from a transcript (not ``watch --from DIR/ID``)."""
    source = getattr(args, "from_run", None)
    if source is None:
        if getattr(args, "at", None) is not None:
            raise UserError("--at needs --from TRANSCRIPT")
        return False
    if args.at is not None:
        return True
    path = Path(source)
    if not path.is_file():
        return False
    # watch --from DIR/ID.jsonl of a batch folder re-runs it exactly, as it always did.
    from convsim_core.batch.manifest import has_manifest

    return not (getattr(args, "command", None) == "watch" and has_manifest(path.parent))


def load_branch_args(args: argparse.Namespace) -> Branch:
    from convsim_core.branching import BranchError, load_branch

    try:
        branch = load_branch(args.from_run, args.at)
    except BranchError as exc:
        raise UserError(str(exc)) from None
    if getattr(args, "seed", None) is None and branch.seed is not None:
        args.seed = branch.seed
    return branch


def branch_scenario(branch: Branch, given: str | Path | None) -> Scenario:
    """The scenario named on the command line, else the parent transcript's."""
    from tui.wiring.scenarios import resolve_scenario

    name = str(given) if given is not None else branch.scenario_ref
    if name is None:
        raise UserError(
            f"{branch.parent} does not say which scenario it ran: give the scenario file too"
        )
    return resolve_scenario(name)
