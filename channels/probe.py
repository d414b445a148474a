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
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import attrs

from channels.presets import PRESETS
from channels.probe_wire import CallbackCatcher, Exchange, Frame, http_exchange, ws_exchange
from channels.rich import Reply, Unreadable, read_replies

DEFAULT_GREETING = "Hello"
RASA_CALLBACK_URL = "http://127.0.0.1:5034/bot"
"""Where Rasa's documented callback channel example (credentials.yml) posts its replies."""


@attrs.frozen
class Finding:
    """What the probe concluded."""

    protocol: str
    usable: bool
    profile: dict[str, Any] | None = None
    """The ``[bot]`` table to use, when there is one."""
    replies: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    """Why not, or what to watch out for; plain sentences."""


@attrs.frozen
class ProbeResult:
    url: str
    exchanges: tuple[Exchange, ...]
    finding: Finding


@attrs.define
class _Read:
    """The frames of one exchange, sorted into readable replies and the rest."""

    replies: list[Reply] = attrs.field(factory=list)
    json_replies: int = 0
    plain_replies: int = 0
    unreadable: list[tuple[Frame, str]] = attrs.field(factory=list)
    documents: list[Any] = attrs.field(factory=list)


def _read(frames: tuple[Frame, ...] | list[Frame], *, plain_ok: bool = True) -> _Read:
    read = _Read()
    for frame in frames:
        try:
            document = json.loads(frame.data)
        except ValueError:
            if plain_ok and frame.data.strip() and frame.data.lstrip()[:1] not in "{[":
                read.replies.append(Reply(frame.data))
                read.plain_replies += 1
            else:
                read.unreadable.append((frame, "not JSON"))
            continue
        read.documents.append(document)
        try:
            replies = read_replies(document)
        except Unreadable as exc:
            read.unreadable.append((frame, str(exc)))
            continue
        if replies:
            read.replies.extend(replies)
            read.json_replies += 1
    return read


def _texts(replies: list[Reply]) -> tuple[str, ...]:
    shown = []
    for reply in replies:
        parts = [reply.text] if reply.text else []
        parts += [a.describe() for a in reply.attachments]
        if reply.quick_replies:
            parts.append("[buttons: " + " | ".join(q.title for q in reply.quick_replies) + "]")
        shown.append(" ".join(parts))
    return tuple(shown)


_META = frozenset({"status", "type", "id", "locale", "channel", "timestamp", "code", "lang"})


