"""Conversations whose two sides wait a fixed time per reply: a stand-in for remote models.

Shared by the worker/Ray tests and benchmarks; :class:`SleepySetup` is picklable, so worker
processes and Ray actors can build the same runners as the parent would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import attrs

from convsim_core import (
    Conversation,
    FullSimulationRunner,
    Intent,
    Message,
    MessageDraft,
    Outcome,
    Outcomes,
    Participant,
    ParticipantRole,
    RunnerServices,
)
from convsim_core.batch import PlannedRun
from convsim_core.batch.executor import RunnerFactory
from convsim_core.persistence import TranscriptSink
from convsim_core.timing import NoDelay

OUTCOMES = Outcomes((Outcome("resolved", "Customer issue was fully resolved"),))
INTENT = Intent(ParticipantRole.CUSTOMER, "Get a refund for a double charge")
OPENING = MessageDraft("Hi, I was charged twice this month.", ParticipantRole.CUSTOMER)
LINES = {
    ParticipantRole.CUSTOMER: "Sure, the email on the account is dana@example.com, thanks.",
    ParticipantRole.AGENT: "Thanks! Let me check the charges on that account for you now.",
}


class Sleepy(Participant):
    """Waits ``latency`` seconds, then says the same line."""

    def __init__(self, role: ParticipantRole, latency: float) -> None:
        self.role = role
        self.latency = latency

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        await asyncio.sleep(self.latency)
        return self.message(f"{LINES[self.role]} ({len(conversation.messages)})")


def sleepy_factory(latency: float, messages: int = 10) -> RunnerFactory:
    def factory(_scenario: Any, run: PlannedRun, transcript: TranscriptSink) -> Any:
        return FullSimulationRunner(
            customer=Sleepy(ParticipantRole.CUSTOMER, latency),
            agent=Sleepy(ParticipantRole.AGENT, latency),
            initial_message=OPENING,
            intent=INTENT,
            outcomes=OUTCOMES,
            max_messages=messages,
            services=RunnerServices(transcript=transcript, seed=run.seed),
            typing_delay=NoDelay(),
        )

    return factory


@attrs.frozen
class SleepySetup:
    """A :class:`~convsim_core.batch.spread.WorkerSetup` building sleepy runners."""

    latency: float
    messages: int = 10

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[RunnerFactory]:
        yield sleepy_factory(self.latency, self.messages)


@attrs.frozen
class BrokenSetup:
    """A worker setup that cannot open (a bot the workers cannot reach, say)."""

    reason: str

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[RunnerFactory]:
        raise RuntimeError(self.reason)
        yield sleepy_factory(0.0)  # pragma: no cover - never reached
