"""What every runner shares: conversation state, judging, termination, progress and results.

Concrete runners only decide who speaks next and when; everything that happens *after* a
message arrives (transcript line, judgement, termination check, progress) lives here so full and
hybrid simulations label and record conversations identically.
"""

from __future__ import annotations

import abc
import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs

from convsim_core.events import (
    Finished,
    Judged,
    MessageAdded,
    RunnerEvent,
    RunnerState,
    StateChanged,
)
from convsim_core.judging import NullJudge, OutcomeJudge
from convsim_core.models import (
    Conversation,
    ConversationResult,
    Intent,
    Judgement,
    Message,
    Outcomes,
    TerminationReason,
)
from convsim_core.persistence import TranscriptSink
from convsim_core.serialization import to_json
from convsim_core.termination import AnyOf, Termination, TerminationStrategy, TurnState
from convsim_core.usage import UsageMeter

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[Conversation, dict[str, Any]], None]
EventCallback = Callable[[RunnerEvent], None]


@functools.lru_cache(maxsize=256)
def _json_of(model: Intent | Outcomes) -> dict[str, Any]:
    # Batches start hundreds of runs of the same scenario at once: serialize its parts once.
    return to_json(model)


class RunnerAlreadyUsed(RuntimeError):
    """Runners are single-use: a second ``run()`` would mix two conversations' state."""


@attrs.define(kw_only=True)
class RunnerServices:
    """The strategy objects a runner composes; shared by the full and hybrid runners."""

    judge: OutcomeJudge = attrs.field(factory=NullJudge)
    termination: TerminationStrategy = attrs.field(factory=lambda: AnyOf(()))
    transcript: TranscriptSink = attrs.field(factory=TranscriptSink)
    usage: UsageMeter = attrs.field(factory=UsageMeter)
    event_callback: EventCallback | None = None
    seed: int | None = None
    header: dict[str, Any] = attrs.field(factory=dict)
    """Extra transcript header fields (scenario name, settings) for re-running and reports."""


