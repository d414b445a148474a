"""A person takes a simulated participant's seat mid-conversation, and hands it back.

:class:`Seats` is the shared state between the front end (which seats a person holds, what
they typed) and the runner's participants. :class:`SeatedParticipant` wraps a simulated
participant: on its turn it answers with the simulation while the seat is free, and waits for
the person's message while a person holds it. Every message it returns says who wrote it
(``Message.author``), so the transcript records per message a person or the simulation.

A seat taken while the simulation is already writing its reply takes effect at that side's
next turn; a seat handed back while the person had not typed yet goes straight back to the
simulation. What a person typed is never lost: it waits in the seat until it is that side's
turn, and a turn that is cancelled (the hybrid runner throws a stale draft away when the bot
speaks again) leaves it there.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from convsim_core.models import Conversation, Message, ParticipantRole
from convsim_core.participant import Participant

logger = logging.getLogger(__name__)

PERSON = "person"
SIMULATION = "simulation"


class Seats:
    """Which sides a person holds, and what they typed for each (oldest first)."""

    def __init__(self) -> None:
        self._held: set[ParticipantRole] = set()
        self._typed: dict[ParticipantRole, deque[str]] = {role: deque() for role in ParticipantRole}
        self._changed = asyncio.Event()

    def held(self, role: ParticipantRole) -> bool:
        return role in self._held

    @property
    def held_roles(self) -> frozenset[ParticipantRole]:
        return frozenset(self._held)

    def take(self, role: ParticipantRole) -> None:
        self._held.add(role)
        self._wake()

    def hand_back(self, role: ParticipantRole) -> list[str]:
        """Give the seat back to the simulation; returns what was typed but not yet sent."""
        self._held.discard(role)
        unsent = list(self._typed[role])
        self._typed[role].clear()
        self._wake()
        return unsent

    def type(self, role: ParticipantRole, text: str) -> None:
        """The person's next message for ``role`` (sent on that side's next turn)."""
        if role not in self._held:
            raise ValueError(f"the {role.value}'s seat is not yours: take it first")
        self._typed[role].append(text)
        self._wake()

    def pending(self, role: ParticipantRole) -> int:
        return len(self._typed[role])

    def _take_typed(self, role: ParticipantRole) -> str | None:
        typed = self._typed[role]
        return typed.popleft() if typed and role in self._held else None

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self) -> None:
        await self._changed.wait()


class SeatedParticipant(Participant):
    """The simulated participant while the seat is free; the person while they hold it."""

    def __init__(self, simulated: Participant, seats: Seats) -> None:
        self.simulated = simulated
        self.seats = seats
        self.role = simulated.role

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        while True:
            if not self.seats.held(self.role):
                reply = await self.simulated.get_next_message(conversation)
                if reply is None or not isinstance(reply, Message):
                    return reply
                return Message(reply.content, reply.timestamp, reply.sender, author=SIMULATION)
            # Taken synchronously right before returning: a cancelled turn leaves it queued.
            text = self.seats._take_typed(self.role)
            if text is not None:
                return self.message(text)
            await self.seats._wait_change()

    def draft_still_wanted(self, draft: Message) -> bool:
        return draft.author == PERSON or not self.seats.held(self.role)

    def message(self, content: str) -> Message:
        base = super().message(content)
        return Message(base.content, base.timestamp, base.sender, author=PERSON)


def seat_participants(
    customer: Participant, agent: Participant | None, seats: Seats
) -> tuple[SeatedParticipant, SeatedParticipant | None]:
    """Wrap the simulated sides of a run so a person can take them over."""
    return (
        SeatedParticipant(customer, seats),
        SeatedParticipant(agent, seats) if agent is not None else None,
    )
