"""The participant interface: anything that can take the next turn in a conversation."""

from __future__ import annotations

import abc
from datetime import UTC, datetime

from convsim_core.models import Conversation, Message, ParticipantRole, text_message


class Participant(abc.ABC):
    """Base for simulated customers and agents.

    The runner owns simulated time: it re-stamps every returned message with the clock of the
    run, so a participant may stamp its messages with anything (``now()`` is customary).
    """

    role: ParticipantRole

    @abc.abstractmethod
    async def get_next_message(self, conversation: Conversation) -> Message | None:
        """The next message given the history, or None when this participant is finished."""

    def draft_still_wanted(self, draft: Message) -> bool:
        """Whether a reply written before the runner's pause is still this side's to send.

        Always, for a plain participant; a seat a person took in the meantime says no, and the
        runner asks again (the person's message, then).
        """
        return True

    def message(self, content: str) -> Message:
        """A message from this participant; the runner replaces the timestamp.

        Checked as ``Message(...)`` checks it (every simulated turn makes one, so it is built
        by :func:`~convsim_core.models.text_message`, without attrs' ``__init__``).
        """
        return text_message(content, datetime.now(UTC), self.role)
