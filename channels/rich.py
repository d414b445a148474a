"""Reading a bot's reply without a configured path: text at the usual places, plus what it is.

A bot team's first try should not need a profile: most bots put their text at one of a handful
of keys (``text``, ``message``, ``content``, ``reply``...), in a list of such items (Rasa's REST
answer, ``{"replies": [...]}``, Direct Line's ``{"activities": [...]}``), or in a Bot Framework
Activity. Images, cards and buttons are read as what they are (Rasa ``image``/``buttons``, Bot
Framework ``attachments``/``suggestedActions``, Botkit ``quick_replies``/``files``), so an
image-only reply is a message, not an error and not silence.

Pure functions over parsed JSON; :class:`channels.codec.FrameCodec` calls them for
``reply.format = "auto"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from convsim_core.models import Attachment, QuickReply

TEXT_KEYS = ("text", "message", "content", "reply", "response", "answer", "output")
"""Where a reply's text usually is, in order of preference."""
LIST_KEYS = ("replies", "messages", "responses", "activities")
"""Keys of a wrapper object whose list holds the reply items."""
NON_REPLY_TYPES = frozenset(
    {
        "typing",
        "ping",
        "pong",
        "ack",
        "heartbeat",
        "hello",
        "welcome_back",
        "event",
        "conversationupdate",
        "contactrelationupdate",
        "endofconversation",
        "installationupdate",
        "messagereaction",
        "trace",
        "delay",
        "status",
    }
)
"""``type`` values of frames that are no reply (typing indicators, acks, lifecycle events)."""

_IMAGE_TYPES = ("image/",)


@attrs.frozen
class Reply:
    """One bot message read from a frame."""

    text: str
    attachments: tuple[Attachment, ...] = ()
    quick_replies: tuple[QuickReply, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.text or self.attachments or self.quick_replies)


class Unreadable(ValueError):
    """A frame that holds no reply convsim can find; the message says what was looked for."""


def is_non_reply(document: Any) -> bool:
    """A typing indicator, ack or lifecycle event: dropped without an error."""
    if not isinstance(document, dict):
        return False
    kind = document.get("type")
    return isinstance(kind, str) and kind.lower() in NON_REPLY_TYPES


def read_replies(document: Any) -> list[Reply] | None:
    """The replies in a parsed frame; None for a frame that is no reply; :class:`Unreadable`."""
    if isinstance(document, str):
        return [Reply(document)]
    if isinstance(document, list):
        return _read_list(document)
    if not isinstance(document, dict):
        raise Unreadable(f"a JSON {type(document).__name__} is no reply")
    if is_non_reply(document):
        return None
    for key in LIST_KEYS:
        items = document.get(key)
        if isinstance(items, list):
            return _read_list(items)
    replies = _read_item(document)
    if not replies:
        raise Unreadable(
            "frame has no reply text at any of the usual places ("
            + ", ".join(TEXT_KEYS[:4])
            + ", a list of those, Rasa or Bot Framework shapes)"
        )
    return replies


def _read_list(items: list[Any]) -> list[Reply]:
    replies: list[Reply] = []
    for item in items:
        if isinstance(item, str):
            replies.append(Reply(item))
        elif isinstance(item, dict) and not is_non_reply(item):
            replies.extend(_read_item(item))
    if items and not replies and not all(is_non_reply(item) for item in items):
        raise Unreadable(f"none of the {len(items)} item(s) has a reply text at the usual places")
    return replies


def _read_item(item: dict[str, Any]) -> list[Reply]:
    """One reply item (or several: ``{"text": ["a", "b"]}``)."""
    texts = _texts(item)
    attachments = tuple(_attachments(item))
    quick = tuple(_quick_replies(item))
    if not texts:
        if not (attachments or quick):
            return []
        texts = [""]
    replies = [Reply(text) for text in texts[:-1]]
    replies.append(Reply(texts[-1], attachments, quick))
    return replies


