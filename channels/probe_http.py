"""``convsim probe`` over HTTP: Rasa REST and callback, Bot Framework (convsim plays the
connector), the generic JSON webhook, a bare origin tried at the usual paths, Direct Line."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import attrs

from channels.probe_read import (
    Finding,
    ProbeResult,
    preset_finding,
    read_frames,
    texts_of,
    unreadable_notes,
    usable,
)
from channels.probe_wire import CallbackCatcher, Exchange, http_exchange
from channels.rich import read_replies


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


async def probe_botframework(
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
    activities = read_frames(posted, plain_ok=False)
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
        replies=texts_of(replies),
        notes=tuple(notes),
    )
    return ProbeResult(url, exchanges, finding)


async def probe_rasa_callback(
    http: aiohttp.ClientSession, url: str, greeting: str, wait: float, callback_url: str
) -> ProbeResult:
    parts = urlsplit(callback_url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    body = {"sender": f"probe-{uuid.uuid4().hex[:8]}", "message": greeting}
    async with CallbackCatcher(host, port, path) as catcher:
        exchange = await http_exchange(http, url, body, wait=wait, catcher=catcher)
    read = read_frames([f for f in exchange.frames if f.source], plain_ok=False)
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
    protocol = "Rasa callback channel (replies POSTed to the credentials.yml url)"
    return ProbeResult(url, (exchange,), usable(protocol, profile, read))


async def probe_json(
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
    read = read_frames(exchange.frames, plain_ok=False)
    if not read.replies:
        return ProbeResult(
            url, (exchange,), Finding(name + "?", False, notes=unreadable_notes(read))
        )
    document = read.documents[0] if read.documents else None
    if not rasa and isinstance(document, list):
        name = "JSON webhook answering a JSON array"
    elif not rasa:
        name = "JSON webhook with a text field"
    return ProbeResult(url, (exchange,), usable(name, {"url": url, "preset": preset}, read))


def directline_finding(url: str) -> Finding:
    return preset_finding(
        "Direct Line (Bot Framework's client API)",
        "directline",
        {"url": url, "preset": "directline"},
        "Direct Line needs the bot's secret (or a token): export DIRECTLINE_SECRET before"
        " connecting ([bot.directline] secret_env names another variable)",
    )


async def probe_origin(
    http: aiohttp.ClientSession, url: str, greeting: str, wait: float
) -> ProbeResult:
    """A bare ``http://host:port``: try the usual paths, first answer that is a bot wins."""
    base = url.rstrip("/")
    tried: list[Exchange] = []
    for path, rasa in (("/webhooks/rest/webhook", True), ("/webhook", False)):
        result = await probe_json(http, base + path, greeting, wait, rasa=rasa)
        tried += result.exchanges
        if result.finding.usable:
            return attrs.evolve(result, exchanges=tuple(tried))
    result = await probe_botframework(http, base + "/api/messages", greeting, wait)
    tried += result.exchanges
    if result.finding.usable:
        return attrs.evolve(result, exchanges=tuple(tried))
    why = (
        "no bot answered at the usual paths (/webhooks/rest/webhook, /webhook, /api/messages);"
        " give the full URL of the bot's endpoint"
    )
    return ProbeResult(url, tuple(tried), Finding("unknown", False, notes=(why,)))
