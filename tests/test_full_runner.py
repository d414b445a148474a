from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from convsim_core import (
    Conversation,
    FullSimulationRunner,
    Intent,
    KeywordJudge,
    Message,
    MessageDraft,
    Outcome,
    Outcomes,
    Participant,
    ParticipantRole,
    RunnerAlreadyUsed,
    RunnerServices,
    TerminationReason,
)
from convsim_core.events import (
    Finished,
    Judged,
    MessageAdded,
    RunnerState,
    StateChanged,
    TypingStarted,
)
from convsim_core.offline.scripted import ScriptedParticipant
from convsim_core.pacing import ControlledPacer
from convsim_core.persistence import TranscriptWriter, read_transcript
from convsim_core.termination import (
    AnyOf,
    ClosingPhrases,
    GoalCompletion,
    KeywordGoalChecker,
    OutcomeReached,
    Termination,
    TerminationStrategy,
    TurnState,
)
from convsim_core.timing import HumanTypingDelay, NoDelay
from tests.support.timeouts import MS

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
A, C = ParticipantRole.AGENT, ParticipantRole.CUSTOMER
OUTCOMES = Outcomes(
    (
        Outcome("resolved", "Customer issue was fully resolved"),
        Outcome("escalated", "Issue was escalated to supervisor"),
        Outcome("abandoned", "Customer left without resolution"),
    )
)
INTENT = Intent(C, "Get a refund for a double charge")
OPENING = MessageDraft("Hi, I was charged twice this month.", C)

CUSTOMER_LINES = [
    "Sure, it's dana@example.com.",
    "Great, thank you so much!",
    "Bye!",
]
AGENT_LINES = [
    "Sorry about that! Can you confirm the email on the account?",
    "Thanks Dana. I've refunded the duplicate charge of $12.99.",
    "You're welcome. Have a great day!",
]


def make_runner(
    *,
    customer: list[str] | None = None,
    agent: list[str] | None = None,
    termination: TerminationStrategy | None = None,
    judge: KeywordJudge | None = None,
    max_messages: int = 100,
    seed: int = 7,
    transcript: TranscriptWriter | None = None,
    progress: list[tuple[Conversation, dict[str, Any]]] | None = None,
    events: list[object] | None = None,
    **kwargs: Any,
) -> FullSimulationRunner:
    services = RunnerServices(
        judge=judge or KeywordJudge.from_phrases({"resolved": ["refunded"]}),
        termination=termination or AnyOf(()),
        seed=seed,
        event_callback=events.append if events is not None else None,
    )
    if transcript:
        services.transcript = transcript
    return FullSimulationRunner(
        customer=ScriptedParticipant(C, CUSTOMER_LINES if customer is None else customer),
        agent=ScriptedParticipant(A, AGENT_LINES if agent is None else agent),
        initial_message=OPENING,
        intent=INTENT,
        outcomes=OUTCOMES,
        max_messages=max_messages,
        base_timestamp=T0,
        progress_callback=(lambda c, p: progress.append((c, p))) if progress is not None else None,
        services=services,
        **kwargs,
    )


async def test_alternating_turns_until_a_participant_finishes() -> None:
    result = await make_runner().run()
    senders = [m.sender for m in result.conversation.messages]
    assert senders == [C, A, C, A, C, A, C]
    assert [m.content for m in result.conversation.messages][1:3] == [
        AGENT_LINES[0],
        CUSTOMER_LINES[0],
    ]
    # the agent has nothing left to say after the customer's "Bye!"
    assert result.termination_reason is TerminationReason.PARTICIPANT_FINISHED
    assert result.termination_detail == "the agent finished"
    assert result.conversation.outcome == OUTCOMES.get_outcome_by_name("resolved")
    assert result.judgement is not None and result.judgement.message_index == 3
    assert result.error is None
    assert result.seed == 7


