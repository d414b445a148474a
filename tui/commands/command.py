"""What one ``convsim`` sub-command declares, and the one way its parser is made from that.

Every command module ends with ``COMMAND = Command(...)``: its name, the one-line ``help`` of
``convsim --help``, the ``description`` and ``epilog`` of ``convsim NAME --help``, a function
that adds its options and the handler that runs it. :func:`add_command` (called by
:func:`tui.cli.build_parser`) turns that into a sub-parser, so the texts sit in one declaration
per command instead of in a hand-written ``add_parser`` call each. A command whose first
argument is a verb (``convsim chats import``) lists its verbs, themselves :class:`Command`\\s, in
``verbs``; the chosen verb lands in ``args.<name>_verb``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

__all__ = ["Command", "add_command"]

if TYPE_CHECKING:
    Subparsers: TypeAlias = argparse._SubParsersAction[Any]
Handler = Callable[[argparse.Namespace], Any]
"""Takes the parsed namespace, returns an exit code (or a coroutine that does)."""
Arguments = Callable[[argparse.ArgumentParser], None]


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A command (or verb group) with no options of its own."""


@attrs.frozen
class Command:
    """One sub-command (or verb), named as ``add_parser`` names it: exactly one of ``handler``
    and ``verbs``."""

    name: str
    help: str = attrs.field(kw_only=True)
    description: str | None = attrs.field(default=None, kw_only=True)
    epilog: str | None = attrs.field(default=None, kw_only=True)
    arguments: Arguments = attrs.field(default=_no_arguments, kw_only=True)
    handler: Handler | None = attrs.field(default=None, kw_only=True)
    verbs: tuple[Command, ...] = attrs.field(default=(), kw_only=True)
    defaults: Mapping[str, Any] = attrs.field(factory=dict, kw_only=True)
    """More namespace defaults beside ``handler`` (what a shared job builder reads but this
    command has no flag for)."""

    def __attrs_post_init__(self) -> None:
        if (self.handler is None) == (not self.verbs):
            raise ValueError(f"command {self.name!r}: give either a handler or verbs")


def add_command(subparsers: Subparsers, command: Command) -> argparse.ArgumentParser:
    """Add ``command`` (and its verbs) under ``subparsers``; returns its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        command.name, help=command.help, description=command.description, epilog=command.epilog
    )
    command.arguments(parser)
    if command.verbs:
        verbs = parser.add_subparsers(dest=f"{command.name}_verb", metavar="VERB", required=True)
        for verb in command.verbs:
            add_command(verbs, verb)
    else:
        parser.set_defaults(handler=command.handler, **command.defaults)
    return parser
