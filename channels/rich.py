"""Non-text bot messages (images, cards, buttons) as one line of transcript text each.

A bot that answers with an image or a row of buttons has said something: dropping it would make
the customer (and the judge) miss it, and a protocol error would blame a bot that did nothing
wrong. These are written the way a person would describe them: ``[image] URL``,
``[card: Title] text``, ``[buttons: Yes | No]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


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
