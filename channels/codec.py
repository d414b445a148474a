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
from channels.rich import NON_REPLY_TYPES, Reply, Unreadable, read_replies
from channels.templates import PLACEHOLDERS, FrameTemplate
from convsim_core.channel import ProtocolError
from convsim_core.models import Attachment, QuickReply

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 120


def excerpt(raw: str | bytes, limit: int = EXCERPT_CHARS) -> str:
    """A one-line, bounded view of a frame for error reports and logs."""
    head = raw[: limit * 4]
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@attrs.frozen
class Extras:
    """The non-text parts of one reply."""

    attachments: tuple[Attachment, ...] = ()
    quick_replies: tuple[QuickReply, ...] = ()


@attrs.frozen
class Inbound:
    """What one frame (or one sync response body) means to the conversation."""

    texts: tuple[str, ...]
    turn_complete: bool = False
    message_id: str | None = None
    extras: tuple[Extras, ...] = ()
    """Empty when every reply is plain text; else one entry per text, in order."""

    @classmethod
    def of_replies(
        cls, replies: list[Reply], *, turn_complete: bool = False, message_id: str | None = None
    ) -> Inbound:
        extras: tuple[Extras, ...] = ()
        if any(reply.attachments or reply.quick_replies for reply in replies):
            extras = tuple(Extras(r.attachments, r.quick_replies) for r in replies)
        return cls(
            texts=tuple(reply.text for reply in replies),
            turn_complete=turn_complete,
            message_id=message_id,
            extras=extras,
        )

    def extras_at(self, index: int) -> Extras | None:
        return self.extras[index] if self.extras else None


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
    choice: QuickReply | None = None
    """The button the customer pressed: ``{text}`` becomes its payload, ``{value}`` too."""

    def values(self, names: frozenset[str] = PLACEHOLDERS) -> dict[str, str]:
        """Placeholder values; only ``names`` that cost something to make are computed."""
        values = {
            "text": self.text,
            "session_id": self.session_id,
            "callback_url": self.callback_url,
            "service_url": self.service_url,
            "value": self.text,
        }
        choice = self.choice
        if choice is not None:
            # Rasa and Botkit expect the payload as the message text; Bot Framework's imBack
            # posts the button's value as text, messageBack its text with the value beside it.
            values["value"] = choice.value
            if choice.action.lower() != "messageback":
                values["text"] = choice.value
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
        # "auto" reads a non-JSON frame as plain text on WebSockets only: a webhook's 200 with
        # an HTML page is a wrong URL, not a reply.
        self._plain_ok = profile.kind == "websocket"

    # -- outgoing -------------------------------------------------------------------------

    def encode(self, outgoing: Outgoing) -> str:
        """The customer message as a frame or request body."""
        body = self._request.body
        rendered = body.render(outgoing.values(body.placeholders))
        choice = outgoing.choice
        if choice is not None and choice.action.lower() == "messageback" and body.format == "json":
            # Bot Framework's messageBack: the button's text as text, its value beside it.
            document = json.loads(rendered)
            if isinstance(document, dict) and "value" not in document:
                document["value"] = _json_or_text(choice.value)
                rendered = json.dumps(document, ensure_ascii=False)
        return rendered

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
            document = json.loads(raw)
        except json.JSONDecodeError as exc:
            if self._reply.format == "auto" and self._plain_ok and not _looks_like_json(raw):
                return _PlainText(raw)  # decided per frame: not JSON, so plain text
            raise ProtocolError(f"frame is not JSON: {exc.msg}", excerpt(raw)) from exc
        if (
            self._plain_ok
            and self._reply.format == "auto"
            and not isinstance(document, dict | list | str)
        ):
            return _PlainText(raw)  # "42", "true": a plain-text bot's answer that parses
        return document

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
        if isinstance(document, _PlainText):
            return Inbound(texts=(document.text,))
        if not self._is_reply(document):
            return None
        if self._reply.format == "auto" and not self._reply.text:
            return self._interpret_auto(document)
        texts: list[str] = []
        for path in self._reply.text:
            for value in path.find(document):
                if not isinstance(value, str):
                    raise ProtocolError(
                        f"reply text at {path.text!r} is {_type_name(value)}, expected a string",
                        excerpt(_dump(document)),
                    )
                texts.append(value)
        if not texts and (self._texts_singular or not self._empty_container(document)):
            # A wildcard path over an empty list is a turn with no replies; matching nothing
            # at all (a JSON array where an object was expected) is a reply we cannot read.
            names = ", ".join(repr(path.text) for path in self._reply.text)
            raise ProtocolError(f"frame has no reply text at {names}", excerpt(_dump(document)))
        return Inbound(
            texts=tuple(texts),
            turn_complete=self._turn_complete(document),
            message_id=self._message_id(document),
        )

    def _interpret_auto(self, document: Any) -> Inbound | None:
        try:
            replies = read_replies(document)
        except Unreadable as exc:
            raise ProtocolError(str(exc), excerpt(_dump(document))) from exc
        if replies is None:
            return None
        flagged = isinstance(document, dict) and self._turn_complete(document)
        message_id = self._message_id(document) if isinstance(document, dict) else None
        return Inbound.of_replies(replies, turn_complete=flagged, message_id=message_id)

    def _empty_container(self, document: Any) -> bool:
        """Whether every wildcard path's list exists and is empty (a turn with no replies)."""
        if document == [] or document == {}:
            return True
        for path in self._reply.text:
            head = path.text.split("[", 1)[0].strip()
            if head in ("", "$"):
                container: list[Any] = [document]
            else:
                try:
                    container = JsonPath.compile(head).find(document)
                except ValueError:
                    return False
            if not (container and isinstance(container[0], list) and not container[0]):
                return False
        return True

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
        if self._has_text(document) and not (
            isinstance(value, str) and value.lower() in NON_REPLY_TYPES
        ):
            # Never silent: a frame with a reply text that the filter throws away is a
            # misconfigured filter far more often than a frame the bot meant as no reply.
            raise ProtocolError(
                f"frame with {path.text} = {value!r} was filtered out by reply.filter"
                f" (expects {' or '.join(repr(v) for v in wanted)}) but carries a reply text",
                excerpt(_dump(document)),
            )
        logger.debug("dropped a frame with %s = %r (not a reply)", path.text, value)
        return False

    def _has_text(self, document: Any) -> bool:
        if self._reply.text:
            return any(isinstance(v, str) and v for p in self._reply.text for v in p.find(document))
        try:
            replies = read_replies(document)
        except Unreadable:
            return False
        return replies is not None and any(not reply.empty for reply in replies)

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


def _looks_like_json(raw: str) -> bool:
    """A frame meant as JSON (it opens or closes like an object or array) that did not parse."""
    return raw.lstrip()[:1] in ("{", "[", "}", "]")


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


@attrs.frozen
class _PlainText:
    """A frame that ``reply.format = "auto"`` read as plain text (it was not a JSON document)."""

    text: str


def _dump(document: Any) -> str:
    if isinstance(document, _PlainText):
        return document.text[: EXCERPT_CHARS * 4]
    try:
        return json.dumps(document, ensure_ascii=False)[: EXCERPT_CHARS * 4]
    except (TypeError, ValueError):
        return repr(document)[: EXCERPT_CHARS * 4]
