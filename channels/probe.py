"""``convsim probe URL``: say hello to a bot, show what came back, and name its protocol.

The probe tries what a bot team would: over a WebSocket a JSON greeting (the ``generic-ws``
shape, which Botkit's web adapter and most JSON bots accept), then plain text if that got no
readable answer; over HTTP the request shape the URL's path suggests (Rasa REST or callback, Bot
Framework with convsim playing the connector, else the generic JSON webhook). It recognises plain
text, a JSON text field, Rasa, Bot Framework, Botkit-style frames, Socket.IO / Engine.IO and
Direct Line, and returns a ready ``[bot]`` table, or says plainly why it has none.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import attrs

from channels.probe_http import (
    directline_finding,
    probe_botframework,
    probe_json,
    probe_origin,
    probe_rasa_callback,
)
from channels.probe_read import (
    Finding,
    ProbeResult,
    Read,
    preset_finding,
    read_frames,
    unreadable_notes,
    usable,
)
from channels.probe_wire import Exchange, ws_exchange

__all__ = [
    "DEFAULT_GREETING",
    "RASA_CALLBACK_URL",
    "Finding",
    "ProbeResult",
    "probe",
    "profile_toml",
]

DEFAULT_GREETING = "Hello"
RASA_CALLBACK_URL = "http://127.0.0.1:5034/bot"
"""Where Rasa's documented callback channel example (credentials.yml) posts its replies."""


# -- WebSocket -------------------------------------------------------------------------------------


def _engine_io(exchange: Exchange) -> bool:
    if "socket.io" in urlsplit(exchange.url).path:
        return True
    for frame in exchange.frames:
        data = frame.data
        if data.startswith("0{") and '"sid"' in data:
            return True  # the Engine.IO open packet
        if '"Transport unknown"' in data or '"Session ID unknown"' in data:
            return True
    return False


def _socket_io_finding(url: str) -> Finding:
    parts = urlsplit(url)
    chainlit = "/ws/socket.io" in parts.path
    preset = "chainlit" if chainlit else "rasa-socketio"
    base = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    name = "Chainlit" if chainlit else "Rasa's socketio channel (or another Socket.IO bot)"
    return preset_finding(
        f"Socket.IO / Engine.IO: {name}",
        preset,
        {"url": base, "preset": preset},
        "Socket.IO wraps every message in Engine.IO packets; a plain WebSocket client cannot"
        " hold a chat with it",
    )


async def _probe_ws(url: str, greeting: str, wait: float) -> ProbeResult:
    session = f"probe-{uuid.uuid4().hex[:8]}"
    hello = json.dumps(
        {"type": "message", "text": greeting, "user": session, "session_id": session}
    )
    first = await ws_exchange(url, hello, wait=wait)
    exchanges = [first]

    def found(finding: Finding) -> ProbeResult:
        return ProbeResult(url, tuple(exchanges), finding)

    if _engine_io(first):
        return found(_socket_io_finding(url))
    if first.error is not None:
        return found(Finding("unknown", False, notes=(first.error,)))
    after = [f for f in first.frames if f.at >= 0]
    read = read_frames(after)
    if read.json_replies:
        return found(_json_ws_finding(url, first, read, session))
    plain = await ws_exchange(url, greeting, wait=wait)
    exchanges.append(plain)
    plain_read = read_frames([f for f in plain.frames if f.at >= 0])
    if plain_read.plain_replies:
        echoed = any('"type"' in r.text and greeting in r.text for r in read.replies)
        protocol = "plain text over WebSocket (one conversation per connection)"
        echo = ("it echoed the JSON greeting as text: it reads plain text",) if echoed else ()
        return found(usable(protocol, {"url": url, "preset": "plain-ws"}, plain_read, echo))
    if read.plain_replies:
        protocol = "JSON in, plain text out over WebSocket"
        return found(usable(protocol, {"url": url, "preset": "generic-ws"}, read))
    if plain_read.json_replies:
        text_in = {"format": "text", "body": "{text}"}
        profile = {"url": url, "preset": "generic-ws", "request": text_in}
        return found(usable("plain text in, JSON out over WebSocket", profile, plain_read))
    both = attrs.evolve(read, unreadable=read.unreadable + plain_read.unreadable)
    if both.unreadable:
        notes = unreadable_notes(both)
    else:
        closed = first.closed or plain.closed
        why = f"; the bot {closed}" if closed else ""
        notes = (f"no reply within {wait:g} s to a JSON greeting nor to a plain-text one{why}",)
    return found(Finding("unknown", False, notes=notes))


def _json_ws_finding(url: str, exchange: Exchange, read: Read, session: str) -> Finding:
    typed = [d for d in read.documents if isinstance(d, dict) and isinstance(d.get("type"), str)]
    typing = any(d.get("type") == "typing" for d in typed)
    multiplexed = all(
        isinstance(d, dict) and d.get("session_id") == session and "final" in d
        for d in read.documents
        if isinstance(d, dict) and d.get("type") == "message"
    )
    notes: list[str] = []
    if multiplexed and typed:
        protocol = "convsim's demo protocol (sessions multiplexed by session_id, final flag)"
        profile: dict[str, Any] = {"url": url, "preset": "demo-ws"}
    elif typed:
        protocol = 'Botkit-style JSON over WebSocket (type = "message", text'
        protocol += ", typing frames)" if typing else ")"
        profile = {"url": url, "preset": "generic-ws"}
    else:
        protocol = "JSON with a text field over WebSocket"
        profile = {"url": url, "preset": "generic-ws"}
    if read.unreadable:
        notes.append(f"{len(read.unreadable)} other frame(s) could not be read")
    return usable(protocol, profile, read, notes)


async def probe(
    url: str,
    *,
    greeting: str = DEFAULT_GREETING,
    wait: float = 5.0,
    callback_url: str = RASA_CALLBACK_URL,
) -> ProbeResult:
    """Probe one URL (``ws(s)://`` or ``http(s)://``); never raises for what the bot does."""
    parts = urlsplit(url)
    if parts.scheme in ("ws", "wss"):
        return await _probe_ws(url, greeting, wait)
    path = parts.path.rstrip("/")
    if "directline" in (parts.hostname or "") or path.startswith("/v3/directline"):
        return ProbeResult(url, (), directline_finding(url))
    async with aiohttp.ClientSession() as http:
        if "socket.io" in path:
            return ProbeResult(url, (), _socket_io_finding(url))
        if path.endswith("/api/messages"):
            return await probe_botframework(http, url, greeting, wait)
        if path.endswith("/webhooks/callback/webhook"):
            return await probe_rasa_callback(http, url, greeting, wait, callback_url)
        if path.endswith("/webhooks/rest/webhook"):
            return await probe_json(http, url, greeting, wait, rasa=True)
        if not path:
            return await probe_origin(http, url, greeting, wait)
        return await probe_json(http, url, greeting, wait, rasa=False)


# -- the profile as TOML ---------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def profile_toml(profile: Mapping[str, Any]) -> str:
    """The ``[bot]`` table (and its sub-tables) as TOML to save as a profile file."""
    lines = ["[bot]"]
    tables = []
    for key, value in profile.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, table in tables:
        lines += ["", f"[bot.{key}]"]
        for name, value in table.items():
            shown = json.dumps(name) if not name.replace("_", "").isalnum() else name
            lines.append(f"{shown} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"
