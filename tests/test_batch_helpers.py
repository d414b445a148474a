"""Shared helpers for the batch and report tests (this module holds no tests itself)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from convsim_core import (
    Conversation,
    ConversationResult,
    FullSimulationRunner,
    Intent,
    KeywordJudge,
    Message,
    MessageDraft,
    Outcome,
    Outcomes,
    Participant,
    ParticipantRole,
    RunnerServices,
    TerminationReason,
    Usage,
)
from convsim_core.batch import BatchPlan, PlannedRun, ScenarioEntry, ShardSpec
from convsim_core.models import Judgement
from convsim_core.persistence import TranscriptSink, TranscriptWriter
from convsim_core.termination import AnyOf, ClosingPhrases
from convsim_core.timing import NoDelay

C, A = ParticipantRole.CUSTOMER, ParticipantRole.AGENT
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
OUTCOMES = Outcomes(
    (
        Outcome("resolved", "The duplicate charge was refunded."),
        Outcome("escalated", "Handed to a supervisor."),
    )
)
INTENT = Intent(C, "Get a refund for a double charge")
OPENING = MessageDraft("Hi, I was charged twice this month.", C)


def plan_of(keys: Sequence[str], runs: int, shard: ShardSpec | None = None) -> BatchPlan:
    entries = tuple(ScenarioEntry(key, f"builtin:{key}", seed=i + 1) for i, key in enumerate(keys))
    return BatchPlan(entries, runs, shard)


class Speaker(Participant):
    """Scripted lines with an optional wait per reply; counts how many speak at once."""

    live = 0
    peak = 0

    def __init__(self, role: ParticipantRole, lines: Sequence[str], delay: float = 0.0) -> None:
        self.role = role
        self.lines = tuple(lines)
        self.delay = delay

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        spoken = sum(1 for m in conversation.messages if m.sender is self.role)
        if self.role is C:
            spoken -= 1  # the opening line
        if spoken >= len(self.lines):
            return None
        if self.delay:
            Speaker.live += 1
            Speaker.peak = max(Speaker.peak, Speaker.live)
            try:
                await asyncio.sleep(self.delay)
            finally:
                Speaker.live -= 1
        return self.message(self.lines[spoken])


def scripted_runner(
    run: PlannedRun,
    transcript: TranscriptSink,
    *,
    agent_lines: Sequence[str] = ("Can I have your email?", "It has been refunded. Goodbye!"),
    customer_lines: Sequence[str] = ("dana@example.com",),
    delay: float = 0.0,
) -> FullSimulationRunner:
    return FullSimulationRunner(
        customer=Speaker(C, customer_lines, delay),
        agent=Speaker(A, agent_lines, delay),
        initial_message=OPENING,
        intent=INTENT,
        outcomes=OUTCOMES,
        max_messages=20,
        base_timestamp=T0,
        services=RunnerServices(
            judge=KeywordJudge.from_phrases(
                {"resolved": ["refunded"], "escalated": ["supervisor"]}, A
            ),
            termination=AnyOf((ClosingPhrases(("goodbye",)),)),
            transcript=transcript,
            seed=run.seed,
            header={"scenario": run.scenario},
        ),
        typing_delay=NoDelay(),
    )


def scripted_factory(delay: float = 0.0, **lines: Any) -> Any:
    def factory(
        _scenario: Any, run: PlannedRun, transcript: TranscriptSink
    ) -> FullSimulationRunner:
        return scripted_runner(run, transcript, delay=delay, **lines)

    return factory


async def write_transcript(
    folder: Path,
    run_id: str,
    scenario: str,
    *,
    outcome: str | None = "resolved",
    messages: int = 4,
    duration: float = 1.0,
    usage: Usage | None = None,
    error: str | None = None,
    termination: TerminationReason = TerminationReason.CLOSING_PHRASE,
    finished: bool = True,
    run_index: int = 0,
    seed: int = 1,
    batch_id: str | None = None,
) -> Path:
    """A transcript as a batch would write it, with exactly the given figures."""
    path = folder / f"{run_id}.jsonl"
    writer = TranscriptWriter(path)
    header = {
        "runner": "FullSimulationRunner",
        "seed": seed,
        "scenario": scenario,
        "batch": {
            "batch_id": batch_id,
            "run_id": run_id,
            "scenario": scenario,
            "run_index": run_index,
            "seed": seed,
        },
    }
    await writer.start(header)
    history = []
    for i in range(messages):
        sender = C if i % 2 == 0 else A
        message = Message(f"line {i}", T0 + timedelta(seconds=i), sender)
        writer.message(i, message)
        history.append(message)
    if finished:
        named = OUTCOMES.get_outcome_by_name(outcome) if outcome else None
        if outcome and named is None:
            named = Outcome(outcome, outcome)
        result = ConversationResult(
            conversation=Conversation(tuple(history), named),
            duration_seconds=duration,
            termination_reason=termination,
            error=error,
            usage=usage or Usage(),
            judgement=Judgement(named, "test", messages - 1 if named else None),
            seed=seed,
        )
        writer.finish(result)
    await writer.closed()
    return path