async def test_initial_message_is_visible_before_run() -> None:
    runner = make_runner()
    assert [m.content for m in runner.conversation.messages] == [OPENING.content]
    assert not runner.is_complete
    await runner.run()
    assert runner.is_complete


async def test_timestamps_start_at_base_and_advance_by_typing_delays() -> None:
    result = await make_runner().run()
    stamps = [m.timestamp for m in result.conversation.messages]
    assert stamps[0] == T0
    assert all(later > earlier for earlier, later in itertools.pairwise(stamps))
    # reading + thinking + typing: seconds, not microseconds nor hours
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)]
    assert all(0.5 < gap < 60 for gap in gaps)


async def test_same_seed_same_timestamps_different_seed_different() -> None:
    first = await make_runner(seed=11).run()
    second = await make_runner(seed=11).run()
    other = await make_runner(seed=12).run()
    assert first.conversation == second.conversation
    assert first.conversation.messages != other.conversation.messages


async def test_explicit_typing_delay_model_is_used() -> None:
    result = await make_runner(typing_delay=NoDelay()).run()
    assert {m.timestamp for m in result.conversation.messages} == {T0}
    slow = HumanTypingDelay(seed=1, think_seconds=(10.0, 10.0), jitter=0.0)
    result = await make_runner(typing_delay=slow).run()
    gap = result.conversation.messages[1].timestamp - T0
    assert gap >= timedelta(seconds=10)


async def test_progress_callback_after_every_message_and_at_the_end() -> None:
    progress: list[tuple[Conversation, dict[str, Any]]] = []
    result = await make_runner(progress=progress).run()
    counts = [p["message_count"] for _, p in progress]
    assert counts == [1, 2, 3, 4, 5, 6, 7, 7]
    last = progress[-1][1]
    assert last["is_complete"] is True
    assert last["outcome"] == "resolved"
    assert last["termination_reason"] == "participant_finished"
    assert last["max_messages"] == 100
    assert set(progress[0][1]) >= {
        "message_count",
        "max_messages",
        "is_complete",
        "outcome",
        "elapsed_seconds",
    }
    assert progress[3][1]["outcome"] == "resolved"  # reached at the agent's refund message
    assert progress[2][1]["outcome"] is None
    assert progress[-1][0] == result.conversation


async def test_events_describe_the_run() -> None:
    events: list[object] = []
    await make_runner(events=events).run()
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "StateChanged" and events[0] == StateChanged(RunnerState.RUNNING)
    assert isinstance(events[-1], Finished)
    added = [e for e in events if isinstance(e, MessageAdded)]
    assert [e.index for e in added] == list(range(7))
    typing = [e.role for e in events if isinstance(e, TypingStarted)]
    assert typing[:3] == [A, C, A]
    assert sum(isinstance(e, Judged) for e in events) >= 1
    assert StateChanged(RunnerState.DONE) in events


async def test_max_messages_is_honoured() -> None:
    long_script = [f"line {i}" for i in range(50)]
    result = await make_runner(customer=long_script, agent=long_script, max_messages=5).run()
    assert len(result.conversation.messages) == 5
    assert result.termination_reason is TerminationReason.MAX_MESSAGES


def test_max_messages_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_messages"):
        make_runner(max_messages=0)


async def test_closing_phrase_ends_the_conversation() -> None:
    result = await make_runner(termination=ClosingPhrases()).run()
    assert result.termination_reason is TerminationReason.CLOSING_PHRASE
    assert result.conversation.messages[-1].content == AGENT_LINES[2]


async def test_outcome_reached_ends_the_conversation() -> None:
    result = await make_runner(termination=OutcomeReached({"resolved"})).run()
    assert result.termination_reason is TerminationReason.OUTCOME_REACHED
    assert len(result.conversation.messages) == 4


async def test_goal_completion_ends_the_conversation() -> None:
    result = await make_runner(
        termination=GoalCompletion(KeywordGoalChecker(("refunded the duplicate",)))
    ).run()
    assert result.termination_reason is TerminationReason.GOAL_COMPLETED
    assert len(result.conversation.messages) == 4


