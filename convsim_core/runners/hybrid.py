"""The hybrid simulation: a simulated customer chatting with a real agent in real time.

(Over 400 lines: the turn rules live in ``turns.py``, the unreadable-replies rule in
``unreadable.py``; what remains is one asyncio shell - mailbox, listener, typing task, last-word
wait - whose parts share the run's state, and splitting it further would scatter that state.)

The real agent (a bot over the wire, or a person in play mode) sits behind a :class:`Channel`.
Unlike the full runner, nobody takes turns on command: the agent speaks when it likes, often
two or three messages in a row, so the runner is a small event loop over one mailbox that the
channel listener, the session hooks and the customer's typing task all post into. Only the
runner's own task records messages, which keeps the conversation, transcript and judgements in
arrival order without locks.

Timing rules (all times are real seconds):

* **Settling.** After the agent speaks, the customer waits until the agent has been quiet for
  ``settle_seconds`` (or the session reports the agent's turn complete, after a short grace for
  a final message still in flight), then answers everything the agent said at once.
* **Typing.** The customer's reply is composed, then sent after ``typing_delay`` (a
  :class:`TypingStarted` event marks the start). An agent message that arrives while the customer
  composes or types is recorded at once; the pending draft is thrown away and, once the agent has
  settled again, the customer writes a new reply that takes every agent message into account -
  as a person would delete a half-typed answer that the agent's new message made stale.
* **Agent timeout vs. inactivity.** Both fire when the agent says nothing after the customer
  spoke. ``agent_timeout`` means the agent has *never* answered a customer message in this
  conversation within ``response_timeout`` (it is down, broken or far too slow - also when it
  was expected to open the chat and did not). ``inactivity_timeout`` means the agent had been
  answering and then the conversation went quiet for ``inactivity_timeout`` (handed over to a
  queue, or it considers the chat over).
* **Wall time.** The whole run, connecting included, is capped by ``max_wall_time``.
* **The last word.** When a termination rule fires on the customer's message (a goodbye, an
  outcome reached), the runner still waits - up to ``response_timeout``, capped by
  ``last_word_timeout``, then by the usual settling - for the agent's answer and records it, so
  a bot's "Bye!" is in the transcript and its reply is not thrown away. (A rule that fires on
  the agent's message ends the chat there, as before; replies after the end are acknowledged
  by the channel and logged, not recorded.)
* **Unreadable replies** (:mod:`~convsim_core.runners.unreadable`). When the agent answered but
  none of its replies could be read (every frame a protocol error), the conversation ends with
  ``unreadable_replies`` and an error that names the first problem, instead of reading as "the
  agent said nothing"; when no answer came at all, with ``channel_error``.

The session is opened before the transcript header is written, so the header can record the
ids the bot saw (its ``sender``, ``user`` or ``conversation.id``) for finding the conversation in
the bot's own logs; the events seen while connecting are reported right after ``RUNNING``.

The rules above are :class:`~convsim_core.runners.turns.TurnTaking` (no I/O, tested on a fake
clock); this module is the asyncio shell around them: the mailbox, the tasks, the session.

The runner closes the session it created (never the channel: whoever made the channel owns it).

Over 400 lines on purpose: a third of it is this description of the rules; the rest is one
asyncio shell (session, listener, typing task, shutdown) whose parts share the runner's state.
The rules are in :mod:`~convsim_core.runners.turns`, the mailbox in
:mod:`~convsim_core.runners.mailbox`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from convsim_core.buttons import ButtonChooser
from convsim_core.channel import Channel, ChannelError, ChannelState, ProtocolError, Session
from convsim_core.events import (
    ChannelStateChanged,
    ProtocolErrorSeen,
    RunnerEvent,
    RunnerState,
    TypingStarted,
)
from convsim_core.models import Conversation, Message, ParticipantRole, TerminationReason
from convsim_core.participant import Participant
from convsim_core.runners.base import ProgressCallback, Runner, RunnerAlreadyUsed, RunnerServices
from convsim_core.runners.full import ParticipantError
from convsim_core.runners.mailbox import (
    Arrival,
    Crashed,
    Ended,
    Failed,
    Mailbox,
    Ready,
    TurnComplete,
)
from convsim_core.runners.turns import TURN_GRACE_SECONDS, Draft, TurnTaking, Wait, in_order
from convsim_core.runners.unreadable import UnreadableReplies
from convsim_core.termination import Termination
from convsim_core.timing import NoDelay, TypingDelay

if TYPE_CHECKING:
    # Annotations only (the runner never builds these by name).
    from convsim_core.models import ConversationResult, Intent, Judgement, MessageDraft, Outcomes

__all__ = ["TURN_GRACE_SECONDS", "HybridSimulationRunner", "HybridTiming", "IntentInferer"]

logger = logging.getLogger(__name__)

IntentInferer = Callable[[Conversation], Awaitable[str]]
"""Names the customer's intent from a finished conversation (an LLM call, usually)."""


