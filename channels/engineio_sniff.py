"""Recognise a Socket.IO server behind a plain WebSocket URL, so the user is told at once.

Pointed at a Socket.IO endpoint, the plain WebSocket channel used to show the Engine.IO open
packet (``0{"sid":...,"pingInterval":...}``) as an unreadable bot message and then wait for a
conversation that never came. The open packet (Engine.IO v4: type ``0`` + JSON with ``sid``,
``pingInterval``...) and python-socketio's refusal of a handshake without ``EIO=4`` are both
unmistakable, so either ends the run with one line naming the right option.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from convsim_core.channel import ChannelError

SOCKETIO_ENDPOINT = (
    "this is a Socket.IO endpoint: use --socketio URL (or preset rasa-socketio/chainlit)"
)


class SocketIOEndpoint(ChannelError):
    """The plain WebSocket URL is a Socket.IO server; retrying cannot help."""

    def __init__(self, url: str) -> None:
        super().__init__(f"{url}: {SOCKETIO_ENDPOINT}")


def is_engineio_open(raw: str | bytes) -> bool:
    """Whether a text frame is an Engine.IO open packet (cheap for every other frame)."""
    if not isinstance(raw, str) or not raw.startswith("0{"):
        return False
    try:
        data = json.loads(raw[1:])
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and "sid" in data and "pingInterval" in data


_JS_REFUSALS = ("transport unknown", "unsupported protocol version")
"""The Node.js engine.io server's ``{"code": N, "message": ...}`` for a handshake it refuses."""


def is_engineio_refusal(body: bytes | bytearray | None) -> bool:
    """python-socketio's (or Node's engine.io's) answer to a handshake without ``EIO=4``."""
    text = (body or b"")[:2000].decode("utf-8", errors="replace").lower()
    if "engine.io" in text and "socket.io" in text:  # python-socketio's 400 body
        return True
    return '"code"' in text and any(message in text for message in _JS_REFUSALS)


def looks_like_engineio(url: str) -> bool:
    """Worth waiting for the first frame in the pre-run check (the open packet comes at once)."""
    parts = urlsplit(url)
    return "socket.io" in parts.path or "EIO=" in parts.query
