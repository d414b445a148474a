"""Socket.IO events <-> messages for one bot profile, without any I/O.

Socket.IO delivers already-decoded event arguments, so there is no frame to parse: the profile's
``[bot.reply]`` paths are applied to the event data directly (by ``FrameCodec``),
and Rasa-style attachments and quick replies become transcript lines (:mod:`channels.rich`).
"""

from __future__ import annotations

import json
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
        self._text_format = profile.reply.format == "text"
        self._max_bytes = profile.max_body_bytes

    def encode(self, text: str, session_id: str, timestamp: datetime) -> Any:
        """The data of the user-message event (a JSON structure, or the text itself)."""
        rendered = self._frames.encode(
            Outgoing(text=text, session_id=session_id, timestamp=timestamp)
        )
        if self._profile.request.body.format == "text":
            return rendered
        return json.loads(rendered)

    def session_data(self, session_id: str) -> Any:
        template = self._spec.session_data
        if template is None:
            return None
        rendered = template.render({"session_id": session_id})
        return json.loads(rendered) if template.format == "json" else rendered

    def read(self, event: str, args: tuple[Any, ...]) -> Inbound | None:
        """What one bot event means; None for events that are not replies (tool steps)."""
        if not args:
            raise ProtocolError(f"{event!r} event carried no data", event)
        data = args[0]
        shown = _dump(data)
        if len(shown.encode("utf-8")) > self._max_bytes:
            raise ProtocolError(
                f"{event!r} event of more than {self._max_bytes} bytes exceeds max_body_bytes",
                excerpt(shown),
            )
        if self._text_format:
            if not isinstance(data, str):
                raise ProtocolError(
                    f"{event!r} event data is {type(data).__name__}, expected text",
                    excerpt(shown),
                )
            return Inbound(texts=(data,))
        if isinstance(data, str):
            # Some servers emit JSON as a string: accept it as the JSON it holds.
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise ProtocolError(
                    f"{event!r} event data is not JSON: {exc.msg}", excerpt(shown)
                ) from exc
        if not isinstance(data, dict | list):
            raise ProtocolError(
                f"{event!r} event data is {type(data).__name__}, expected an object",
                excerpt(shown),
            )
        buttons = self._buttons(data, shown)
        attachment = rasa_attachment(data)
        try:
            inbound = self._frames.interpret(data)
        except ProtocolError:
            if attachment is None and not buttons:
                raise
            inbound = Inbound(texts=())
        if inbound is None:
            return None
        texts = list(inbound.texts)
        if attachment is not None:
            texts.append(attachment)
        if buttons:
            line = buttons_line(buttons)
            if texts:
                texts[-1] = f"{texts[-1]}\n{line}"
            else:
                texts.append(line)
        return Inbound(
            texts=tuple(texts), turn_complete=inbound.turn_complete, message_id=inbound.message_id
        )

    def _buttons(self, data: Any, shown: str) -> list[str]:
        path = self._spec.quick_replies
        if path is None:
            return []
        titles = path.find(data)
        for title in titles:
            if not isinstance(title, str):
                raise ProtocolError(
                    f"quick reply at {path.text!r} is {type(title).__name__}, expected a string",
                    excerpt(shown),
                )
        return [title for title in titles if title]
