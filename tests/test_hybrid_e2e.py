"""Hybrid runs end to end: a scenario's offline customer against the real demo bot on 127.0.0.1.

Every supported way of reaching the bot is exercised (WebSocket JSON and plain text, sync and
callback webhooks, Rasa REST, Bot Framework); the customer must reach the scenario's outcome
through the real wire, and every message must land in the transcript in order.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from channels import make_channel, profile_for_url
from channels.demo_bot import DemoBotServer
from convsim_core import ChannelState, ParticipantRole, TerminationReason
from convsim_core.events import ChannelStateChanged, TypingStarted
from convsim_core.hybrid_builder import (
    MAX_TYPING_SECONDS,
    ScaledTypingDelay,
    build_hybrid_runner,
    hybrid_timing,
)
from convsim_core.persistence import TranscriptWriter, read_transcript
from convsim_core.runners.hybrid import HybridTiming
from convsim_core.scenario import builtin_scenario, parse_scenario
from convsim_core.scenario_models import Scenario
from convsim_core.timing import NoDelay
from tests.support.refund_scenario import refund_toml
from tests.support.timeouts import MS, TIMEOUT

A, C = ParticipantRole.AGENT, ParticipantRole.CUSTOMER

REFUND_TOML = refund_toml()


def refund_scenario(**termination: Any) -> Scenario:
    data = tomllib.loads(REFUND_TOML)
    data["termination"].update(termination)
    return parse_scenario(data, source="<test refund>")


@pytest.fixture
async def bot() -> AsyncIterator[DemoBotServer]:
    async with DemoBotServer() as server:
        yield server


# (kind, preset, response_mode): every protocol the demo bot speaks
WIRES = [
    ("websocket", "demo-ws", None),
    ("websocket", "plain-ws", None),
    ("webhook", "generic-json", "sync"),
    ("webhook", "generic-json", "callback"),
    ("webhook", "rasa-rest", None),
    ("webhook", "botframework", None),
]


@pytest.mark.parametrize(
    ("kind", "preset", "mode"), WIRES, ids=[w[1] + (w[2] or "") for w in WIRES]
)
async def test_offline_customer_reaches_the_outcome_over_every_wire(
    bot: DemoBotServer, tmp_path: Path, kind: str, preset: str, mode: str | None
) -> None:
    url = ("ws" + bot.url.removeprefix("http")) if kind == "websocket" else bot.url
    base = {"response_mode": mode} if mode else None
    profile = profile_for_url(url, kind=kind, preset=preset, base=base)
    channel = make_channel(profile)
    path = tmp_path / "t.jsonl"
    events: list[object] = []
    runner = build_hybrid_runner(
        refund_scenario(),
        channel,
        transcript=TranscriptWriter(path),
        event_callback=events.append,
        use_llm=False,
    )
    try:
        result = await asyncio.wait_for(runner.run(), TIMEOUT * 3)
    finally:
        await channel.close()

    assert result.error is None, result.error
    assert result.termination_reason is TerminationReason.OUTCOME_REACHED
    assert result.conversation.outcome is not None
    assert result.conversation.outcome.name == "resolved"
    messages = result.conversation.messages
    assert messages[0].sender is C and messages[0].content.startswith("Hi, I was charged twice")
    assert "refunded" in messages[-1].content and messages[-1].sender is A
    # the customer answered the bot's question with its fact, after the bot's burst
    answers = [m.content for m in messages if m.sender is C]
    assert any("dana.whitfield@example.com" in text for text in answers)
    assert [m.timestamp for m in messages] == sorted(m.timestamp for m in messages)
    assert bot.received_for(next(iter(bot.received))) == len(answers)
    saved = read_transcript(path)
    assert saved.messages == messages
    assert saved.result == result
    assert saved.header["agent_kind"] == "real"
    states = [e.state for e in events if isinstance(e, ChannelStateChanged)]
    assert states[0] is ChannelState.CONNECTING and ChannelState.CONNECTED in states
    assert states[-1] is ChannelState.CLOSED


async def test_the_builtin_demo_scenario_talks_to_the_demo_bot(bot: DemoBotServer) -> None:
    """The no-arguments demo path: builtin scenario, demo bot over WebSocket, fast timing."""
    channel = make_channel(profile_for_url(bot.ws_url, kind="ws", preset="demo-ws"))
    timing = HybridTiming(
        settle_seconds=50 * MS,
        response_timeout=3000 * MS,
        inactivity_timeout=3000 * MS,
        max_wall_time=20000 * MS,
    )
    runner = build_hybrid_runner(builtin_scenario("demo"), channel, use_llm=False, timing=timing)
    try:
        result = await asyncio.wait_for(runner.run(), TIMEOUT * 4)
    finally:
        await channel.close()
    assert result.error is None
    senders = [m.sender for m in result.conversation.messages]
    assert senders[0] is C and senders.count(C) >= 2
    # the bot refunded in its own words, the scenario's keyword judge recognised it, and the
    # chat ended the way a real one does rather than by a limit
    assert result.conversation.outcome is not None
    assert result.conversation.outcome.name == "resolved"
    assert result.termination_reason in (
        TerminationReason.CLOSING_PHRASE,
        TerminationReason.OUTCOME_REACHED,
        TerminationReason.PARTICIPANT_FINISHED,
    )


async def test_slow_bot_is_an_agent_timeout_over_websocket_and_webhook(tmp_path: Path) -> None:
    async with DemoBotServer(slow_seconds=1500 * MS) as slow:
        for url, kind in ((slow.ws_url, "ws"), (slow.url + "/webhook", "webhook")):
            channel = make_channel(profile_for_url(url, kind=kind))
            runner = build_hybrid_runner(
                refund_scenario(response_timeout=300 * MS), channel, use_llm=False
            )
            started = asyncio.get_running_loop().time()
            try:
                result = await asyncio.wait_for(runner.run(), TIMEOUT)
            finally:
                await channel.close()
            assert result.termination_reason is TerminationReason.AGENT_TIMEOUT, kind
            assert result.termination_detail == f"the agent did not answer within {300 * MS:g} s"
            assert asyncio.get_running_loop().time() - started < 1.5  # before the bot spoke
            assert [m.sender for m in result.conversation.messages] == [C]


async def test_bursts_are_answered_once_per_bot_turn(bot: DemoBotServer) -> None:
    async with DemoBotServer(burst=3) as bursty:
        channel = make_channel(profile_for_url(bursty.ws_url, kind="ws", preset="demo-ws"))
        events: list[object] = []
        runner = build_hybrid_runner(
            refund_scenario(), channel, use_llm=False, event_callback=events.append
        )
        try:
            result = await asyncio.wait_for(runner.run(), TIMEOUT * 2)
        finally:
            await channel.close()
    senders = [m.sender for m in result.conversation.messages]
    # customer, three bot messages, customer, three bot messages...
    assert senders[:5] == [C, A, A, A, C]
    customer_turns = senders.count(C)
    assert bursty.received_for(next(iter(bursty.received))) == customer_turns
    assert sum(1 for e in events if e == TypingStarted(C)) >= customer_turns - 1
    assert result.termination_reason is TerminationReason.OUTCOME_REACHED


def test_scenario_timing_becomes_the_hybrid_timing() -> None:
    scenario = refund_scenario(
        settle_seconds=500 * MS, response_timeout=4000 * MS, typing_delay=True
    )
    timing = hybrid_timing(scenario, seed=1)
    assert timing.settle_seconds == 500 * MS
    assert timing.response_timeout == 4000 * MS
    assert timing.inactivity_timeout == 3000 * MS  # refund_toml's
    assert timing.max_wall_time == 30_000 * MS
    assert isinstance(timing.typing_delay, ScaledTypingDelay)
    # scaled well below a human's pace and capped
    delay = timing.typing_delay.seconds(C, "x" * 2000, "word " * 500)
    assert delay == MAX_TYPING_SECONDS
    short = timing.typing_delay.seconds(C, "It's dana@example.com.", "What's your email?")
    assert 0 < short < 3
    assert isinstance(hybrid_timing(refund_scenario(), seed=1).typing_delay, NoDelay)


def test_builder_wires_the_scenario_into_the_runner(bot: DemoBotServer) -> None:
    scenario = refund_scenario()
    channel = make_channel(profile_for_url("ws://127.0.0.1:9/ws", kind="ws"))
    runner = build_hybrid_runner(scenario, channel, seed=11, use_llm=False)
    assert runner.channel is channel
    assert runner.intent == scenario.intent
    assert runner.initial_message == scenario.initial_message
    assert runner.max_messages == 20
    assert runner.services.seed == 11
    assert runner.services.header["agent_kind"] == "real"
    assert runner.services.header["scenario"] == scenario.name
    assert runner.intent_inferer is None  # the scenario has an intent, and we are offline
    assert runner.timing.settle_seconds == 50 * MS  # refund_toml's


def test_without_an_intent_an_llm_configured_run_gets_an_inferer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = tomllib.loads(REFUND_TOML)
    del data["intents"]
    scenario = parse_scenario(data, source="<no intent>")
    assert scenario.intent is None
    channel = make_channel(profile_for_url("ws://127.0.0.1:9/ws", kind="ws"))
    offline = build_hybrid_runner(scenario, channel, use_llm=False)
    assert offline.intent is None and offline.intent_inferer is None
    monkeypatch.setenv(scenario.llm.api_key_env, "sk-test")
    with_llm = build_hybrid_runner(scenario, channel)
    assert with_llm.intent_inferer is not None
