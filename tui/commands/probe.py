"""``convsim probe URL``: send a bot one greeting, show what came back, print a bot profile.

For a bot team's first try: it shows the exchange exactly (status, headers, every frame with its
time), names the protocol it recognised, and prints a ``[bot]`` profile to save and use with
``convsim connect SCENARIO --profile bot.toml``, or says plainly why it cannot.

Exit codes: 0 a usable reply came back (a profile is printed), 1 none did, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tui.commands.command import Command
from tui.formatting import clip
from tui.numbers import NumberRule, add_number
from tui.wiring.errors import UserError

SHOWN = 300
"""Characters of a frame printed (on one line)."""

WAIT = NumberRule(above=0, maximum=600)
"""--timeout: positive seconds, at most ten minutes."""

if TYPE_CHECKING:
    from channels.probe import ProbeResult
    from channels.probe_wire import Exchange


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", help="the bot's URL: ws(s)://... or http(s)://...")
    parser.add_argument(
        "--text", default="Hello", metavar="TEXT", help="the greeting to send (default: Hello)"
    )
    add_number(
        parser,
        "--timeout",
        rule=WAIT,
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for an answer (default: 5)",
    )
    parser.add_argument(
        "--callback-url",
        metavar="URL",
        default=None,
        help=(
            "Rasa callback channel: where the bot posts its replies (the url in its"
            " credentials.yml; default http://127.0.0.1:5034/bot)"
        ),
    )


async def handle_probe(args: argparse.Namespace) -> int:
    from channels.probe import RASA_CALLBACK_URL, probe

    url: str = args.url
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss", "http", "https") or not parts.hostname:
        raise UserError(f"expected a ws://, wss://, http:// or https:// URL, got {url!r}")
    callback = args.callback_url or RASA_CALLBACK_URL
    if urlsplit(callback).scheme != "http" or not urlsplit(callback).hostname:
        raise UserError(f"--callback-url must be an http:// URL, got {callback!r}")
    result = await probe(url, greeting=args.text, wait=args.timeout, callback_url=callback)
    _print(result)
    return 0 if result.finding.usable else 1


def _print(result: ProbeResult) -> None:
    from channels.probe import profile_toml

    out = sys.stdout
    print(f"probe {result.url}", file=out)
    for exchange in result.exchanges:
        _print_exchange(exchange)
    finding = result.finding
    print("", file=out)
    print(f"recognised: {finding.protocol}", file=out)
    for reply in finding.replies:
        print(f"  reply: {reply}", file=out)
    for note in finding.notes:
        print(f"  note: {note}", file=out)
    if finding.profile is None:
        print("no bot profile: nothing usable came back", file=out)
        return
    if finding.usable:
        print("", file=out)
        print(
            "A bot profile (save it as bot.toml; then: convsim connect SCENARIO --profile"
            " bot.toml):",
            file=out,
        )
    else:
        print("", file=out)
        print("The profile it would need (not usable with this build):", file=out)
    print("", file=out)
    print(profile_toml(finding.profile), end="", file=out)


def _print_exchange(exchange: Exchange) -> None:
    out = sys.stdout
    print("", file=out)
    where = "WebSocket" if exchange.transport == "websocket" else "HTTP POST"
    print(f"{where} {exchange.url}", file=out)
    if exchange.connect_seconds is not None:
        print(f"  connected in {exchange.connect_seconds * 1000:.0f} ms", file=out)
    if exchange.status is not None:
        print(f"  status: {exchange.status}", file=out)
    for name, value in exchange.headers:
        print(f"  header: {name}: {value}", file=out)
    print(f"  -> {clip(exchange.sent, SHOWN)}", file=out)
    for frame in exchange.frames:
        source = f" (POST {frame.source})" if frame.source else ""
        print(f"  <- {frame.at * 1000:+.0f} ms{source}: {clip(frame.data, SHOWN)}", file=out)
    if not exchange.frames and exchange.error is None:
        print("  <- nothing came back", file=out)
    if exchange.closed:
        print(f"  connection {exchange.closed}", file=out)
    if exchange.error:
        print(f"  error: {exchange.error}", file=out)


COMMAND = Command(
    "probe",
    help="say hello to a bot, show what came back and print a bot profile",
    description=(
        "Send one greeting to a bot (WebSocket or HTTP), show exactly what came back,"
        " recognise its protocol and print a ready bot profile."
    ),
    epilog="exit codes: 0 a usable reply came back, 1 none did, 2 usage error",
    arguments=_arguments,
    handler=handle_probe,
)
