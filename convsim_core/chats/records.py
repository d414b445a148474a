"""One real chat as the library stores it: who said what, and how it ended when that is known."""

from __future__ import annotations

from typing import Any

import attrs

from convsim_core.models import ParticipantRole


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
        return {
            "id": self.chat_id,
            "source": self.source,
            "intent": self.intent,
            "outcome": self.outcome,
            "turns": [
                {"role": t.role.value, "text": t.text, "timestamp": t.timestamp} for t in self.turns
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chat:
        """Raises KeyError/ValueError/TypeError on a malformed line; the library names it."""
        turns = tuple(
            ChatTurn(ParticipantRole(t["role"]), str(t["text"]), t.get("timestamp"))
            for t in data["turns"]
        )
        return cls(
            chat_id=str(data["id"]),
            source=str(data.get("source", "")),
            turns=turns,
            outcome=data.get("outcome"),
            intent=data.get("intent"),
        )