class _JudgementAfter(TerminationStrategy):
    """Stands in for an LLM completeness check (tested against a real model in test_llm_*)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.seen: list[TurnState] = []

    async def check(self, state: TurnState) -> Termination | None:
        self.seen.append(state)
        if len(state.conversation.messages) >= self.count:
            return Termination(TerminationReason.LLM_JUDGEMENT, "the customer got the refund")
        return None


async def test_strategy_reasons_are_recorded_verbatim() -> None:
    strategy = _JudgementAfter(3)
    result = await make_runner(termination=strategy).run()
    assert result.termination_reason is TerminationReason.LLM_JUDGEMENT
    assert result.termination_detail == "the customer got the refund"
    assert strategy.seen[-1].judgement is not None
    assert strategy.seen[-1].judgement.outcome is None
    assert strategy.seen[0].intent == INTENT


async def test_runner_is_single_use() -> None:
    runner = make_runner()
    await runner.run()
    with pytest.raises(RunnerAlreadyUsed, match="single-use"):
        await runner.run()


class _Exploding(Participant):
    role = A

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        if len(conversation.messages) > 2:
            raise ConnectionError("model endpoint went away")
        return self.message("How can I help?")


class _Impostor(Participant):
    role = A

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        return Message("I speak for the customer", T0, C)


async def test_participant_crash_is_recorded_and_transcript_kept(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    runner = make_runner(transcript=TranscriptWriter(path))
    runner.agent = _Exploding()
    result = await runner.run()
    assert result.termination_reason is TerminationReason.PARTICIPANT_ERROR
    assert result.error == "ConnectionError: model endpoint went away"
    saved = read_transcript(path)
    assert [m.content for m in saved.messages] == [m.content for m in result.conversation.messages]
    assert saved.result == result
    assert runner.state is RunnerState.ERROR


async def test_participant_speaking_for_the_other_side_is_an_error() -> None:
    runner = make_runner()
    runner.agent = _Impostor()
    result = await runner.run()
    assert result.termination_reason is TerminationReason.PARTICIPANT_ERROR
    assert result.error is not None and "agent participant returned" in result.error


async def test_transcript_written_as_it_happens(tmp_path: Path) -> None:
    path = tmp_path / "run" / "t.jsonl"
    pacer = ControlledPacer()
    runner = make_runner(transcript=TranscriptWriter(path), pacer=pacer)
    pacer.pause()
    task = asyncio.create_task(runner.run())
    for _ in range(3):
        pacer.step()
        await asyncio.sleep(10 * MS)
    partial = read_transcript(path)
    assert partial.partial
    assert len(partial.messages) == 4
    assert partial.header["seed"] == 7
    assert partial.header["runner"] == "FullSimulationRunner"
    pacer.resume()
    result = await asyncio.wait_for(task, 2000 * MS)
    finished = read_transcript(path)
    assert not finished.partial
    assert finished.result == result
    assert finished.messages == result.conversation.messages


async def test_cancellation_records_stopped(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    pacer = ControlledPacer()
    runner = make_runner(transcript=TranscriptWriter(path), pacer=pacer)
    pacer.pause()
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(10 * MS)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    saved = read_transcript(path)
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.STOPPED
    assert runner.is_complete


async def test_transcript_survives_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    writer = TranscriptWriter(path)
    await writer.start({"scenario": "demo"})
    writer.message(0, Message("hello", T0, C))
    writer.message(1, Message("hi there", T0, A))
    await writer.closed()
    with path.open("a") as handle:
        handle.write('{"schema_version":1,"type":"message","content":"half')
    saved = read_transcript(path)
    assert [m.content for m in saved.messages] == ["hello", "hi there"]
    assert saved.partial
    assert saved.problems and "line 4" in saved.problems[0]
