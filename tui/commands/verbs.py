"""Commands whose first argument is a verb (``convsim chats import``, ``convsim scenarios ...``)."""

from __future__ import annotations

from typing import Any


def add_verb_command(subparsers: Any, name: str, *, help: str, description: str) -> Any:
    """Add command ``name`` and return its verbs' subparsers (one verb is required).

    The chosen verb lands in ``args.<name>_verb``; each verb's parser sets its own handler.
    """
    parser = subparsers.add_parser(name, help=help, description=description)
    return parser.add_subparsers(dest=f"{name}_verb", metavar="VERB", required=True)
