"""Reading a bot's reply without a configured path: text at the usual places, plus what it is.

A bot team's first try should not need a profile: most bots put their text at one of a handful
of keys (``text``, ``message``, ``content``, ``reply``...), in a list of such items (Rasa's REST
answer, ``{"replies": [...]}``, Direct Line's ``{"activities": [...]}``), or in a Bot Framework
Activity. Images, cards and buttons are read as what they are (Rasa ``image``/``buttons``, Bot
Framework ``attachments``/``suggestedActions``, Botkit ``quick_replies``/``files``), so an
image-only reply is a message, not an error and not silence.

Pure functions over parsed JSON; :class:`channels.codec.FrameCodec` calls them for
``reply.format = "auto"``. The Socket.IO and Direct Line codecs use the one-line helpers at the
end (``[image] URL``, ``[card: Title] text``, ``[buttons: Yes | No]``): a bot that answers with an
image or a row of buttons has said something, and dropping it would make the customer (and the
judge) miss it.
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
        # Chainlit steps that are not the assistant's answer (tool calls, runs, the user's echo)
        "run",
        "tool",
        "llm",
        "embedding",
        "retrieval",
        "rerank",
        "user_message",
        "system_message",
        "undefined",
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
    if not isinstance(payload, dict):
        return None
    return _text_of(payload.get("url")) or _text_of(payload.get("src"))


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


# -- one transcript line per non-text part (Socket.IO, Direct Line) ------------------------------


def buttons_line(titles: Iterable[str]) -> str:
    return "[buttons: " + " | ".join(titles) + "]"


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def rasa_attachment(data: Any) -> str | None:
    """Rasa's ``{"attachment": {"type": "image", "payload": {"src": URL}}}`` and kin."""
    if not isinstance(data, dict) or not isinstance(data.get("attachment"), dict):
        return None
    attachment = data["attachment"]
    kind = _text(attachment.get("type")) or "attachment"
    payload = attachment.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    if kind == "image":
        return f"[image] {_text(payload.get('src'))}".rstrip()
    if kind == "template":
        elements = payload.get("elements")
        element = elements[0] if isinstance(elements, list) and elements else elements
        title = _text(element.get("title")) if isinstance(element, dict) else ""
        return f"[card: {title}]" if title else "[card]"
    url = _text(payload.get("src")) or _text(payload.get("url"))
    return f"[{kind}] {url}".rstrip()


def _card(content: Any, kind: str) -> str:
    content = content if isinstance(content, dict) else {}
    title = _text(content.get("title"))
    body = _text(content.get("text")) or _text(content.get("subtitle"))
    head = f"[{kind}: {title}]" if title else f"[{kind}]"
    line = f"{head} {body}".rstrip()
    buttons = [
        _text(button.get("title"))
        for button in content.get("buttons") or []
        if isinstance(button, dict) and _text(button.get("title"))
    ]
    return f"{line} {buttons_line(buttons)}" if buttons else line


def activity_extras(activity: dict[str, Any]) -> list[str]:
    """Bot Framework attachments and suggested actions, one line each."""
    lines: list[str] = []
    for attachment in activity.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        content_type = _text(attachment.get("contentType"))
        if content_type.startswith(("image/", "video/", "audio/")):
            url = _text(attachment.get("contentUrl"))
            lines.append(f"[{content_type.split('/')[0]}] {url}".rstrip())
        elif content_type.startswith("application/vnd.microsoft.card."):
            kind = content_type.removeprefix("application/vnd.microsoft.card.")
            if kind == "adaptive":
                lines.append("[adaptive card]")
            else:
                lines.append(_card(attachment.get("content"), f"{kind} card"))
        else:
            name = _text(attachment.get("name")) or _text(attachment.get("contentUrl"))
            lines.append(f"[file: {content_type or 'unknown'}] {name}".rstrip())
    suggested = activity.get("suggestedActions")
    actions = suggested.get("actions") if isinstance(suggested, dict) else None
    titles = [
        _text(action.get("title")) or _text(action.get("value"))
        for action in actions or []
        if isinstance(action, dict)
    ]
    titles = [title for title in titles if title]
    if titles:
        lines.append(buttons_line(titles))
    return lines
