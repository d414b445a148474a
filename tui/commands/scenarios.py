"""``convsim scenarios from-chats``: draft scenario files from a library of real chats."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.commands.chats import add_library
from tui.commands.command import Command
from tui.commands.scenario_from_transcript import FROM_TRANSCRIPT
from tui.numbers import ANY_WHOLE, POSITIVE_WHOLE, add_number
from tui.wiring.errors import UserError, as_user_error


def _from_chats_arguments(parser: argparse.ArgumentParser) -> None:
    add_library(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    add_number(
        parser,
        "--count",
        rule=POSITIVE_WHOLE,
        default=8,
        metavar="N",
        help="how many intents (default 8)",
    )
    add_number(parser, "--seed", rule=ANY_WHOLE, default=0, help="clustering seed (0)")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")


def handle_from_chats(args: argparse.Namespace) -> int:
    from convsim_core.chats.bootstrap import draft_scenarios, scenario_toml
    from convsim_core.chats.library import ChatLibrary, ChatLibraryError
    from convsim_core.scenario import load_scenario
    from convsim_core.scenario_reader import ScenarioError

    with as_user_error(ChatLibraryError):
        chats = ChatLibrary.open(args.library).chats()
    if not chats:
        raise UserError(f"{args.library}: the library has no chats")
    drafts = draft_scenarios(chats, args.count, seed=args.seed)
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: is a file, not a folder")
    paths = [out / f"{draft.name}.toml" for draft in drafts]
    clashes = [str(p) for p in paths if p.exists()]
    if clashes and not args.force:
        raise UserError(f"{clashes[0]} exists (use --force to overwrite)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for draft, path in zip(drafts, paths, strict=True):
            path.write_text(scenario_toml(draft), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write to {out}: {exc.strerror}") from None
    for draft, path in zip(drafts, paths, strict=True):
        try:
            load_scenario(path)  # a draft that does not load would be a bug, not user error
        except ScenarioError as exc:
            raise UserError(f"internal: the draft {path} does not load: {exc}") from None
        print(
            f"{path}: {draft.title} (weight {draft.weight:.3f}, {len(draft.chat_ids)} chats,"
            f" outcomes: {', '.join(o.name for o in draft.outcomes) or 'none recorded'})"
        )
    return 0


COMMAND = Command(
    "scenarios",
    help="write scenario files from real material",
    description="Draft scenario files from real chats or saved transcripts.",
    verbs=(
        Command(
            "from-chats",
            help="one draft scenario per intent found in a chat library",
            description=(
                "Group a library's chats by intent (offline clustering) and write a draft"
                " scenario per intent, with a weight: the share of real chats with that intent."
            ),
            arguments=_from_chats_arguments,
            handler=handle_from_chats,
        ),
        FROM_TRANSCRIPT,
    ),
)
