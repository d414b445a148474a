"""Deterministic building blocks for tests, snapshots and benchmarks of the TUI.

A snapshot must come out the same on every machine: fixed seed and base timestamp, UTC
message times, a frozen wall clock, no blinking cursor, no autostart unless asked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from convsim_core.judging import KeywordJudge
from convsim_core.models import Intent, MessageDraft, Outcome, Outcomes, ParticipantRole
from convsim_core.offline.scripted import ScriptedParticipant
from convsim_core.persistence import TranscriptSink, TranscriptWriter
from convsim_core.runners.base import Runner, RunnerServices
from convsim_core.runners.full import FullSimulationRunner
from convsim_core.termination import AnyOf, ClosingPhrases
from convsim_core.timing import HumanTypingDelay
from tui.clock import FrozenClock
from tui.run_source import PreparedRunSource, RunHooks, ScenarioInfo, seat_full_runner
from tui.settings import ViewSettings

BASE_TIMESTAMP = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)

SUPPORT_OUTCOMES = Outcomes(
    (
        Outcome("resolved", "The customer's problem was solved."),
        Outcome("escalated", "The case went to a supervisor."),
        Outcome("abandoned", "The customer gave up."),
    )
)

CUSTOMER_TURNS = (
    "It's **dana@example.com**.",
    "The invoice is `INV-20931`.",
    "Yes please, refund it to the card.",
    "Great, thanks. Goodbye!",
)
AGENT_TURNS = (
    "Hi, I'm Sam from billing. Which email is on the account?",
    "Thanks! I can see two charges of $24.00:\n\n- March 3, 09:12\n- March 3, 09:13\n\n"
    "Shall I refund the second one?",
    "Done: the duplicate payment has been refunded. You'll see it within 3-5 days.",
    "You're welcome, have a nice day!",
)


SCRIPTED_CUES = (("resolved", ("has been refunded",)), ("escalated", ("supervisor",)))
"""The keyword judge of :func:`scripted_source`, as the agent's brief lists it."""


def snapshot_settings(**changes: object) -> ViewSettings:
    """Settings that make a screen reproducible: frozen clock, UTC, no blink, no autostart."""
    base: dict[str, object] = {
        "clock": FrozenClock(),
        "tz": UTC,
        "autostart": False,
        "cursor_blink": False,
        "animations": False,
        "freeze_gc": False,
        "show_transcript_path": False,
    }
    base.update(changes)
    return ViewSettings(**base)  # type: ignore[arg-type]


def scripted_info(
    max_messages: int = 12, title: str = "Refund for a double charge"
) -> ScenarioInfo:
    return ScenarioInfo(
        title=title,
        outcomes=SUPPORT_OUTCOMES,
        max_messages=max_messages,
        name="scripted-refund",
        intent="Get the duplicate March payment refunded.",
        customer_persona="Dana, a calm small-business owner who needs a receipt.",
        agent_persona="Sam, a friendly billing specialist.",
        customer_facts=(("email", "dana@example.com"), ("invoice", "INV-20931")),
        agent_facts=(("amount", "$24.00"), ("charged", "March 3, twice")),
        judge_cues=SCRIPTED_CUES,
    )


def scripted_source(
    *,
    customer_turns: Sequence[str] = CUSTOMER_TURNS,
    agent_turns: Sequence[str] = AGENT_TURNS,
    opening: str = "Hi, I was charged twice for March. Can I get one payment refunded?",
    max_messages: int = 12,
    transcript_path: Path | None = None,
    info: ScenarioInfo | None = None,
) -> PreparedRunSource:
    """A full simulation of fixed scripts with a keyword judge and closing phrases."""
    info = info or scripted_info(max_messages)

    def build(hooks: RunHooks) -> FullSimulationRunner:
        transcript: TranscriptSink = (
            TranscriptWriter(transcript_path) if transcript_path is not None else TranscriptSink()
        )
        judge = KeywordJudge.from_phrases(
            {outcome: list(phrases) for outcome, phrases in SCRIPTED_CUES},
            sender=ParticipantRole.AGENT,
        )
        return FullSimulationRunner(
            customer=ScriptedParticipant(ParticipantRole.CUSTOMER, customer_turns),
            agent=ScriptedParticipant(ParticipantRole.AGENT, agent_turns),
            initial_message=MessageDraft(opening, ParticipantRole.CUSTOMER),
            intent=Intent(ParticipantRole.CUSTOMER, info.intent),
            outcomes=info.outcomes,
            max_messages=max_messages,
            base_timestamp=BASE_TIMESTAMP,
            progress_callback=hooks.progress_callback,
            services=RunnerServices(
                judge=judge,
                termination=AnyOf((ClosingPhrases(),)),
                transcript=transcript,
                event_callback=hooks.event_callback,
                seed=hooks.seed,
                header={"scenario": info.name},
            ),
            typing_delay=HumanTypingDelay(seed=hooks.seed),
            pacer=hooks.pacer,
        )

    def build_seated(hooks: RunHooks) -> Runner:
        return seat_full_runner(build(hooks), hooks.seats)

    return PreparedRunSource(
        info, build_seated, transcript_path=transcript_path, seatable=frozenset(ParticipantRole)
    )


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], *, within: float = 10.0
) -> None:
    """Let the app run until ``condition()`` holds; fails the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await pilot.pause(0.02)
    await asyncio.sleep(0)
