"""The full simulation: two simulated participants taking alternating turns on simulated time."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from convsim_core.events import RunnerState, TypingStarted
from convsim_core.models import Conversation, Message, ParticipantRole, TerminationReason
from convsim_core.pacing import NoPacing, Pacer
from convsim_core.participant import Participant
from convsim_core.runners.base import ProgressCallback, Runner, RunnerServices
from convsim_core.termination import Termination
from convsim_core.timing import HumanTypingDelay, NoDelay, TypingDelay

if TYPE_CHECKING:
    # Annotations only (the runner never builds these by name).
    from convsim_core.models import ConversationResult, Intent, Judgement, MessageDraft, Outcomes

logger = logging.getLogger(__name__)
_CUSTOMER = ParticipantRole.CUSTOMER


class ParticipantError(RuntimeError):
    """A participant broke the rules (spoke for the other side, returned a non-message)."""


@attrs.define(on_setattr=attrs.setters.NO_OP)
class FullSimulationRunner(Runner):
    """Runs conversations with both simulated customer and agent.

    Single-use runner that manages conversation state internally. Never sleeps unless its
    pacer asks to: simulated time comes from the typing-delay model.

    Fields are validated when the runner is made, not again on assignment: attrs' setattr
    hook would cost a third of a microsecond on every write to the runner's state, which
    happens twice per message.
    """

    customer: Participant
    agent: Participant
    initial_message: MessageDraft
    intent: Intent | None
    outcomes: Outcomes
    max_messages: int = attrs.field(default=100, validator=attrs.validators.ge(1))
    base_timestamp: datetime | None = None  # If None, use current time when run() starts
    progress_callback: ProgressCallback | None = None
    services: RunnerServices = attrs.field(factory=RunnerServices, kw_only=True)
    typing_delay: TypingDelay | None = attrs.field(kw_only=True, default=None)
    """Defaults to a human typing model seeded with the run's seed."""
    pacer: Pacer = attrs.field(factory=NoPacing, kw_only=True)
    history: tuple[Message, ...] = attrs.field(default=(), kw_only=True)
    """A branch's first messages: recorded (and judged) first, then the run goes on from them."""

    # Private state - managed internally
    _conversation: Conversation = attrs.field(init=False)
    _is_complete: bool = attrs.field(init=False, default=False)
    _start_time: datetime | None = attrs.field(init=False, default=None)
    _current_timestamp: datetime = attrs.field(init=False)
    _judgement: Judgement | None = attrs.field(init=False, default=None)
    _termination: Termination | None = attrs.field(init=False, default=None)
    _state: RunnerState = attrs.field(init=False, default=RunnerState.IDLE)
    _simulated_start: datetime | None = attrs.field(init=False, default=None)
    _delay: TypingDelay = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._delay = self.typing_delay or HumanTypingDelay(seed=self.services.seed or 0)
        self._init_state()
        self._current_timestamp = self.base_timestamp or datetime.now(UTC)
        initial_msg = Message.from_draft(self.initial_message, self._current_timestamp)
        self._conversation = Conversation(messages=(initial_msg,))

    async def run(self) -> ConversationResult:
        """Execute the full simulation conversation."""
        self._current_timestamp = self.base_timestamp or datetime.now(UTC)
        first = Message.from_draft(self.initial_message, self._current_timestamp)
        if self.history:
            first = self.history[0]
            self._current_timestamp = self.history[-1].timestamp
        await self._begin(first.timestamp)
        self._conversation = Conversation(messages=())
        try:
            termination = await self._converse(first)
        except asyncio.CancelledError:
            await self._finish(Termination(TerminationReason.STOPPED, "stopped by the user"))
            raise
        except Exception as exc:
            # The result carries the error and every front end shows it in one line; the
            # traceback is for -v (an unreachable LLM endpoint is not a bug in convsim).
            logger.debug("full simulation failed", exc_info=exc)
            return await self._finish(
                Termination(TerminationReason.PARTICIPANT_ERROR, type(exc).__name__),
                error=f"{type(exc).__name__}: {exc}",
            )
        return await self._finish(termination)

    async def _converse(self, first: Message) -> Termination:
        """Record the first message (and a branch's history), then take turns until one ends it.

        A turn is written out in this loop rather than in a coroutine of its own: a coroutine
        frame per message costs about as much as the typing-delay model.
        """
        termination = await self._record(first)
        for earlier in self.history[1:]:
            # Only where the history ends counts: the branch continues from there.
            termination = await self._record(earlier)
        delayless = type(self._delay) is NoDelay  # no model to ask, no clock to move
        while termination is None:
            last = self._conversation.messages[-1]
            role = last.sender.other
            if self.services.event_callback is not None:
                self._emit(TypingStarted(role))
            participant = self.customer if role is _CUSTOMER else self.agent
            while True:
                reply = await participant.get_next_message(self._conversation)
                if reply is None:
                    return Termination(
                        TerminationReason.PARTICIPANT_FINISHED, f"the {role.value} finished"
                    )
                if not isinstance(reply, Message) or reply.sender is not role:
                    raise ParticipantError(f"the {role.value} participant returned {reply!r}")
                delay = 0.0 if delayless else self._delay.seconds(role, reply.content, last.content)
                if reply.author == "person":  # a person at the keys has spent real time already
                    break
                if type(self.pacer) is not NoPacing:  # the usual batch case skips an await
                    await self.pacer.wait(delay)
                if participant.draft_still_wanted(reply):
                    break
            timestamp = self._current_timestamp
            if delay:
                timestamp += timedelta(0, delay)  # (days, seconds): no keyword parsing
                self._current_timestamp = timestamp
            termination = await self._record(reply.restamped(timestamp))
        return termination