def _string_fields(document: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``(JSON path, value)`` of the string leaves: candidates for ``[bot.reply] text``."""
    if isinstance(document, str):
        return [(prefix or "$", document)]
    found: list[tuple[str, str]] = []
    if isinstance(document, dict):
        for key, value in document.items():
            found += _string_fields(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(document, list) and document:
        found += _string_fields(document[0], f"{prefix}[*]" if prefix else "$[*]")
    return found


def _unreadable_notes(read: _Read) -> tuple[str, ...]:
    frame, why = read.unreadable[0]
    notes = [f"the bot answered, but convsim could not read it ({why}): {frame.data[:160]!r}"]
    for document in read.documents:
        fields = [
            (path, value)
            for path, value in _string_fields(document)
            if path.rsplit(".", 1)[-1].lower() not in _META and not path.lower().endswith("id")
        ]
        # The longest string is the likeliest message; ids and status words are short.
        paths = [path for path, _ in sorted(fields, key=lambda item: -len(item[1]))]
        if paths:
            notes.append(
                "if the reply text is in one of these fields, set it in the profile:"
                f' [bot.reply] format = "json", text = "{paths[0]}"'
                + (f" (other string fields: {', '.join(paths[1:4])})" if paths[1:] else "")
            )
            break
    return tuple(notes)


def _preset_finding(protocol: str, preset: str, profile: dict[str, Any], note: str) -> Finding:
    """Socket.IO and Direct Line: the presets of issue 12, usable when this build has them."""
    if preset in PRESETS:
        return Finding(protocol, True, profile, notes=(note,))
    return Finding(
        protocol,
        False,
        profile,
        notes=(note, f"this convsim build has no {preset!r} preset yet, so it cannot talk to it"),
    )


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
    return _preset_finding(
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
    if _engine_io(first):
        return ProbeResult(url, tuple(exchanges), _socket_io_finding(url))
    if first.error is not None:
        return ProbeResult(url, tuple(exchanges), Finding("unknown", False, notes=(first.error,)))
    after = [f for f in first.frames if f.at >= 0]
    read = _read(after)
    if read.json_replies:
        return ProbeResult(url, tuple(exchanges), _json_ws_finding(url, first, read, session))
    plain = await ws_exchange(url, greeting, wait=wait)
    exchanges.append(plain)
    plain_read = _read([f for f in plain.frames if f.at >= 0])
    if plain_read.plain_replies:
        echoed = any('"type"' in r.text and greeting in r.text for r in read.replies)
        echo_notes = ("it echoed the JSON greeting as text: it reads plain text",) if echoed else ()
        return ProbeResult(
            url,
            tuple(exchanges),
            Finding(
                "plain text over WebSocket (one conversation per connection)",
                True,
                {"url": url, "preset": "plain-ws"},
                replies=_texts(plain_read.replies),
                notes=echo_notes,
            ),
        )
    if read.plain_replies:
        return ProbeResult(
            url,
            tuple(exchanges),
            Finding(
                "JSON in, plain text out over WebSocket",
                True,
                {"url": url, "preset": "generic-ws"},
                replies=_texts(read.replies),
            ),
        )
    if plain_read.json_replies:
        profile = {
            "url": url,
            "preset": "generic-ws",
            "request": {"format": "text", "body": "{text}"},
        }
        finding = Finding(
            "plain text in, JSON out over WebSocket",
            True,
            profile,
            replies=_texts(plain_read.replies),
        )
        return ProbeResult(url, tuple(exchanges), finding)
    both = attrs.evolve(read, unreadable=read.unreadable + plain_read.unreadable)
    if both.unreadable:
        notes = _unreadable_notes(both)
    else:
        closed = first.closed or plain.closed
        why = f"; the bot {closed}" if closed else ""
        notes = (f"no reply within {wait:g} s to a JSON greeting nor to a plain-text one{why}",)
    return ProbeResult(url, tuple(exchanges), Finding("unknown", False, notes=notes))


def _json_ws_finding(url: str, exchange: Exchange, read: _Read, session: str) -> Finding:
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
    return Finding(protocol, True, profile, replies=_texts(read.replies), notes=tuple(notes))


# -- HTTP ------------------------------------------------------------------------------------------


def _activity(kind: str, session: str, service_url: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "id": uuid.uuid4().hex,
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "channelId": "convsim",
        "serviceUrl": service_url,
        "from": {"id": f"customer-{session}", "name": "Customer", "role": "user"},
        "recipient": {"id": "bot", "name": "Bot", "role": "bot"},
        "conversation": {"id": session},
        "locale": "en-US",
        **fields,
    }


async def _probe_botframework(
    http: aiohttp.ClientSession, url: str, greeting: str, wait: float
) -> ProbeResult:
    session = f"probe-{uuid.uuid4().hex[:8]}"
    async with CallbackCatcher() as catcher:
        members = [{"id": "bot", "name": "Bot"}, {"id": f"customer-{session}", "name": "Customer"}]
        update = _activity("conversationUpdate", session, catcher.base_url, membersAdded=members)
        welcome = await http_exchange(http, url, update, wait=wait, catcher=catcher)
        message = _activity("message", session, catcher.base_url, text=greeting)
        answer = await http_exchange(http, url, message, wait=wait, catcher=catcher)
    exchanges = (welcome, answer)
    if answer.error is not None or answer.status is None or not 200 <= answer.status < 300:
        why = answer.error or f"the bot answered HTTP {answer.status}"
        return ProbeResult(url, exchanges, Finding("Bot Framework?", False, notes=(why,)))
    posted = [f for f in answer.frames if f.source]
    activities = _read(posted, plain_ok=False)
    messages = [
        d for d in activities.documents if isinstance(d, dict) and d.get("type") == "message"
    ]
    if not messages:
        why = (
            f"the bot answered HTTP {answer.status} but posted no message activity to the"
            f" serviceUrl ({catcher.base_url}/v3/conversations/...) within {wait:g} s"
        )
        return ProbeResult(url, exchanges, Finding("Bot Framework?", False, notes=(why,)))
    replies = [r for d in messages for r in (read_replies(d) or [])]
    welcomed = [f for f in welcome.frames if f.source]
    notes = [f"it answers HTTP {answer.status} once its turn is done: that ends each turn"]
    if welcomed:
        notes.append("it greets on conversationUpdate: the welcome is recorded")
    finding = Finding(
        "Bot Framework (Activity schema, replies to /v3/conversations/{id}/activities/{id})",
        True,
        {"url": url, "preset": "botframework"},
        replies=_texts(replies),
        notes=tuple(notes),
    )
    return ProbeResult(url, exchanges, finding)


async def _probe_rasa_callback(
    http: aiohttp.ClientSession, url: str, greeting: str, wait: float, callback_url: str
) -> ProbeResult:
    parts = urlsplit(callback_url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    body = {"sender": f"probe-{uuid.uuid4().hex[:8]}", "message": greeting}
    async with CallbackCatcher(host, port, path) as catcher:
        exchange = await http_exchange(http, url, body, wait=wait, catcher=catcher)
    read = _read([f for f in exchange.frames if f.source], plain_ok=False)
    profile = {
        "url": url,
        "preset": "rasa-rest",
        "response_mode": "callback",
        "callback": {"host": host, "port": port, "path": path},
    }
    if not read.replies:
        why = exchange.error or (
            f"the bot answered HTTP {exchange.status} but posted nothing to {callback_url} within"
            f" {wait:g} s; is that the url in its credentials.yml (callback: url: ...)?"
            " Give it with --callback-url"
        )
        return ProbeResult(url, (exchange,), Finding("Rasa callback channel?", False, notes=(why,)))
    finding = Finding(
        "Rasa callback channel (replies POSTed to the credentials.yml url)",
        True,
        profile,
        replies=_texts(read.replies),
    )
    return ProbeResult(url, (exchange,), finding)


async def _probe_json(
    http: aiohttp.ClientSession, url: str, greeting: str, wait: float, *, rasa: bool
) -> ProbeResult:
    session = f"probe-{uuid.uuid4().hex[:8]}"
    body = (
        {"sender": session, "message": greeting}
        if rasa
        else {"session_id": session, "text": greeting}
    )
    exchange = await http_exchange(http, url, body, wait=wait)
    name = "Rasa REST channel" if rasa else "JSON webhook"
    preset = "rasa-rest" if rasa else "generic-json"
    if exchange.error is not None or exchange.status is None:
        return ProbeResult(
            url, (exchange,), Finding(name + "?", False, notes=(str(exchange.error),))
        )
    status = exchange.status
    if status in (404, 405, 410):
        why = f"HTTP {status}: no bot answers POST requests at this URL (wrong path?)"
        return ProbeResult(url, (exchange,), Finding("unknown", False, notes=(why,)))
    if not 200 <= status < 300:
        why = f"the bot answered HTTP {status}"
        return ProbeResult(url, (exchange,), Finding(name + "?", False, notes=(why,)))
    if not exchange.frames:
        why = (
            f"HTTP {status} with an empty body: a bot that answers later by callback needs"
            ' response_mode = "callback" (see docs/connect-your-bot.md)'
        )
        return ProbeResult(url, (exchange,), Finding(name + "?", False, notes=(why,)))
    read = _read(exchange.frames, plain_ok=False)
    if not read.replies:
        return ProbeResult(
            url, (exchange,), Finding(name + "?", False, notes=_unreadable_notes(read))
        )
    document = read.documents[0] if read.documents else None
    if not rasa and isinstance(document, list):
        name = "JSON webhook answering a JSON array"
    elif not rasa:
        name = "JSON webhook with a text field"
    finding = Finding(name, True, {"url": url, "preset": preset}, replies=_texts(read.replies))
    return ProbeResult(url, (exchange,), finding)


def _directline_finding(url: str) -> Finding:
    return _preset_finding(
        "Direct Line (Bot Framework's client API)",
        "directline",
        {
            "url": url,
            "preset": "directline",
            "headers": {"Authorization": "Bearer ${DIRECTLINE_SECRET}"},
        },
        "Direct Line needs the bot's secret: export DIRECTLINE_SECRET before connecting",
    )


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
        return ProbeResult(url, (), _directline_finding(url))
    async with aiohttp.ClientSession() as http:
        if "socket.io" in path:
            return ProbeResult(url, (), _socket_io_finding(url))
        if path.endswith("/api/messages"):
            return await _probe_botframework(http, url, greeting, wait)
        if path.endswith("/webhooks/callback/webhook"):
            return await _probe_rasa_callback(http, url, greeting, wait, callback_url)
        if path.endswith("/webhooks/rest/webhook"):
            return await _probe_json(http, url, greeting, wait, rasa=True)
        if not path:
            return await _probe_origin(http, url, greeting, wait)
        return await _probe_json(http, url, greeting, wait, rasa=False)


async def _probe_origin(
    http: aiohttp.ClientSession, url: str, greeting: str, wait: float
) -> ProbeResult:
    """A bare ``http://host:port``: try the usual paths, first answer that is a bot wins."""
    base = url.rstrip("/")
    tried: list[Exchange] = []
    for path, rasa in (("/webhooks/rest/webhook", True), ("/webhook", False)):
        result = await _probe_json(http, base + path, greeting, wait, rasa=rasa)
        tried += result.exchanges
        if result.finding.usable:
            return attrs.evolve(result, exchanges=tuple(tried))
    result = await _probe_botframework(http, base + "/api/messages", greeting, wait)
    tried += result.exchanges
    if result.finding.usable:
        return attrs.evolve(result, exchanges=tuple(tried))
    why = (
        "no bot answered at the usual paths (/webhooks/rest/webhook, /webhook, /api/messages);"
        " give the full URL of the bot's endpoint"
    )
    return ProbeResult(url, tuple(tried), Finding("unknown", False, notes=(why,)))


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
