"""Many hybrid conversations at once through one channel: no message lost, duplicated or misrouted.

A small, in-process version of ``benchmarks/bench_hybrid.py``: 30 builtin-demo conversations run
concurrently against the demo bot on 127.0.0.1, over a multiplexed WebSocket, one WebSocket per
session and the sync JSON webhook. The bot records, per session, every text it heard and every
reply it put on the wire; each conversation's transcript must match that record exactly, and
every chat must end by itself with an outcome (no timeout, error or limit).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from benchmarks.bench_hybrid import (
    MODES,
    RecordingTurns,
    audit,
    bench_timing,
    demo_profile,
    natural_end,
    recording_bot,
    run_conversations,
)
from channels.demo_bot import DemoBotServer
from channels.factory import make_channel
from channels.websocket import WebSocketChannel
from convsim_core.models import (
    Conversation,
    ConversationResult,
    Message,
    Outcome,
    ParticipantRole,
    TerminationReason,
)
from tests.support.timeouts import MS, TIMEOUT

CONVERSATIONS = 30
A, C = ParticipantRole.AGENT, ParticipantRole.CUSTOMER


@pytest.fixture
async def bot() -> AsyncIterator[tuple[DemoBotServer, RecordingTurns]]:
    server, turns = recording_bot()
    async with server:
        yield server, turns


@pytest.mark.parametrize("mode", MODES)
async def test_concurrent_conversations_lose_and_duplicate_nothing(
    bot: tuple[DemoBotServer, RecordingTurns], mode: str
) -> None:
    server, turns = bot
    channel = make_channel(demo_profile(mode, server.url))
    timing = bench_timing(settle=0.05, timeout=TIMEOUT * 2)
    try:
        runs = await asyncio.wait_for(
            run_conversations(channel, CONVERSATIONS, timing), TIMEOUT * 4
        )
    finally:
        await channel.close()
    await asyncio.sleep(50 * MS)  # a reply still being recorded by the bot after its write

    session_ids = [session_id for session_id, _ in runs]
    assert None not in session_ids and len(set(session_ids)) == CONVERSATIONS
    results = [result for _, result in runs]
    for result in results:
        assert natural_end(result), (result.termination_reason, result.termination_detail)
        assert result.conversation.outcome is not None
        assert result.conversation.outcome.name == "resolved"
        assert sum(m.sender is C for m in result.conversation.messages) >= 3
    ledger = turns.snapshot()
    assert audit(runs, ledger).clean, audit(runs, ledger)
    sent = sum(m.sender is C for r in results for m in r.conversation.messages)
    recorded = sum(m.sender is A for r in results for m in r.conversation.messages)
    assert sum(server.received_for(sid) for sid in session_ids if sid) == sent
    assert sum(len(ledger["said"][sid]) for sid in session_ids if sid) == recorded
    if mode == "ws-conn":
        assert server.ws_connections == CONVERSATIONS
    if mode == "ws-mux":
        assert server.ws_connections == 1
        assert isinstance(channel, WebSocketChannel) and channel.multiplexed


def _result(*messages: tuple[ParticipantRole, str]) -> ConversationResult:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    conversation = Conversation(
        messages=tuple(
            Message(text, start + timedelta(seconds=i), sender)
            for i, (sender, text) in enumerate(messages)
        ),
        outcome=Outcome("resolved", "done"),
    )
    return ConversationResult(conversation, termination_reason=TerminationReason.CLOSING_PHRASE)


def test_the_audit_counts_every_kind_of_mismatch() -> None:
    """The zero above means something: each fault is counted where it happened."""
    runs = [
        ("s1", _result((C, "hi"), (A, "hello"), (C, "bye"))),
        ("s2", _result((C, "hi"), (A, "one"), (A, "two"))),
        ("s3", _result((C, "a"), (C, "b"))),
        (None, _result((C, "hi"))),
    ]
    ledger: dict[str, Any] = {
        "received": {"s1": 1, "s2": 2, "s3": 2},
        # s1: the bot never got "bye"; s2: the bot got "hi" twice; s3: out of order
        "heard": {"s1": ["hi"], "s2": ["hi", "hi"], "s3": ["b", "a"]},
        # s1: "ciao" never reached the transcript; s2: "two" was recorded but never sent
        "said": {"s1": ["hello", "ciao"], "s2": ["one"]},
    }
    result = audit(runs, ledger)
    assert (result.customer.lost, result.customer.duplicated) == (1, 1)
    assert (result.agent.lost, result.agent.duplicated) == (1, 1)
    assert result.reordered == 1
    assert result.count_mismatches == 0
    assert result.unmatched == 1
    assert not result.clean
    ledger["received"]["s1"] = 2  # the bot counted a message it never handled
    assert audit(runs[:1], ledger).count_mismatches == 1


def test_a_timeout_is_not_a_natural_end() -> None:
    ended = _result((C, "hi"), (A, "hello"))
    assert natural_end(ended)
    timed_out = ConversationResult(
        ended.conversation, termination_reason=TerminationReason.AGENT_TIMEOUT
    )
    assert not natural_end(timed_out)
