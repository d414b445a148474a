"""Who may speak when, and how long to wait for whom: the hybrid runner's rules without I/O.

The way python-websockets keeps its protocol apart from asyncio: :class:`TurnTaking` is told
what happened (the agent spoke, a draft is ready, the customer sent, time passed) with the
time as a plain number, and answers with what to do (type a reply, drop the draft, send it or
write it again, end the conversation). :class:`~convsim_core.runners.hybrid.HybridSimulationRunner`
only moves messages and sleeps; these rules are tested on a fake clock
(``tests/test_turns.py``) with no event loop at all.

The rules themselves are described in :mod:`convsim_core.runners.hybrid`.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from convsim_core.models import TerminationReason
from convsim_core.termination import Termination

TURN_GRACE_SECONDS = 0.05
"""After a turn-complete signal, how long to wait for a final message that is still in flight."""


class Wait(enum.Enum):
    """What it means when the current wait runs out."""

    SETTLED = "settled"
    """The agent has been quiet long enough (or there is nothing to wait for): type a reply."""
    AGENT_TIMEOUT = "agent_timeout"
    INACTIVITY = "inactivity"


class Draft(enum.Enum):
    """What to do with a reply the customer finished typing."""

    STALE = "stale"
    """Written for a conversation that has moved on (the draft was already dropped): ignore."""
    SEND = "send"
    REWRITE = "rewrite"
    """An agent message is waiting behind it: drop it, answer everything once the agent settles."""


def in_order(timestamp: datetime, previous: datetime | None) -> datetime:
    """An arrival's timestamp, never before the message recorded ahead of it.

    An agent message stamped while the customer's message was going out can be recorded after
    it; the transcript, the judge and the reports all assume time only moves forward.
    """
    if previous is not None and timestamp < previous:
        return previous
    return timestamp


@attrs.define
class TurnTaking:
    """The turn and deadline state of one hybrid conversation; times are seconds on any clock."""

    settle_seconds: float
    response_timeout: float | None
    inactivity_timeout: float | None
    grace_seconds: float = TURN_GRACE_SECONDS

    typing: bool = False
    """The customer is composing or typing a reply."""
    generation: int = 0
    """Numbers the drafts; a draft of an older generation was dropped."""
    customer_spoke_at: float = 0.0
    customer_spoke: bool = False
    last_agent_at: float = 0.0
    agent_pending: int = 0
    """Agent messages since the customer last spoke."""
    agent_answered: bool = False
    """The agent has answered a customer message at least once."""
    turn_complete: bool = False

    def begin(self, now: float) -> None:
        """The conversation is open: the agent's first answer (or opening) is awaited from now."""
        self.customer_spoke_at = now

    # -- events in ------------------------------------------------------------------------------

    def start_typing(self) -> int:
        """The customer starts a reply; the generation its draft must come back with."""
        self.generation += 1
        self.typing = True
        return self.generation

    def agent_spoke(self, at: float) -> bool:
        """An agent message arrived at ``at``; True when the customer's draft must be dropped."""
        dropped = self.typing
        if dropped:
            self._drop()
        self.agent_pending += 1
        self.last_agent_at = at
        if self.customer_spoke:
            self.agent_answered = True
        return dropped

    def turn_completed(self) -> None:
        """The session says the agent is done for now (a turn-complete frame)."""
        self.turn_complete = True

    def draft_ready(self, generation: int, *, agent_waiting: bool) -> Draft:
        """A draft came back; ``agent_waiting``: an agent message is already queued behind it.

        The agent speaking just as the draft is ready makes it as stale as speaking during the
        typing: the reply would answer a conversation that has moved on.
        """
        if generation != self.generation:
            return Draft.STALE
        self.typing = False
        return Draft.REWRITE if agent_waiting else Draft.SEND

    def customer_sends(self, now: float) -> float | None:
        """The customer's message goes out now; the seconds its ``send`` may take (None: any)."""
        limit = self.inactivity_timeout if self.agent_answered else self.response_timeout
        self.customer_spoke_at = now
        self.customer_spoke = True
        self.agent_pending = 0
        self.turn_complete = False
        return limit

    # -- what to do ----------------------------------------------------------------------------

    def deadline(self, now: float) -> tuple[float | None, Wait]:
        """How long to wait for the next event (None: forever), and what it means if none comes."""
        if self.typing:
            return None, Wait.SETTLED
        if self.agent_pending:
            settle = self.settle_seconds
            if self.turn_complete:
                settle = min(settle, self.grace_seconds)
            return self.last_agent_at + settle - now, Wait.SETTLED
        if self.agent_answered:
            limit, kind = self.inactivity_timeout, Wait.INACTIVITY
        else:
            limit, kind = self.response_timeout, Wait.AGENT_TIMEOUT
        if limit is None:
            return None, kind
        return self.customer_spoke_at + limit - now, kind

    def expired(self, kind: Wait) -> Termination | None:
        """The wait ran out: None means "start typing a reply", else how the conversation ends."""
        if kind is Wait.SETTLED:
            return None
        if kind is Wait.AGENT_TIMEOUT:
            limit = self.response_timeout
            what = "answer" if self.customer_spoke else "open the conversation"
            return Termination(
                TerminationReason.AGENT_TIMEOUT, f"the agent did not {what} within {limit:g} s"
            )
        return Termination(
            TerminationReason.INACTIVITY_TIMEOUT,
            f"the conversation went quiet: no agent message for {self.inactivity_timeout:g} s",
        )

    def timed_out_sending(self) -> Termination | None:
        """The customer's ``send`` took longer than the limit :meth:`customer_sends` gave."""
        return self.expired(Wait.INACTIVITY if self.agent_answered else Wait.AGENT_TIMEOUT)

    def _drop(self) -> None:
        self.typing = False
        self.generation += 1
