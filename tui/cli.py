"""The ``convsim`` command: one sub-command module per mode, registered here.

Each module in ``tui.commands`` ends with ``COMMAND``, a :class:`~tui.commands.command.Command`
(its name, texts, options and ``handler``: an ``async`` or plain callable taking the parsed
namespace and returning an exit code); :func:`~tui.commands.command.add_command` adds it.
Modules are imported lazily by name so a missing optional part never breaks the others.

:class:`UserError` lives in :mod:`tui.wiring.errors`; it is re-exported here for code written
before it moved (``from tui.cli import UserError`` keeps working, but new code imports the
canonical one: command modules must not import this module, see the import contracts).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import logging
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn

from tui.commands.command import add_command
from tui.wiring.errors import UserError

logger = logging.getLogger(__name__)

__all__ = ["COMMAND_MODULES", "UserError", "build_parser", "main"]

COMMAND_MODULES = (
    "tui.commands.demo",
    "tui.commands.watch",
    "tui.commands.show",
    "tui.commands.play",
    "tui.commands.connect",
    "tui.commands.bot",
    "tui.commands.batch",
    "tui.commands.report",
    "tui.commands.replay",
    "tui.commands.probe",
    "tui.commands.judge",
    "tui.commands.test",
    "tui.commands.chats",
    "tui.commands.scenarios",
    "tui.commands.realism",
)


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are one line too, like every other error (full usage with --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"convsim: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="convsim",
        description="Test customer-service chat agents with simulated customers.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    parser.add_argument("--version", action="version", version=f"convsim {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        add_command(subparsers, module.COMMAND)
    return parser


def _version() -> str:
    try:
        return version("convsim")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from convsim_core.logsafe import console_handler
    from convsim_core.textsafe import one_line

    level = logging.DEBUG if args.verbose else logging.WARNING
    logging.basicConfig(level=level, handlers=[console_handler(level)])
    restore = _sigterm_like_ctrl_c()
    handler: Callable[[argparse.Namespace], Any] | None = getattr(args, "handler", None)
    if handler is None:
        handler = _start_screen_handler()
    try:
        outcome = handler(args)
        if inspect.iscoroutine(outcome):
            outcome = asyncio.run(outcome)
        sys.stdout.flush()  # here, so a closed pipe is caught below and not at exit
        return int(outcome or 0)
    except BrokenPipeError:
        if not _stdout_gone():
            raise
        return 141  # like a process killed by SIGPIPE, as `git log | head` does
    except UserError as exc:
        print(f"convsim: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("convsim: interrupted", file=sys.stderr)
        return 130
    finally:
        restore()


def _stdout_gone() -> bool:
    """Whether stdout's reader went away (``convsim report DIR | head``), not a socket.

    When it did, stdout is pointed at /dev/null so the interpreter's own flush at exit does not
    print a second traceback.
    """
    try:
        sys.stdout.flush()
        gone = _reader_closed(sys.stdout.fileno())
    except BrokenPipeError:
        gone = True
    except (OSError, ValueError):  # no usable stdout at all: not ours to judge
        return False
    if gone:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return gone


def _reader_closed(fd: int) -> bool:
    """A pipe whose reader closed polls as an error (the failed write already dropped its data,
    so flushing again does not tell)."""
    import select

    if not hasattr(select, "poll"):
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _fd, events in poller.poll(0))


def _sigterm_like_ctrl_c() -> Callable[[], None]:
    """SIGTERM (``kill``, a CI timeout, systemd) stops a run the way Ctrl-C does.

    The handler raises SIGINT, so whatever handles Ctrl-C at that moment (asyncio's runner
    cancelling the main task, or the plain KeyboardInterrupt) also handles SIGTERM: runs write
    their "stopped" lines, a batch writes its summary and says how to resume.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, lambda _signum, _frame: signal.raise_signal(signal.SIGINT))
    except (ValueError, OSError):  # pragma: no cover - not settable here
        logger.debug("cannot handle SIGTERM", exc_info=True)
        return lambda: None

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def _start_screen_handler() -> Callable[[argparse.Namespace], Any]:
    try:
        from tui.commands.start import run_start_screen
    except ModuleNotFoundError:
        return _print_help
    return run_start_screen


def _print_help(_args: argparse.Namespace) -> int:
    build_parser().print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
