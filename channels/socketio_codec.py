"""Socket.IO events <-> messages for one bot profile, without any I/O.

Socket.IO delivers already-decoded event arguments, so there is no frame to parse: the profile's
``[bot.reply]`` paths are applied to the event data directly (by ``FrameCodec``),
and Rasa-style attachments and quick replies become transcript lines (:mod:`channels.rich`).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from channels.codec import FrameCodec, Inbound, Outgoing, excerpt
from channels.profile import BotProfile
from channels.rich import buttons_line, rasa_attachment
from convsim_core.channel import ProtocolError


def _dump(data: Any) -> str:
    try:
        return json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(data)


class SocketIOCodec:
    """Encodes customer messages as event data and reads bot events."""

    def __init__(self, profile: BotProfile) -> None:
        self._profile = profile
        self._spec = profile.socketio
        self._frames = FrameCodec(profile)
        self._body = profile.request.body
        self._text_format = profile.reply.format == "text"
        quick = self._spec.quick_replies
        head = re.match(r"\$?\.?([A-Za-z_]\w*)", quick.text) if quick is not None else None
        self._quick_key = head.group(1) if head else None
        """The field a quick-replies path starts at: without it there is nothing to look for
        (and jsonpath-ng's wildcard search costs more than the rest of reading an event)."""

    def encode(self, text: str, session_id: str, timestamp: datetime) -> Any:
        """The data of the user-message event (a JSON structure, or the text itself)."""
        outgoing = Outgoing(text=text, session_id=session_id, timestamp=timestamp)
        return self._body.render_value(outgoing.values(self._body.placeholders))

    def session_data(self, session_id: str) -> Any:
        template = self._spec.session_data
        return None if template is None else template.render_value({"session_id": session_id})

    def read(self, event: str, args: tuple[Any, ...]) -> Inbound | None:
        """What one bot event means; None for events that are not replies (tool steps)."""
        if not args:
            raise ProtocolError(f"{event!r} event carried no data", event)
        # No size check here: Engine.IO's own packet limit applies before the data exists.
        data = args[0]
        if self._text_format:
            if not isinstance(data, str):
                raise ProtocolError(
                    f"{event!r} event data is {type(data).__name__}, expected text",
                    excerpt(_dump(data)),
                )
            return Inbound(texts=(data,))
        if isinstance(data, str):
            # Some servers emit JSON as a string: accept it as the JSON it holds.
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise ProtocolError(
                    f"{event!r} event data is not JSON: {exc.msg}", excerpt(data)
                ) from exc
        if not isinstance(data, dict | list):
            raise ProtocolError(
                f"{event!r} event data is {type(data).__name__}, expected an object",
                excerpt(_dump(data)),
            )
        buttons = self._buttons(data)
        attachment = rasa_attachment(data)
        try:
            inbound = self._frames.interpret(data)
        except ProtocolError:
            if attachment is None and not buttons:
                raise
            inbound = Inbound(texts=())
        if inbound is None:
            return None
        texts = [text for text in inbound.texts if text.strip()]
        if attachment is None and not buttons and len(texts) == len(inbound.texts):
            return inbound  # the common case: plain text
        if attachment is not None:
            texts.append(attachment)
        if buttons:
            line = buttons_line(buttons)
            if texts:
                texts[-1] = f"{texts[-1]}\n{line}"
            else:
                texts.append(line)
        if not texts:
            # Nothing said yet (a message sent empty, to be streamed into): not a reply, and its
            # id stays unseen so the completed message (update_message) is delivered.
            return Inbound(texts=(), turn_complete=True) if inbound.turn_complete else None
        return Inbound(
            texts=tuple(texts), turn_complete=inbound.turn_complete, message_id=inbound.message_id
        )

    def _buttons(self, data: Any) -> list[str]:
        path = self._spec.quick_replies
        if path is None or (
            self._quick_key is not None and isinstance(data, dict) and self._quick_key not in data
        ):
            return []
        titles = path.find(data)
        for title in titles:
            if not isinstance(title, str):
                raise ProtocolError(
                    f"quick reply at {path.text!r} is {type(title).__name__}, expected a string",
                    excerpt(_dump(data)),
                )
        return [title for title in titles if title]
