"""What the rule-based customer and agent share: facts, a seeded phrase picker, and an end.

Each side decides its next text from the conversation; this base turns that into the
:class:`~convsim_core.participant.Participant` protocol, so "finished" means the same for both
(nothing more to say, ever) and both draw their wording from one seeded random source per role.
"""

from __future__ import annotations

import abc
import random
from collections.abc import Mapping
from typing import Generic, TypeVar

from convsim_core.models import Conversation, Message
from convsim_core.offline import phrases
from convsim_core.participant import Participant

Rules = TypeVar("Rules")


class RuleBasedParticipant(Participant, Generic[Rules]):
    """Deterministic for a given seed and conversation; returns None once it is finished."""

    def __init__(self, rules: Rules, *, facts: Mapping[str, str] | None, seed: int) -> None:
        self.rules = rules
        """The scenario's ``[customer.offline]`` or ``[agent.offline]`` settings."""
        self.facts = dict(facts or {})
        # One stream per role and seed: the two sides of one run never draw the same phrases.
        self._rng = random.Random(f"{self.role.value}:{seed}")
        self._picker = phrases.PhrasePicker(self._rng)
        self._done = False

    @property
    def finished(self) -> bool:
        return self._done

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        if self._done:
            return None
        text = self.next_text(conversation)
        return self.message(text) if text else None

    @abc.abstractmethod
    def next_text(self, conversation: Conversation) -> str | None:
        """What to say next (None or "": nothing this turn); set ``_done`` when it is over."""
