"""One real chat as the library stores it: who said what, and how it ended when that is known."""

from __future__ import annotations

from typing import Any

import attrs

from convsim_core.models import ParticipantRole
from convsim_core.serialization import register_record, structure_record, unstructure


@attrs.frozen
class ChatTurn:
    role: ParticipantRole
    text: str
    timestamp: str | None = None


@attrs.frozen
class Chat:
    """A chat imported from a log; ``chat_id`` is unique within a library."""

    chat_id: str
    source: str
    turns: tuple[ChatTurn, ...]
    outcome: str | None = None
    """The outcome recorded with the chat (``none`` for "no outcome"), when the log had one."""
    intent: str | None = None
    """What the chat was about, when the log said so (e.g. the Schema-Guided services)."""

    def texts(self, role: ParticipantRole) -> tuple[str, ...]:
        return tuple(turn.text for turn in self.turns if turn.role is role)

    @property
    def customer_texts(self) -> tuple[str, ...]:
        return self.texts(ParticipantRole.CUSTOMER)

    def to_json(self) -> dict[str, Any]:
        return unstructure(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chat:
        """Raises ValueError (a SchemaError) on a malformed line; the library names it."""
        return structure_record(data, cls, what="chat")


register_record(Chat, chat_id="id")
