"""The options that point a command at a bot, shared by ``convsim connect`` and ``batch``."""

from __future__ import annotations

import argparse
from pathlib import Path

PRESET_NAMES = (
    "generic-json, generic-ws, rasa-rest, botframework, demo-ws, plain-ws, rasa-socketio,"
    " chainlit, directline"
)
DEMO_TRANSPORTS = ("ws", "webhook", "socketio", "directline")


def add_bot_options(parser: argparse.ArgumentParser, *, prefix: str = "") -> None:
    """``--ws``, ``--webhook``, ``--socketio``, ``--directline``, ``--profile``, ``--demo-bot``
    (one of them) and ``--preset``.

    ``prefix`` starts each help line ("hybrid: " where the bot is optional).
    """
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--ws", metavar="URL", help=f"{prefix}the bot's WebSocket URL (ws:// or wss://)"
    )
    target.add_argument(
        "--webhook", metavar="URL", help=f"{prefix}the bot's webhook URL (http(s)://)"
    )
    target.add_argument(
        "--socketio",
        metavar="URL",
        help=f"{prefix}the bot's Socket.IO server (http(s)://; Rasa's socket channel by default,"
        " --preset chainlit for Chainlit)",
    )
    target.add_argument(
        "--directline",
        metavar="URL",
        help=f"{prefix}a Direct Line 3.0 endpoint (https://directline.botframework.com); the"
        " secret is read from $DIRECTLINE_SECRET",
    )
    target.add_argument(
        "--profile", type=Path, metavar="BOT.toml", help=f"{prefix}a bot profile file"
    )
    target.add_argument(
        "--demo-bot",
        nargs="?",
        const="ws",
        choices=DEMO_TRANSPORTS,
        metavar="ws|webhook|socketio|directline",
        help=f"{prefix}start the built-in demo bot in-process and talk to it (ws by default)",
    )
    parser.add_argument(
        "--preset", metavar="NAME", help=f"how to talk to the bot: one of {PRESET_NAMES}"
    )
