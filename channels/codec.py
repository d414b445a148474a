"""Frames <-> messages for one bot profile, without any I/O.

The channels hand this module raw frames and bodies and get back reply texts, turn-complete flags
and session ids (or a :class:`ProtocolError` with a short excerpt of the offending input); going
out, it renders the profile's templates. Keeping it free of sockets means every wire format quirk
is unit-tested in microseconds, as python-websockets does with its sans-I/O protocol.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import attrs

from channels.paths import JsonPath
from channels.profile import BotProfile
from channels.templates import PLACEHOLDERS, FrameTemplate
from convsim_core.channel import ProtocolError

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 120


def excerpt(raw: str | bytes, limit: int = EXCERPT_CHARS) -> str:
    """A one-line, bounded view of a frame for error reports and logs."""
    head = raw[: limit * 4]
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@attrs.frozen
class Inbound:
    """What one frame (or one sync response body) means to the conversation."""

    texts: tuple[str, ...]
    turn_complete: bool = False
    message_id: str | None = None


@attrs.frozen
class Outgoing:
    """The values one customer message fills into a template."""

    text: str
    session_id: str
    timestamp: datetime
    message_id: str | None = None
    """A fresh random id is made when the template asks for one and none is given."""
    callback_url: str = ""
    service_url: str = ""

    def values(self, names: frozenset[str] = PLACEHOLDERS) -> dict[str, str]:
        """Placeholder values; only ``names`` that cost something to make are computed."""
        values = {
            "text": self.text,
            "session_id": self.session_id,
            "callback_url": self.callback_url,
            "service_url": self.service_url,
        }
        if "timestamp" in names:
            stamp = self.timestamp
            stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
            values["timestamp"] = stamp.isoformat().replace("+00:00", "Z")
        if "message_id" in names:
            values["message_id"] = self.message_id or uuid.uuid4().hex
        return values


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


class FrameCodec:
    """Encodes customer messages and decodes bot frames as one :class:`BotProfile` describes."""

    def __init__(self, profile: BotProfile) -> None:
        self._request = profile.request
        self._reply = profile.reply
        self._max_bytes = profile.max_body_bytes
        self._texts_singular = all(path.singular for path in self._reply.text)

    # -- outgoing -------------------------------------------------------------------------

    def encode(self, outgoing: Outgoing) -> str:
        """The customer message as a frame or request body."""
        body = self._request.body
        return body.render(outgoing.values(body.placeholders))

    def encode_setup(self, outgoing: Outgoing) -> str | None:
        """The session-setup frame/body, if the profile has one (``text`` is empty)."""
        setup: FrameTemplate | None = self._request.setup
        return None if setup is None else setup.render(outgoing.values(setup.placeholders))

    # -- incoming -------------------------------------------------------------------------

    def parse(self, raw: str | bytes) -> Any:
        """Bounds-check and parse one frame: a JSON document, or the text of a text frame."""
        size = len(raw)
        if isinstance(raw, str) and size * 4 > self._max_bytes:
            size = len(raw.encode("utf-8"))
        if size > self._max_bytes:
            raise ProtocolError(
                f"frame of {size} bytes exceeds max_body_bytes ({self._max_bytes})", excerpt(raw)
            )
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ProtocolError(f"frame is not UTF-8 text: {exc.reason}", excerpt(raw)) from exc
        if self._reply.format == "text":
            return raw
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ProtocolError(f"frame is not JSON: {exc.msg}", excerpt(raw)) from exc

    def session_of(self, document: Any) -> str:
        """The session a parsed frame belongs to (multiplexed websockets, callbacks)."""
        path = self._reply.session
        if path is None:
            raise ProtocolError("the profile has no reply.session path to route frames by")
        value = self._single(document, path, required=True)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
        raise ProtocolError(
            f"session id at {path.text!r} is {_type_name(value)}, expected a string",
            excerpt(_dump(document)),
        )

    def interpret(self, document: Any) -> Inbound | None:
        """The replies in a parsed frame; None for frames that are not replies (typing, acks)."""
        if self._reply.format == "text":
            return Inbound(texts=(document,))
        if not self._is_reply(document):
            return None
        texts: list[str] = []
        for path in self._reply.text:
            for value in path.find(document):
                if not isinstance(value, str):
                    raise ProtocolError(
                        f"reply text at {path.text!r} is {_type_name(value)}, expected a string",
                        excerpt(_dump(document)),
                    )
                texts.append(value)
        if not texts and self._texts_singular:
            names = ", ".join(repr(path.text) for path in self._reply.text)
            raise ProtocolError(f"frame has no reply text at {names}", excerpt(_dump(document)))
        return Inbound(
            texts=tuple(texts),
            turn_complete=self._turn_complete(document),
            message_id=self._message_id(document),
        )

    def decode(self, raw: str | bytes) -> Inbound | None:
        """:meth:`parse` then :meth:`interpret`."""
        return self.interpret(self.parse(raw))

    def _is_reply(self, document: Any) -> bool:
        path = self._reply.filter_path
        if path is None:
            return True
        value = self._single(document, path, required=True)
        wanted = self._reply.filter_values
        # type-strict: the string "1" is not the number 1, and true is not 1
        if any(type(value) is type(item) and value == item for item in wanted):
            return True
        logger.debug("dropped a frame with %s = %r (not a reply)", path.text, value)
        return False

    def _turn_complete(self, document: Any) -> bool:
        path = self._reply.turn_complete
        if path is None:
            return False
        value = self._single(document, path, required=False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise ProtocolError(
                f"turn flag at {path.text!r} is {_type_name(value)}, expected true or false",
                excerpt(_dump(document)),
            )
        return value

    def _message_id(self, document: Any) -> str | None:
        path = self._reply.id
        if path is None:
            return None
        value = self._single(document, path, required=False)
        return None if value is None else str(value)

    @staticmethod
    def _single(document: Any, path: JsonPath, *, required: bool) -> Any:
        values = path.find(document)
        if not values:
            if required:
                raise ProtocolError(f"frame has no {path.text!r} field", excerpt(_dump(document)))
            return None
        return values[0]


def _dump(document: Any) -> str:
    try:
        return json.dumps(document, ensure_ascii=False)[: EXCERPT_CHARS * 4]
    except (TypeError, ValueError):
        return repr(document)[: EXCERPT_CHARS * 4]