AGENT, CUSTOMER = ParticipantRole.AGENT, ParticipantRole.CUSTOMER

_LAST_WORD_REASONS = frozenset(
    {
        TerminationReason.CLOSING_PHRASE,
        TerminationReason.OUTCOME_REACHED,
        TerminationReason.LLM_JUDGEMENT,
        TerminationReason.GOAL_COMPLETED,
        TerminationReason.PARTICIPANT_FINISHED,
    }
)
"""Endings after which the agent may still answer the customer's last message."""


_non_negative: Any = attrs.validators.ge(0.0)
_positive_or_none: Any = attrs.validators.optional(attrs.validators.gt(0.0))
"""A limit in seconds, or None for no limit."""


@attrs.frozen
class HybridTiming:
    """Real-time settings of a hybrid run; ``None`` switches a limit off."""

    settle_seconds: float = attrs.field(default=1.0, validator=_non_negative)
    typing_delay: TypingDelay = attrs.field(factory=NoDelay)
    inactivity_timeout: float | None = attrs.field(default=30.0, validator=_positive_or_none)
    response_timeout: float | None = attrs.field(default=30.0, validator=_positive_or_none)
    max_wall_time: float | None = attrs.field(default=600.0, validator=_positive_or_none)
    last_word_timeout: float | None = attrs.field(default=10.0, validator=_positive_or_none)
    """Cap on the wait for the agent's answer to the customer's closing message."""


