"""A recorded conversation as a script: its customer's turns, and the gaps between them.

``convsim replay`` resends a recorded customer's messages to a bot, and ``convsim scenarios
from-transcript`` writes them into a scenario; both start from :func:`customer_script`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import attrs

from convsim_core.models import Message, MessageDraft, ParticipantRole
from convsim_core.scenario_models import Scenario
from convsim_core.timing import TypingDelay

CUSTOMER = ParticipantRole.CUSTOMER


class NothingToReplay(ValueError):
    """The transcript has no customer message to resend."""


@attrs.frozen
class CustomerScript:
    """The opening message and the customer's later turns, in order."""

    opening: MessageDraft
    turns: tuple[str, ...]
    gaps: tuple[float, ...]
    """Seconds between the message before each of ``turns`` and that turn, as recorded."""


def customer_script(messages: Sequence[Message]) -> CustomerScript:
    if not any(m.sender is CUSTOMER for m in messages):
        raise NothingToReplay("the transcript has no customer message")
    first = messages[0]
    opening = MessageDraft(first.content, first.sender)
    turns: list[str] = []
    gaps: list[float] = []
    for before, message in itertools.pairwise(messages):
        if message.sender is CUSTOMER:
            turns.append(message.content)
            gaps.append(max(0.0, (message.timestamp - before.timestamp).total_seconds()))
    return CustomerScript(opening, tuple(turns), tuple(gaps))


def scripted_scenario(scenario: Scenario, script: CustomerScript) -> Scenario:
    """``scenario`` with a scripted customer that says exactly the recorded turns."""
    customer = attrs.evolve(scenario.customer, kind="scripted", turns=script.turns)
    return attrs.evolve(scenario, customer=customer, initial_message=script.opening)


class RecordedGaps(TypingDelay):
    """The customer's n-th reply waits as long as it did in the recording (capped)."""

    def __init__(self, gaps: Sequence[float], *, cap: float = 30.0) -> None:
        self.gaps = [min(gap, cap) for gap in gaps]
        self._next = 0

    def seconds(self, role: ParticipantRole, reply: str, read: str) -> float:
        if role is not CUSTOMER or self._next >= len(self.gaps):
            return 0.0
        gap = self.gaps[self._next]
        self._next += 1
        return gap
