"""The protocol errors of one hybrid run, and the ending they call for: never a silent one.

A plain class apart from the runner's asyncio shell. When the agent answered but none of its
replies could be read, the run ends with ``unreadable_replies`` instead of reading as "the agent
said nothing". When no answer came at all (every error says the connection dropped after the
request, or no response came in time), "the bot answered" would be untrue: the run ends with
``channel_error`` naming the first failure.
"""

from __future__ import annotations

import attrs

from convsim_core.channel import ProtocolError
from convsim_core.models import TerminationReason
from convsim_core.termination import Termination

MAX_KEPT = 100
"""Excerpts kept per run; more would only bloat the transcript."""
EXCERPT_CHARS = 200

SILENT_ENDS = frozenset(
    {
        TerminationReason.AGENT_TIMEOUT,
        TerminationReason.INACTIVITY_TIMEOUT,
        TerminationReason.MAX_WALL_TIME,
        TerminationReason.MAX_MESSAGES,
        TerminationReason.PARTICIPANT_FINISHED,
    }
)
"""Endings that would read as "the agent said nothing" when it answered unreadably."""


@attrs.define
class UnreadableReplies:
    """Collects a run's protocol errors and says how a run without a readable reply ends."""

    excerpts: list[str] = attrs.field(factory=list)
    first: str | None = None
    answered: int = 0
    """Errors about an answer that came (a body, a frame), as opposed to no answer at all."""

    def note(self, error: ProtocolError) -> str:
        """Record ``error``; returns its excerpt for the live view."""
        excerpt = (error.excerpt or str(error))[:EXCERPT_CHARS]
        if len(self.excerpts) < MAX_KEPT:
            self.excerpts.append(excerpt)
        if error.answered:
            self.answered += 1
        if self.first is None:
            self.first = f"{error}" + (f" [{error.excerpt}]" if error.excerpt else "")
        return excerpt

    def __bool__(self) -> bool:
        return bool(self.excerpts)

    def termination(self) -> Termination:
        count = len(self.excerpts)
        if not self.answered:
            return Termination(
                TerminationReason.CHANNEL_ERROR,
                f"no answer came from the bot ({count} failed request{'s' * (count != 1)})",
            )
        return Termination(
            TerminationReason.UNREADABLE_REPLIES,
            f"the bot answered, but none of its {count} repl{'y' if count == 1 else 'ies'}"
            " could be read",
        )

    def settle(
        self, termination: Termination, error: str | None, *, agent_spoke: bool
    ) -> tuple[Termination, str | None]:
        """A run whose every agent reply was unreadable says so, whatever else ended it."""
        if self and not agent_spoke and error is None and termination.reason in SILENT_ENDS:
            termination = self.termination()
        if error is None and self.first is not None:
            if termination.reason is TerminationReason.UNREADABLE_REPLIES:
                error = f"no reply from the bot could be read: {self.first}"
            elif termination.reason is TerminationReason.CHANNEL_ERROR and not self.answered:
                error = f"no answer came from the bot: {self.first}"
        return termination, error
