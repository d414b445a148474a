"""``convsim bot``: run the built-in demo bot so any client (or ``convsim connect``) can talk to it.

The bot serves every protocol convsim speaks on one port; this command prints each URL, then
runs until Ctrl-C (or SIGTERM) and shuts the server down cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import os
import signal
from collections.abc import Iterator

from channels.demo_bot import DemoBotServer
from tui.commands.command import Command
from tui.numbers import ANY_WHOLE, NON_NEGATIVE, PORT, add_number
from tui.wiring.errors import UserError

DEFAULT_PORT = 8765


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    add_number(
        parser,
        "--port",
        rule=PORT,
        default=DEFAULT_PORT,
        help=f"port to listen on ({DEFAULT_PORT}; 0 picks a free one)",
    )
    add_number(
        parser,
        "--reply-delay",
        rule=NON_NEGATIVE,
        default=0.0,
        metavar="S",
        help="seconds the bot 'types' before each reply message (0)",
    )
    parser.add_argument(
        "--secret-env",
        metavar="NAME",
        help="sign callbacks, and check signed requests, with the secret in environment variable "
        "NAME",
    )
    add_number(parser, "--seed", rule=ANY_WHOLE, default=0, help="seed for the bot's wording (0)")


def _secret(name: str | None) -> str | None:
    if name is None:
        return None
    secret = os.environ.get(name)
    if not secret:
        raise UserError(f"--secret-env: environment variable {name} is not set or empty")
    return secret


async def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; returns 0 after a clean shutdown."""
    server = DemoBotServer(
        args.host,
        args.port,
        reply_delay=args.reply_delay,
        secret=_secret(args.secret_env),
        brain_seed=args.seed,
    )
    try:
        await server.start()
    except OSError as exc:
        raise UserError(_listen_error(args.host, args.port, exc)) from None
    try:
        with _stop_on_signals() as stop:
            _print_banner(server, args.secret_env)
            await stop.wait()
    finally:
        await server.stop()
        print("Demo bot stopped.", flush=True)
    return 0


def _listen_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {host}:{port}: the port is already in use "
            "(pick another with --port, or --port 0 for any free port)"
        )
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[asyncio.Event]:
    """An event set by Ctrl-C/SIGTERM, so the server stops in an orderly way and exits 0.

    Where the loop cannot take signal handlers (Windows, a non-main thread) Ctrl-C still works:
    ``asyncio.run`` cancels the handler and ``run`` cleans up in its ``finally``.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(sig)
    try:
        yield stop
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _print_banner(server: DemoBotServer, secret_env: str | None) -> None:
    lines = [f"convsim demo bot listening on {server.url}"]
    lines += [f"  {name}: {url}" for name, url in server.endpoints.items()]
    if secret_env:
        lines.append(f"Async webhook callbacks are signed with the secret in ${secret_env}.")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


COMMAND = Command(
    "bot",
    help="run the built-in demo support bot on a local port",
    description=(
        "Run convsim's rule-based demo support bot. It speaks WebSocket (JSON and plain "
        "text), generic webhooks (sync and callback), Rasa REST, Bot Framework, Socket.IO "
        "(Rasa and Chainlit) and Direct Line 3.0 on one port, so you can point convsim or "
        "your own client at it. Stop it with Ctrl-C."
    ),
    arguments=_arguments,
    handler=run,
)
