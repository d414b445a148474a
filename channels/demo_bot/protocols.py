"""Request parsing for the demo bot's protocols, kept free of sockets so it reads in one go.

Every parser takes decoded JSON (or a raw frame) and either returns the fields the bot needs or
raises :class:`BadRequest` with a message fit for a 400 body. The shapes are the ones in
docs/architecture.md ("Demo bot wire protocol").
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote

import attrs
from yarl import URL

DEFAULT_BOT_ACCOUNT = {"id": "demo-bot", "name": "Brightbox demo bot"}


class BadRequest(Exception):
    """The client sent something the protocol does not allow; answered with 400."""

    status = 400


class BadSignature(BadRequest):
    """A request carried an ``X-Convsim-Signature`` that does not match; answered with 401."""

    status = 401


def parse_json(body: bytes) -> Any:
    if not body:
        raise BadRequest("empty body; expected a JSON object")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadRequest(f"{what} must be a JSON object, got {type(data).__name__}")
    return data


def _text(data: dict[str, Any], key: str, *, allow_empty: bool = True) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        problem = "is missing" if value is None else f"must be a string, got {value!r}"
        raise BadRequest(f'"{key}" {problem}')
    if not allow_empty and not value.strip():
        raise BadRequest(f'"{key}" cannot be empty')
    return value


def _http_url(data: dict[str, Any], key: str) -> str:
    raw = _text(data, key, allow_empty=False)
    try:
        url = URL(raw)
    except ValueError as exc:
        raise BadRequest(f'"{key}" is not a valid URL: {raw!r}') from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise BadRequest(f'"{key}" must be an http(s) URL, got {raw!r}')
    return raw


def parse_ws_frame(raw: str) -> tuple[str, str, str]:
    """A ``/ws`` frame as ``(type, session_id, text)``; ``text`` is "" for ``start``."""
    try:
        data = _object(json.loads(raw), "a frame")
    except json.JSONDecodeError as exc:
        raise BadRequest(f"frame is not valid JSON: {exc}") from exc
    kind = data.get("type")
    if kind not in ("start", "message"):
        raise BadRequest(f'"type" must be "start" or "message", got {kind!r}')
    session_id = _text(data, "session_id", allow_empty=False)
    text = _text(data, "text") if kind == "message" else ""
    return kind, session_id, text


def parse_sync_webhook(data: Any) -> tuple[str, str]:
    body = _object(data, "the body")
    return _text(body, "session_id", allow_empty=False), _text(body, "text")


def parse_async_webhook(data: Any) -> tuple[str, str, str]:
    body = _object(data, "the body")
    session_id, text = parse_sync_webhook(body)
    return session_id, text, _http_url(body, "callback_url")


def parse_rasa(data: Any) -> tuple[str, str]:
    body = _object(data, "the body")
    return _text(body, "sender", allow_empty=False), _text(body, "message")


@attrs.frozen
class BotFrameworkTurn:
    """The parts of an incoming Bot Framework message activity a reply has to echo."""

    activity_id: str
    text: str
    conversation: dict[str, Any]
    service_url: str
    channel_id: str
    user: dict[str, Any] | None
    bot: dict[str, Any]

    @property
    def conversation_id(self) -> str:
        return str(self.conversation["id"])

    @property
    def reply_url(self) -> str:
        conversation = quote(self.conversation_id, safe="")
        activity = quote(self.activity_id, safe="")
        base = self.service_url.rstrip("/")
        return f"{base}/v3/conversations/{conversation}/activities/{activity}"

    def reply(self, activity_type: str, **fields: Any) -> dict[str, Any]:
        """A reply activity of ``activity_type`` from the bot to the user."""
        activity: dict[str, Any] = {
            "type": activity_type,
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "channelId": self.channel_id,
            "serviceUrl": self.service_url,
            "from": self.bot,
            "conversation": self.conversation,
            "replyToId": self.activity_id,
        }
        if self.user is not None:
            activity["recipient"] = self.user
        activity.update(fields)
        return activity


def parse_bot_framework(data: Any) -> BotFrameworkTurn | None:
    """The turn to answer, or None for activities a bot acknowledges silently."""
    body = _object(data, "the activity")
    kind = _text(body, "type", allow_empty=False)
    if kind != "message":
        return None
    conversation = _object(body.get("conversation"), '"conversation"')
    _text(conversation, "id", allow_empty=False)
    sender = body.get("from")
    recipient = body.get("recipient")
    channel_id = body.get("channelId")
    return BotFrameworkTurn(
        activity_id=_text(body, "id", allow_empty=False),
        text=_text(body, "text"),
        conversation=conversation,
        service_url=_http_url(body, "serviceUrl"),
        channel_id=channel_id if isinstance(channel_id, str) else "convsim",
        user=sender if isinstance(sender, dict) else None,
        bot=recipient if isinstance(recipient, dict) and "id" in recipient else DEFAULT_BOT_ACCOUNT,
    )