class _CustomerFailed(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error


@attrs.define
class HybridSimulationRunner(Runner):
    """Runs one conversation between a simulated customer and a real agent over a channel.

    Single-use, like the full runner, with the same progress interface, events and result;
    ``get_progress()`` adds ``channel_state``.
    """

    customer: Participant
    channel: Channel
    initial_message: MessageDraft | None
    """Sent first when it is the customer's; the agent's is not sent - the real agent opens."""
    intent: Intent | None
    outcomes: Outcomes
    max_messages: int = attrs.field(default=100, validator=attrs.validators.ge(1))
    base_timestamp: datetime | None = None
    """Stamps count real elapsed time from here; None: the real UTC clock."""
    progress_callback: ProgressCallback | None = None
    services: RunnerServices = attrs.field(factory=RunnerServices, kw_only=True)
    timing: HybridTiming = attrs.field(factory=HybridTiming, kw_only=True)
    intent_inferer: IntentInferer | None = attrs.field(default=None, kw_only=True)
    history: tuple[Message, ...] = attrs.field(default=(), kw_only=True)
    """A branch's first messages: recorded (and judged) first; the agent never saw them."""
    buttons: ButtonChooser | None = attrs.field(default=None, kw_only=True)
    """Turns a reply that picks one of the agent's quick replies into a button press."""

    # Private state - managed internally
    _conversation: Conversation = attrs.field(init=False)
    _is_complete: bool = attrs.field(init=False, default=False)
    _start_time: datetime | None = attrs.field(init=False, default=None)
    _judgement: Judgement | None = attrs.field(init=False, default=None)
    _termination: Termination | None = attrs.field(init=False, default=None)
    _state: RunnerState = attrs.field(init=False, default=RunnerState.IDLE)
    _simulated_start: datetime | None = attrs.field(init=False, default=None)
    _channel_state: ChannelState | None = attrs.field(init=False, default=None)
    _unreadable: UnreadableReplies = attrs.field(init=False, factory=UnreadableReplies)
    _inferred_intent: str | None = attrs.field(init=False, default=None)
    _mailbox: Mailbox = attrs.field(init=False, factory=Mailbox)
    _session: Session | None = attrs.field(init=False, default=None)
    _listener: asyncio.Task[None] | None = attrs.field(init=False, default=None)
    _typing: asyncio.Task[None] | None = attrs.field(init=False, default=None)
    _clock_base: datetime = attrs.field(init=False)
    _loop_base: float = attrs.field(init=False, default=0.0)
    _turns: TurnTaking = attrs.field(init=False)
    """Turn and deadline rules (no I/O), in event-loop seconds."""
    _errors_pending: int = attrs.field(init=False, default=0)
    """Protocol errors since the customer last spoke."""
    _held_events: list[Any] | None = attrs.field(init=False, factory=list)
    """Events seen while connecting, before the header and ``RUNNING``; None once released."""
    _used: bool = attrs.field(init=False, default=False)

    def __attrs_post_init__(self) -> None:
        self._init_state()
        timing = self.timing
        self._turns = TurnTaking(
            timing.settle_seconds, timing.response_timeout, timing.inactivity_timeout
        )
        self._clock_base = self.base_timestamp or datetime.now(UTC)
        self._conversation = Conversation(messages=())

    # -- public -------------------------------------------------------------------------------

    def get_progress(self) -> dict[str, Any]:
        progress = super().get_progress()
        progress["channel_state"] = self._channel_state.value if self._channel_state else None
        progress["customer_typing"] = self._typing is not None
        progress["protocol_errors"] = len(self._unreadable.excerpts)
        return progress

    async def run(self) -> ConversationResult:
        """Hold the conversation until a termination rule, a timeout or a failure ends it."""
        if self._used:
            raise RunnerAlreadyUsed(
                f"{type(self).__name__} is single-use; create a new runner to run again"
            )
        self._used = True
        self._loop_base = asyncio.get_running_loop().time()
        self._clock_base = self.base_timestamp or datetime.now(UTC)
        begun = False
        try:
            failed = await self._safely(self._open_session)
            await self._begin_with_session()
            begun = True
            if failed is not None:
                termination, error = failed
            else:
                termination, error = await self._safely(self._converse) or (
                    Termination(TerminationReason.STOPPED),
                    None,
                )
            await self._shutdown()
            await self._infer_intent()
        except asyncio.CancelledError:
            try:
                await self._shutdown()
            finally:
                # Written even if a second cancellation cuts the shutdown short.
                if not begun:
                    await self._begin_with_session()
                if not self._is_complete:
                    stopped = Termination(TerminationReason.STOPPED, "stopped by the user")
                    await self._finish(stopped, **self._extras())
            raise
        answered = any(m.sender is AGENT for m in self._conversation.messages)
        termination, error = self._unreadable.settle(termination, error, agent_spoke=answered)
        return await self._finish(termination, error, **self._extras())

    async def _begin_with_session(self) -> None:
        """Write the header (with where the bot is and the ids it saw), then the held events."""
        info = dict(self.channel.describe())
        if self._session is not None:
            ids = self._session.describe()
            if ids:
                info["ids"] = ids
        if info:
            self.services.header = {**self.services.header, "bot": info}
        held, self._held_events = self._held_events, None
        await self._begin(self._clock_base)
        for event in held or ():
            self._emit(event)

    def _emit(self, event: RunnerEvent) -> None:
        if self._held_events is not None:
            self._held_events.append(event)
            return
        super()._emit(event)

    # -- the conversation ---------------------------------------------------------------------

    async def _safely(
        self, step: Callable[[], Awaitable[Termination | Session | None]]
    ) -> tuple[Termination, str | None] | None:
        """One phase under the wall-time cap (from the start of the run); failures become
        terminations, None when the phase ended without one (a session was opened)."""
        limit = self.timing.max_wall_time
        wall = asyncio.timeout_at(None if limit is None else self._loop_base + limit)
        try:
            async with wall:
                done = await step()
        except TimeoutError as exc:
            if not wall.expired():
                return self._failed(exc)
            detail = f"the conversation reached the {limit:g} s wall-time limit"
            return Termination(TerminationReason.MAX_WALL_TIME, detail), None
        except ChannelError as exc:
            logger.info("channel failed: %s", exc)
            self._note_channel_state(ChannelState.FAILED, str(exc))
            detail = "the channel failed"
            lost = self._session.undelivered if self._session is not None else 0
            if lost:
                detail += f"; the last {lost} customer message(s) were not delivered to the bot"
            return Termination(TerminationReason.CHANNEL_ERROR, detail), str(exc)
        except _CustomerFailed as exc:
            logger.debug("the customer participant failed", exc_info=exc.error)
            detail = "the customer participant failed"
            return Termination(TerminationReason.PARTICIPANT_ERROR, detail), str(exc)
        except Exception as exc:
            return self._failed(exc)
        if isinstance(done, Termination):
            return done, None
        return None

    def _failed(self, exc: Exception) -> tuple[Termination, str | None]:
        # Mirrors the full runner: a bug (a judge, a strategy) must not escape run().
        # The result carries the error (shown in one line); the traceback is for -v.
        logger.debug("hybrid simulation failed", exc_info=exc)
        error = f"{type(exc).__name__}: {exc}"
        return Termination(TerminationReason.PARTICIPANT_ERROR, type(exc).__name__), error

    async def _converse(self) -> Termination:
        session = self._session
        assert session is not None
        self._listener = asyncio.create_task(self._listen(session), name="convsim-hybrid-listener")
        termination = await self._take_early_arrivals()
        if termination is None:
            termination = await self._open_conversation(session)
        while termination is None:
            termination = await self._step(session)
        if self._wants_last_word(termination):
            await self._last_word()
        return termination

    async def _take_early_arrivals(self) -> Termination | None:
        """Record what the agent said while the session opened (a welcome) before anyone else."""
        for _ in range(3):  # let the listener move already-queued messages into the mailbox
            await asyncio.sleep(0)
        while self._mailbox.has_arrival():
            item = await self._mailbox.get(0)
            if isinstance(item, Arrival):
                termination = await self._agent_said(item)
                if termination is not None:
                    return termination
            elif isinstance(item, TurnComplete):
                self._turns.turn_completed()
            elif isinstance(item, Failed):
                raise item.error
            elif isinstance(item, Ended):
                return Termination(
                    TerminationReason.PARTICIPANT_FINISHED, "agent ended the conversation"
                )
        return None

    def _wants_last_word(self, termination: Termination) -> bool:
        last = self._conversation.last_message
        return (
            last is not None
            and last.sender is CUSTOMER
            and termination.reason in _LAST_WORD_REASONS
            and self._session is not None
        )

    async def _last_word(self) -> None:
        """Wait, bounded, for the agent's answer to the customer's last message and record it."""
        turns = self._turns
        limit = (
            self.timing.inactivity_timeout if turns.agent_answered else self.timing.response_timeout
        )
        caps = [v for v in (limit, self.timing.last_word_timeout) if v is not None]
        first_by = turns.customer_spoke_at + min(caps) if caps else None
        while True:
            now = self._loop_time()
            if turns.agent_pending:
                settle = self.timing.settle_seconds
                if turns.turn_complete:
                    settle = min(settle, TURN_GRACE_SECONDS)
                wait: float | None = turns.last_agent_at + settle - now
            else:
                if turns.turn_complete:
                    return  # the bot's turn is over and it said nothing more
                wait = None if first_by is None else first_by - now
            item = await self._mailbox.get(wait)
            if item is None or isinstance(item, Ended | Failed):
                return
            if isinstance(item, TurnComplete):
                turns.turn_completed()
            elif isinstance(item, Arrival):
                await self._agent_said(item)  # recorded and judged; no new termination

    async def _open_session(self) -> Session:
        self._note_channel_state(ChannelState.CONNECTING)
        try:
            session = await self.channel.create_session()
        except ChannelError:
            raise
        except Exception as exc:
            raise ChannelError(f"could not open a session: {type(exc).__name__}: {exc}") from exc
        self._session = session
        session.on_state_change = self._note_channel_state
        session.on_protocol_error = self._note_protocol_error
        session.on_turn_complete = lambda: self._mailbox.put(TurnComplete())
        if self._channel_state is ChannelState.CONNECTING:
            self._note_channel_state(ChannelState.CONNECTED)
        return session

    async def _open_conversation(self, session: Session) -> Termination | None:
        self._turns.begin(self._loop_time())
        if self.history:
            return await self._open_from_history(session)
        draft = self.initial_message
        if draft is None:
            self._start_typing()
            return None
        if draft.sender is AGENT:
            return None  # the real agent opens with its own words
        return await self._send(session, draft.content)

    async def _open_from_history(self, session: Session) -> Termination | None:
        termination: Termination | None = None
        for message in self.history:
            termination = await self._record(message)  # only the last one's counts
        if termination is not None:
            return termination
        last = self.history[-1]
        if last.sender is AGENT:
            self._turns.customer_spoke = True
            self._turns.agent_answered = True
            self._start_typing()  # the customer answers the agent's last message
            return None
        # The agent has not seen the history: give it the customer's last message to answer.
        self._turns.customer_sends(self._loop_time())
        try:
            await session.send(last)
        except ChannelError:
            raise
        except Exception as exc:
            raise ChannelError(f"could not send the message: {type(exc).__name__}: {exc}") from exc
        return None

    async def _step(self, session: Session) -> Termination | None:
        """Handle one mailbox item or one expired wait."""
        timeout, kind = self._deadline()
        item = await self._mailbox.get(timeout)
        if item is None:
            return self._expired(kind)
        if isinstance(item, Arrival):
            return await self._agent_said(item)
        if isinstance(item, TurnComplete):
            self._turns.turn_completed()
            turns = self._turns
            if not turns.agent_pending and self._errors_pending and not turns.agent_answered:
                # The bot's turn is over and everything it sent was unreadable: waiting for the
                # response timeout would only hide that.
                return self._unreadable.termination()
            return None
        if isinstance(item, Ended):
            return Termination(
                TerminationReason.PARTICIPANT_FINISHED, "agent ended the conversation"
            )
        if isinstance(item, Failed):
            raise item.error
        verdict = self._turns.draft_ready(
            item.generation, agent_waiting=self._mailbox.has_arrival()
        )
        if verdict is Draft.STALE:
            return None  # a draft the customer already threw away
        self._typing = None
        if isinstance(item, Crashed):
            raise _CustomerFailed(item.error)
        if item.reply is None:
            return Termination(TerminationReason.PARTICIPANT_FINISHED, "the customer finished")
        if verdict is Draft.REWRITE and item.reply.author != "person":
            # A person's message is sent as typed: only a simulated draft is rewritten.
            logger.debug("agent spoke as the customer finished typing; rewriting the reply")
            return None
        if not self.customer.draft_still_wanted(item.reply):
            self._start_typing()  # a person took the seat while this draft was being typed
            return None
        reply = item.reply
        if self.buttons is not None and reply.author != "person":
            reply = self.buttons.press(reply, self._conversation)
        return await self._send(session, reply)

    def _deadline(self) -> tuple[float | None, Wait]:
        """How long the runner may wait for the next item, and what it means if none comes."""
        return self._turns.deadline(self._loop_time())

    def _expired(self, kind: Wait) -> Termination | None:
        if kind is Wait.AGENT_TIMEOUT and self._unreadable:
            return self._unreadable.termination()
        termination = self._turns.expired(kind)
        if termination is None:
            self._start_typing()
        return termination

    async def _agent_said(self, arrival: Arrival) -> Termination | None:
        if self._turns.agent_spoke(arrival.at):
            logger.debug("agent spoke while the customer was typing; the draft is dropped")
            self._cancel_typing()
        message = arrival.message
        last = self._conversation.last_message
        stamp = in_order(message.timestamp, last.timestamp if last else None)
        if stamp != message.timestamp:
            message = attrs.evolve(message, timestamp=stamp)
        return await self._record(message)

    async def _send(self, session: Session, reply: str | Message) -> Termination | None:
        if isinstance(reply, str):
            message = Message(content=reply, timestamp=self._now(), sender=CUSTOMER)
        else:  # keeps a pressed button (``choice``) and who typed it (``author``)
            message = Message(
                content=reply.content,
                timestamp=self._now(),
                sender=CUSTOMER,
                choice=reply.choice,
                author=reply.author,
            )
        limit = self._turns.customer_sends(self._loop_time())
        self._errors_pending = 0
        timed_out = False
        try:
            # The built-in sessions only queue the message here (the webhook posts it from a
            # worker, the WebSocket link keeps it while reconnecting), but a Session may block
            # in send(): a stuck one must not hang the run past its timeout.
            async with asyncio.timeout(limit):
                await session.send(message)
        except TimeoutError:
            timed_out = True
        except ChannelError:
            raise
        except Exception as exc:
            raise ChannelError(f"could not send the message: {type(exc).__name__}: {exc}") from exc
        termination = await self._record(message)
        if timed_out and termination is None:
            return self._turns.timed_out_sending()
        return termination

    # -- the customer's typing ------------------------------------------------------------------

    def _start_typing(self) -> None:
        generation = self._turns.start_typing()
        self._emit(TypingStarted(CUSTOMER))
        self._typing = asyncio.create_task(
            self._compose(generation, self._conversation, self._unanswered_text()),
            name="convsim-hybrid-customer",
        )

    def _cancel_typing(self) -> None:
        if self._typing is not None:
            self._typing.cancel()
            self._typing = None

    def _unanswered_text(self) -> str:
        lines: list[str] = []
        for message in reversed(self._conversation.messages):
            if message.sender is CUSTOMER:
                break
            lines.append(message.display_text())
        return "\n".join(reversed(lines))

    async def _compose(self, generation: int, conversation: Conversation, read: str) -> None:
        """Write and type one reply; the outcome goes to the mailbox."""
        try:
            reply = await self.customer.get_next_message(conversation)
            if reply is not None:
                if not isinstance(reply, Message) or reply.sender is not CUSTOMER:
                    raise ParticipantError(f"the customer participant returned {reply!r}")
                delay = self.timing.typing_delay.seconds(CUSTOMER, reply.content, read)
                if delay > 0 and reply.author != "person":  # a person has typed it already
                    await asyncio.sleep(delay)
        except Exception as exc:
            self._mailbox.put(Crashed(generation, exc))
            return
        self._mailbox.put(Ready(generation, reply))

    # -- the channel ----------------------------------------------------------------------------

    async def _listen(self, session: Session) -> None:
        """Move agent messages from the session into the mailbox, stamped on arrival."""
        mailbox = self._mailbox
        try:
            async for message in session.subscribe():
                if message.sender is not AGENT:
                    logger.debug("ignoring a non-agent message from the channel: %r", message)
                    continue
                if message.rich:
                    stamped = attrs.evolve(message, timestamp=self._now())
                else:
                    stamped = Message(content=message.content, timestamp=self._now(), sender=AGENT)
                mailbox.put(Arrival(stamped, self._loop_time()))
        except ChannelError as exc:
            mailbox.put(Failed(exc))
        except Exception as exc:
            logger.exception("the channel's subscribe() failed")
            mailbox.put(Failed(ChannelError(f"the channel failed: {type(exc).__name__}: {exc}")))
        else:
            mailbox.put(Ended())

    def _note_channel_state(self, state: ChannelState, detail: str = "") -> None:
        if state is self._channel_state:
            return
        self._channel_state = state
        self._emit(ChannelStateChanged(state, detail))

    def _note_protocol_error(self, error: ProtocolError) -> None:
        excerpt = self._unreadable.note(error)
        self._errors_pending += 1
        self._emit(ProtocolErrorSeen(excerpt, reason=str(error)))

    async def _shutdown(self) -> None:
        """Stop the background tasks and close the session; safe to call twice."""
        tasks = [task for task in (self._typing, self._listener) if task and not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._typing = None
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await session.close()
        except Exception:
            logger.warning("closing the session failed", exc_info=True)
        finally:
            session.on_state_change = None
            session.on_protocol_error = None
            session.on_turn_complete = None
        if self._channel_state is not ChannelState.FAILED:
            self._note_channel_state(ChannelState.CLOSED)

    # -- the end --------------------------------------------------------------------------------

    async def _infer_intent(self) -> None:
        if self.intent is not None or self.intent_inferer is None:
            return
        if not self._conversation.messages:
            return
        try:
            inferred = await self.intent_inferer(self._conversation)
        except Exception:
            logger.warning("could not infer the customer's intent", exc_info=True)
            return
        self._inferred_intent = inferred.strip() or None

    def _extras(self) -> dict[str, Any]:
        return {
            "protocol_errors": tuple(self._unreadable.excerpts),
            "inferred_intent": self._inferred_intent,
        }

    def _loop_time(self) -> float:
        return asyncio.get_running_loop().time()

    def _now(self) -> datetime:
        return self._clock_base + timedelta(seconds=self._loop_time() - self._loop_base)
