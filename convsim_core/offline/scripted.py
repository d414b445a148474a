"""A participant that says exactly what the scenario scripts, then stops."""

from __future__ import annotations

from collections.abc import Sequence

from convsim_core.models import Conversation, Message, ParticipantRole
from convsim_core.participant import Participant


class ScriptedParticipant(Participant):
    """Plays its turns in order; returns None when the script runs out.

    The turn to play is counted from the conversation, not from calls, so the same participant
    gives the same answer for the same history.
    """

    def __init__(
        self, role: ParticipantRole, turns: Sequence[str], *, opening: str | None = None
    ) -> None:
        self.role = role
        self.turns = tuple(turns)
        self.opening = opening
        """The scenario's initial message when this side sends it: not one of ``turns``."""

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        spoken = sum(1 for m in conversation.messages if m.sender is self.role)
        # The scenario's initial message is this side's first line when it opened the chat.
        # (A real bot's welcome may come before it, so with ``opening`` known, look for it.)
        own = [m for m in conversation.messages if m.sender is self.role]
        first = conversation.messages[0] if conversation.messages else None
        if self.opening is not None:
            if own and own[0].content == self.opening:
                spoken -= 1
        elif first is not None and first.sender is self.role:
            spoken -= 1
        if spoken >= len(self.turns):
            return None
        return self.message(self.turns[spoken])
