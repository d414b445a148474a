"""Direct Line activities -> what the conversation hears, without any I/O.

The same activity can reach us twice (the stream and a poll after a reconnect both replay from
the watermark), and the customer's own messages come back in the activity stream: both are
dropped here, by activity id and by ``from.id``. Typing is ignored; attachments, cards and
suggested actions become transcript lines (:mod:`channels.rich`); ``inputHint: expectingInput``
ends the bot's turn; ``endOfConversation`` ends the session.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import attrs

from channels.codec import Inbound, excerpt
from channels.paths import JsonPath
from channels.rich import activity_extras
from convsim_core.channel import ProtocolError

logger = logging.getLogger(__name__)


@attrs.frozen
class ActivitySet:
    activities: tuple[Any, ...]
    watermark: str | None


@attrs.frozen
class Heard:
    """What one activity means: replies to deliver, or the end of the conversation."""

    inbound: Inbound | None = None
    ended: bool = False


def parse_activity_set(raw: str | bytes, max_bytes: int) -> ActivitySet | None:
    """A stream frame as an activity set; None for the empty keep-alive frames."""
    if len(raw) > max_bytes:
        raise ProtocolError(
            f"stream frame of {len(raw)} bytes exceeds max_body_bytes ({max_bytes})", excerpt(raw)
        )
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"stream frame is not JSON: {exc.msg}", excerpt(text)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("activities"), list):
        raise ProtocolError("stream frame has no 'activities' list", excerpt(text))
    mark = data.get("watermark")
    return ActivitySet(tuple(data["activities"]), None if mark is None else str(mark))


class ActivityReader:
    """Reads one conversation's activities; remembers ids so replays are dropped."""

    def __init__(self, user_id: str, text_paths: tuple[JsonPath, ...]) -> None:
        self.user_id = user_id
        self._text_paths = text_paths
        self._seen: set[str] = set()
        self.echoes = 0

    def read(self, activity: Any) -> Heard | None:
        """None for activities that say nothing to the customer (typing, echoes, replays)."""
        if not isinstance(activity, dict):
            raise ProtocolError(
                f"activity is {type(activity).__name__}, expected an object",
                excerpt(json.dumps(activity)),
            )
        activity_id = activity.get("id")
        if isinstance(activity_id, str) and activity_id:
            if activity_id in self._seen:
                return None
            self._seen.add(activity_id)
        sender = activity.get("from")
        if isinstance(sender, dict) and sender.get("id") == self.user_id:
            self.echoes += 1
            return None
        kind = activity.get("type")
        if kind == "message":
            return Heard(inbound=self._message(activity))
        if kind == "endOfConversation":
            return Heard(ended=True)
        logger.debug("ignored a %r activity", kind)
        return None

    def _message(self, activity: dict[str, Any]) -> Inbound:
        texts: list[str] = []
        for path in self._text_paths:
            for value in path.find(activity):
                if isinstance(value, str) and value.strip():
                    texts.append(value)
                elif value is not None and not isinstance(value, str):
                    raise ProtocolError(
                        f"message text at {path.text!r} is {type(value).__name__}",
                        excerpt(json.dumps(activity)),
                    )
        texts.extend(activity_extras(activity))
        if not texts:
            raise ProtocolError(
                "message activity has no text, attachments or suggested actions",
                excerpt(json.dumps(activity)),
            )
        activity_id = activity.get("id")
        return Inbound(
            texts=tuple(texts),
            turn_complete=activity.get("inputHint") == "expectingInput",
            message_id=activity_id if isinstance(activity_id, str) and activity_id else None,
        )