class Runner(abc.ABC):
    """Shared machinery; subclasses are attrs classes that supply the fields used here."""

    intent: Intent | None
    outcomes: Outcomes
    max_messages: int
    progress_callback: ProgressCallback | None
    services: RunnerServices
    _conversation: Conversation
    _is_complete: bool
    _start_time: datetime | None
    _judgement: Judgement | None
    _termination: Termination | None
    _state: RunnerState
    _simulated_start: datetime | None

    @abc.abstractmethod
    async def run(self) -> ConversationResult: ...

    @property
    def conversation(self) -> Conversation:
        """Get current conversation state (read-only access)."""
        return self._conversation

    @property
    def is_complete(self) -> bool:
        """Check if the simulation has completed."""
        return self._is_complete

    @property
    def state(self) -> RunnerState:
        return self._state

    def get_progress(self) -> dict[str, Any]:
        """Get current progress information."""
        outcome = self._conversation.outcome
        messages = self._conversation.messages
        simulated = (
            (messages[-1].timestamp - self._simulated_start).total_seconds()
            if messages and self._simulated_start
            else 0.0
        )
        usage = self.services.usage.total
        return {
            "message_count": len(messages),
            "max_messages": self.max_messages,
            "is_complete": self._is_complete,
            "outcome": outcome.name if outcome else None,
            "elapsed_seconds": (
                (datetime.now(UTC) - self._start_time).total_seconds() if self._start_time else 0
            ),
            "simulated_seconds": simulated,
            "state": self._state.value,
            "rationale": self._judgement.rationale if self._judgement else "",
            "outcome_message_index": self._judgement.message_index if self._judgement else None,
            "termination_reason": self._termination.reason.value if self._termination else None,
            "llm_calls": usage.llm_calls,
            "tokens": usage.prompt_tokens + usage.completion_tokens,
            "cache_hits": usage.cache_hits,
        }

    # -- shared steps -------------------------------------------------------------------------

    def _init_state(self) -> None:
        self._is_complete = False
        self._start_time = None
        self._judgement = None
        self._termination = None
        self._state = RunnerState.IDLE
        self._simulated_start = None

    async def _begin(self, first_timestamp: datetime) -> None:
        if self._start_time is not None:
            raise RunnerAlreadyUsed(
                f"{type(self).__name__} is single-use; create a new runner to run again"
            )
        self._start_time = datetime.now(UTC)
        self._simulated_start = first_timestamp
        header: dict[str, Any] = {
            "runner": type(self).__name__,
            "seed": self.services.seed,
            "started_at": self._start_time.isoformat(),
            "max_messages": self.max_messages,
            "intent": _json_of(self.intent) if self.intent else None,
            "outcomes": _json_of(self.outcomes),
            **self.services.header,
        }
        await self.services.transcript.start(header)
        self._set_state(RunnerState.RUNNING)

    def _emit(self, event: RunnerEvent) -> None:
        if self.services.event_callback is not None:
            self.services.event_callback(event)

    def _set_state(self, state: RunnerState, detail: str = "") -> None:
        self._state = state
        # Like every event, built only when someone listens (the hot paths test the same
        # field inline, without a property call).
        if self.services.event_callback is not None:
            self._emit(StateChanged(state, detail))

    async def _record(self, message: Message) -> Termination | None:
        """Add a message: transcript line, judgement, termination check, progress.

        Returns the termination that fires, if any. The one step every message of every run
        takes, hence written out in one function (no event is built when nobody listens, and
        the judge and the termination strategy are awaited only when their quick answers,
        :meth:`~OutcomeJudge.quick` and :meth:`~TerminationStrategy.may_fire`, leave it open).
        """
        services = self.services
        conversation = self._conversation.with_message(message)
        index = len(conversation.messages) - 1
        services.transcript.message(index, message)
        self._conversation = conversation
        if services.event_callback is not None:
            self._emit(MessageAdded(index, message))
        previous = self._judgement
        judge = services.judge
        judgement = judge.quick(message, previous)
        if judgement is None:
            judgement = await judge.judge(conversation, self.outcomes, self.intent, previous)
        if judgement is not previous:
            self._judgement = judgement
            if judgement.outcome != conversation.outcome:
                conversation = attrs.evolve(conversation, outcome=judgement.outcome)
                self._conversation = conversation
            if services.event_callback is not None:
                self._emit(Judged(judgement))
        strategy = services.termination
        termination = None
        if strategy.may_fire(message, judgement):  # after most messages no strategy can
            state = TurnState(
                conversation, self.outcomes, self.intent, judgement, self.max_messages
            )
            termination = await strategy.check(state)
        if termination is None and index + 1 >= self.max_messages:
            termination = Termination(
                TerminationReason.MAX_MESSAGES, f"reached {self.max_messages} messages"
            )
        if self.progress_callback is not None:
            self.progress_callback(conversation, self.get_progress())
        return termination

    async def _finish(
        self,
        termination: Termination,
        error: str | None = None,
        **extra: Any,
    ) -> ConversationResult:
        self._termination = termination
        self._is_complete = True
        started = self._start_time or datetime.now(UTC)
        result = ConversationResult(
            conversation=self._conversation,
            duration_seconds=(datetime.now(UTC) - started).total_seconds(),
            termination_reason=termination.reason,
            termination_detail=termination.detail,
            error=error,
            usage=self.services.usage.snapshot(),
            judgement=self._judgement,
            seed=self.services.seed,
            **extra,
        )
        try:
            self.services.transcript.finish(result)
            # run() returns once the transcript is complete on disk. Awaited directly, not
            # through asyncio.shield (a task and a trip round the event loop per run): the
            # sinks write synchronously, and one that has to wait shields its own wait.
            await self.services.transcript.closed()
        except Exception:  # a transcript problem must not lose the result itself
            logger.exception("could not write the transcript")
        failed = error is not None and termination.reason is not TerminationReason.STOPPED
        self._set_state(RunnerState.ERROR if failed else RunnerState.DONE, error or "")
        if self.progress_callback is not None:
            self.progress_callback(self._conversation, self.get_progress())
        self._emit(Finished(result))
        return result
