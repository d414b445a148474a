"""Play mode's channel on its own and under the hybrid runner, with a scripted "person"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import attrs
import pytest

from channels.terminal import TerminalChannel, TerminalSession
from convsim_core import (
    ChannelError,
    ChannelState,
    Message,
    MessageDraft,
    Outcomes,
    ParticipantRole,
    RunnerServices,
    TerminationReason,
)
from convsim_core.events import ChannelStateChanged, MessageAdded, TypingStarted
from convsim_core.offline.scripted import ScriptedParticipant
from convsim_core.runners.hybrid import HybridSimulationRunner, HybridTiming
from convsim_core.timing import TypingDelay
from tests.support.timeouts import MS, TIMEOUT

A, C = ParticipantRole.AGENT, ParticipantRole.CUSTOMER
TIMING = HybridTiming(
    settle_seconds=50 * MS, response_timeout=2000 * MS, inactivity_timeout=2000 * MS
)


async def until(condition: Callable[[], bool], seconds: float = TIMEOUT) -> None:
    """Poll a condition the code under test has no event for; fail after ``seconds``."""
    for _ in range(int(seconds / (5 * MS))):
        if condition():
            return
        await asyncio.sleep(5 * MS)
    raise AssertionError("condition not met in time")


async def take(session: TerminalSession, count: int) -> list[Message]:
    got: list[Message] = []
    async for message in session.subscribe():
        got.append(message)
        if len(got) == count:
            break
    return got


async def test_submitted_messages_come_out_of_subscribe_in_order() -> None:
    channel = TerminalChannel()
    session = await channel.create_session()
    await session.submit("Hello!")
    await session.submit("How can I help?")
    got = await asyncio.wait_for(take(session, 2), TIMEOUT)
    assert [m.content for m in got] == ["Hello!", "How can I help?"]
    assert {m.sender for m in got} == {A}
    assert all(m.timestamp.tzinfo is not None for m in got)


async def test_end_finishes_subscribe_after_the_rest_is_delivered() -> None:
    session = await TerminalChannel().create_session()
    await session.submit("Sorry, we are closing.")
    await session.end()

    async def drain() -> list[str]:
        return [m.content async for m in session.subscribe()]

    assert await asyncio.wait_for(drain(), TIMEOUT) == ["Sorry, we are closing."]
    assert session.ended
    with pytest.raises(ChannelError, match="ended"):
        await session.submit("one more thing")
    # a customer who finished typing as the person left is not an error; nobody reads it
    await session.send(Message("are you there?", session_time(), C))
    assert session.customer_messages == ()


def session_time() -> datetime:
    return datetime.now(UTC)


async def test_send_records_customer_messages_and_tells_the_ui() -> None:
    session = await TerminalChannel().create_session()
    seen: list[str] = []
    session.on_customer_message = lambda m: seen.append(m.content)
    await session.send(Message("I was charged twice", session_time(), C))
    await session.submit("Let me check that.")
    assert seen == ["I was charged twice"]
    assert [m.content for m in session.customer_messages] == ["I was charged twice"]
    conversation = await session.get_conversation()
    assert [(m.sender, m.content) for m in conversation.messages] == [
        (C, "I was charged twice"),
        (A, "Let me check that."),
    ]


async def test_final_submit_reports_the_turn_complete_and_blank_text_is_refused() -> None:
    session = await TerminalChannel().create_session()
    turns: list[bool] = []
    session.on_turn_complete = lambda: turns.append(True)
    await session.submit("first", final=False)
    await session.submit("second", final=True)
    await asyncio.wait_for(take(session, 2), TIMEOUT)
    await asyncio.sleep(0)
    assert turns == [True]
    with pytest.raises(ValueError, match="text"):
        await session.submit("   ")


async def test_sessions_are_distinct_and_closing_the_channel_ends_them() -> None:
    channel = TerminalChannel()
    first, second = await channel.create_session(), await channel.create_session()
    assert first.session_id != second.session_id
    states: list[ChannelState] = []
    first.on_state_change = lambda state, detail: states.append(state)
    await channel.close()
    assert first.ended and second.ended
    assert states == [ChannelState.CLOSED]
    await channel.close()  # twice is fine


def make_runner(
    channel: TerminalChannel, turns: list[str], events: list[object]
) -> HybridSimulationRunner:
    return HybridSimulationRunner(
        ScriptedParticipant(C, turns),
        channel,
        MessageDraft("Hi, my order never arrived.", C),
        None,
        Outcomes(()),
        services=RunnerServices(event_callback=events.append),
        timing=TIMING,
    )


async def test_a_person_plays_the_agent_and_ends_the_chat() -> None:
    channel = TerminalChannel()
    events: list[object] = []
    runner = make_runner(channel, ["It's order 1234.", "Thanks!"], events)
    task = asyncio.create_task(runner.run())

    def customer_said(count: int) -> Callable[[], bool]:
        return lambda: (
            sum(isinstance(e, MessageAdded) and e.message.sender is C for e in events) >= count
        )

    await until(customer_said(1))
    session = channel.sessions[0]
    await session.submit("Sorry to hear that!")
    await session.submit("What's the order number?", final=True)
    await until(customer_said(2))
    await session.submit("Found it, it ships today.")
    await until(customer_said(3))
    await session.end()
    result = await asyncio.wait_for(task, TIMEOUT)

    assert [(m.sender, m.content) for m in result.conversation.messages] == [
        (C, "Hi, my order never arrived."),
        (A, "Sorry to hear that!"),
        (A, "What's the order number?"),
        (C, "It's order 1234."),
        (A, "Found it, it ships today."),
        (C, "Thanks!"),
    ]
    assert result.termination_reason is TerminationReason.PARTICIPANT_FINISHED
    assert result.termination_detail == "agent ended the conversation"
    assert [m.content for m in session.customer_messages][-1] == "Thanks!"
    states = [e.state for e in events if isinstance(e, ChannelStateChanged)]
    assert states == [ChannelState.CONNECTING, ChannelState.CONNECTED, ChannelState.CLOSED]


async def test_ending_while_the_customer_types_is_a_normal_finish() -> None:
    channel = TerminalChannel()
    events: list[object] = []
    runner = HybridSimulationRunner(
        ScriptedParticipant(C, ["It's order 1234."]),
        channel,
        MessageDraft("Hi, my order never arrived.", C),
        None,
        Outcomes(()),
        services=RunnerServices(event_callback=events.append),
        timing=attrs.evolve(TIMING, typing_delay=_Fixed(0.2)),
    )
    task = asyncio.create_task(runner.run())
    await until(lambda: bool(channel.sessions and runner.conversation.messages))
    session = channel.sessions[0]
    await session.submit("Order number?")
    await until(lambda: TypingStarted(C) in events)
    await session.end()
    result = await asyncio.wait_for(task, TIMEOUT)
    assert result.termination_reason is TerminationReason.PARTICIPANT_FINISHED
    assert result.termination_detail == "agent ended the conversation"
    assert result.error is None


class _Fixed(TypingDelay):
    def __init__(self, seconds: float) -> None:
        self.value = seconds

    def seconds(self, role: ParticipantRole, reply: str, read: str) -> float:
        return self.value