def _texts(item: dict[str, Any]) -> list[str]:
    for key in TEXT_KEYS:
        value = item.get(key)
        if isinstance(value, str):
            return [value] if value or key == "text" else []
        if isinstance(value, dict):
            nested = _texts(value)
            if nested:
                return nested
        if isinstance(value, list) and value:
            found = [v for v in value if isinstance(v, str)]
            found += [t for v in value if isinstance(v, dict) for t in _texts(v)]
            if found:
                return found
    return []


# -- non-text parts ---------------------------------------------------------------------------


def _text_of(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _attachments(item: dict[str, Any]) -> Iterable[Attachment]:
    image = item.get("image")  # Rasa
    if isinstance(image, str) and image:
        yield Attachment("image", url=image)
    attachment = item.get("attachment")  # Rasa, Messenger
    if isinstance(attachment, str) and attachment:
        yield Attachment("file", url=attachment)
    elif isinstance(attachment, dict):
        yield _one_attachment(attachment)
    for key in ("attachments", "files"):  # Bot Framework, Botkit
        values = item.get(key)
        if isinstance(values, list):
            yield from (_one_attachment(value) for value in values if isinstance(value, dict))
    custom = item.get("custom")  # Rasa custom payloads
    if custom is not None and custom != {}:
        yield Attachment(
            "custom", title=_text_of(custom.get("type")) if isinstance(custom, dict) else None
        )


def _one_attachment(value: dict[str, Any]) -> Attachment:
    content_type = _text_of(value.get("contentType")) or _text_of(value.get("type"))
    url = (
        _text_of(value.get("contentUrl"))
        or _text_of(value.get("url"))
        or _nested_url(value.get("payload"))
    )
    content = value.get("content")
    title = _text_of(value.get("name")) or _text_of(value.get("title"))
    if isinstance(content, dict):
        title = title or _text_of(content.get("title")) or _text_of(content.get("text"))
        images = content.get("images")
        if url is None and isinstance(images, list) and images and isinstance(images[0], dict):
            url = _text_of(images[0].get("url"))
    kind = "file"
    lowered = (content_type or "").lower()
    if value.get("image") is True or lowered == "image" or lowered.startswith(_IMAGE_TYPES):
        kind = "image"
    elif lowered.startswith(("video", "audio")):
        kind = lowered.split("/", 1)[0]
    elif "card" in lowered or isinstance(content, dict):
        kind = "card"
    return Attachment(kind, url=url, title=title, content_type=content_type)


def _nested_url(payload: Any) -> str | None:
    return _text_of(payload.get("url")) if isinstance(payload, dict) else None


def _quick_replies(item: dict[str, Any]) -> Iterable[QuickReply]:
    for key in ("buttons", "quick_replies"):  # Rasa, Botkit, Messenger
        yield from _buttons(item.get(key))
    suggested = item.get("suggestedActions")  # Bot Framework
    if isinstance(suggested, dict):
        yield from _buttons(suggested.get("actions"))
    attachments = item.get("attachments")  # Bot Framework hero cards carry buttons too
    if isinstance(attachments, list):
        for attachment in attachments:
            content = attachment.get("content") if isinstance(attachment, dict) else None
            if isinstance(content, dict):
                yield from _buttons(content.get("buttons"))


def _buttons(values: Any) -> Iterable[QuickReply]:
    if not isinstance(values, list):
        return
    for value in values:
        if isinstance(value, str) and value:
            yield QuickReply(value)
            continue
        if not isinstance(value, dict):
            continue
        title = _text_of(value.get("title")) or _text_of(value.get("text"))
        payload = value.get("payload", value.get("value"))
        if payload is not None and not isinstance(payload, str):
            payload = str(payload)
        if title is None:
            if payload is None:
                continue
            title = payload
        action = _text_of(value.get("type")) or "postBack"
        yield QuickReply(title, payload=payload, action=action)
