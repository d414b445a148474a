"""LLMParticipant with the real ChatOpenAI client against a local OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from convsim_core.llm import LLMParticipant, LLMSettings, make_chat_model
from convsim_core.llm.participant import clean_reply
from convsim_core.models import Conversation, Intent, Message, ParticipantRole
from convsim_core.usage import UsageMeter
from tests.support.openai_server import (
    OpenAIServer,
    isolated_llm,
    last_user_text,
    roles,
    system_text,
)
from tests.support.timeouts import TIMEOUT

CUSTOMER = ParticipantRole.CUSTOMER
AGENT = ParticipantRole.AGENT
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


def _settings(server: OpenAIServer) -> LLMSettings:
    return LLMSettings(
        base_url=server.base_url, max_retries=0, timeout_seconds=TIMEOUT, cache_path="off"
    )


def _conversation(*turns: tuple[ParticipantRole, str]) -> Conversation:
    return Conversation(
        tuple(
            Message(content=text, timestamp=T0 + timedelta(seconds=i), sender=role)
            for i, (role, text) in enumerate(turns)
        )
    )


INTENTS = (
    Intent(CUSTOMER, "Get a refund for a double charge on the March invoice."),
    Intent(AGENT, "Keep the customer subscribed if possible."),
)
HISTORY = _conversation(
    (CUSTOMER, "Hi, I was charged twice this month."),
    (AGENT, "Sorry to hear that! Can you give me your account email?"),
    (CUSTOMER, "sure, it's maria@example.com"),
    (AGENT, "Thanks, I can see both charges."),
)


async def test_customer_prompt_and_point_of_view() -> None:
    async with OpenAIServer(responder=lambda r: "So can I get my money back?") as server:
        customer = LLMParticipant(
            CUSTOMER,
            make_chat_model(_settings(server)),
            persona="Maria, 34, impatient small-business owner",
            intents=INTENTS,
            facts={"account email": "maria@example.com", "plan": "Pro monthly"},
        )
        reply = await customer.get_next_message(HISTORY)

    assert reply is not None
    assert reply.content == "So can I get my money back?"
    assert reply.sender is CUSTOMER
    [request] = server.requests
    assert request["model"] == "gpt-4o-mini"
    assert request["temperature"] == 0.7
    # The customer's own lines are the assistant's; the agent's are the user's.
    assert roles(request) == ["system", "assistant", "user", "assistant", "user"]
    contents = [m["content"] for m in request["messages"][1:]]
    assert contents == [m.content for m in HISTORY.messages]
    system = system_text(request)
    assert "Maria, 34, impatient small-business owner" in system
    assert "Get a refund for a double charge on the March invoice." in system
    assert "Keep the customer subscribed" not in system  # the agent's intent stays private
    assert "account email: maria@example.com" in system
    assert "customer" in system.lower() and "[END]" in system
    assert "short messages" in system


async def test_agent_prompt_and_point_of_view() -> None:
    async with OpenAIServer(responder=lambda r: "I've issued the refund.") as server:
        agent = LLMParticipant(
            AGENT,
            make_chat_model(_settings(server)),
            persona="Sam from Acme billing support",
            intents=INTENTS,
            facts={"refund policy": "duplicate charges are refunded in 5 days"},
            instructions="Always mention the ticket number T-1.",
        )
        reply = await agent.get_next_message(HISTORY)

    assert reply is not None and reply.sender is AGENT
    assert reply.content == "I've issued the refund."
    [request] = server.requests
    assert roles(request) == ["system", "user", "assistant", "user", "assistant"]
    assert last_user_text(request) == "sure, it's maria@example.com"
    system = system_text(request)
    assert "customer-service agent" in system
    assert "Sam from Acme billing support" in system
    assert "Keep the customer subscribed if possible." in system
    assert "Get a refund for a double charge" not in system
    assert "refund policy: duplicate charges are refunded in 5 days" in system
    assert "Always mention the ticket number T-1." in system


async def test_opening_turn_gets_a_user_message() -> None:
    async with OpenAIServer(responder=lambda r: "hello?") as server:
        customer = LLMParticipant(CUSTOMER, make_chat_model(_settings(server)), persona="Bo")
        reply = await customer.get_next_message(Conversation(()))
    assert reply is not None and reply.content == "hello?"
    assert roles(server.requests[0]) == ["system", "user"]
    assert "first message" in last_user_text(server.requests[0])


@pytest.mark.parametrize("answer", ["[END]", "  [end]\n", "", "   ", "Customer: [END]"])
async def test_end_marker_or_empty_answer_finishes(answer: str) -> None:
    async with OpenAIServer(responder=lambda r: answer) as server:
        customer = LLMParticipant(CUSTOMER, make_chat_model(_settings(server)), persona="Bo")
        assert await customer.get_next_message(HISTORY) is None
    assert len(server.requests) == 1


async def test_usage_is_metered_per_turn() -> None:
    meter = UsageMeter()
    async with OpenAIServer(responder=lambda r: "one two three") as server:
        agent = LLMParticipant(
            AGENT, make_chat_model(_settings(server)), persona="Sam", usage=meter
        )
        await agent.get_next_message(HISTORY)
        await agent.get_next_message(HISTORY.with_message(HISTORY.messages[0]))
    assert meter.total.llm_calls == 2
    assert meter.total.completion_tokens == 6
    assert meter.total.prompt_tokens == sum(u["prompt_tokens"] for u in server.usages) > 0
    assert meter.total.cache_hits == 0


@pytest.mark.parametrize(
    ("raw", "role", "expected"),
    [
        ("Agent: Sure, one moment.", AGENT, "Sure, one moment."),
        ("**Agent:** Sure.", AGENT, "Sure."),
        ("Customer: ok thanks", CUSTOMER, "ok thanks"),
        ('"ok thanks"', CUSTOMER, "ok thanks"),
        ("Thanks, bye! [END]", CUSTOMER, "Thanks, bye!"),
        ("my order is late\nAgent: I can help with that.", CUSTOMER, "my order is late"),
        ("Agent doing fine: yes", AGENT, "Agent doing fine: yes"),
        ("<END>", AGENT, None),
    ],
)
def test_clean_reply(raw: str, role: ParticipantRole, expected: str | None) -> None:
    assert clean_reply(raw, role) == expected


async def test_prefix_stripped_from_model_output() -> None:
    async with OpenAIServer(responder=lambda r: "Agent: Let me check that for you.") as server:
        agent = LLMParticipant(AGENT, make_chat_model(_settings(server)), persona="Sam")
        reply = await agent.get_next_message(HISTORY)
    assert reply is not None and reply.content == "Let me check that for you."


def _echo_turn(request: dict[str, Any]) -> str:
    return f"turn {len(request['messages'])}"


async def test_model_settings_reach_the_request() -> None:
    async with OpenAIServer(responder=_echo_turn) as server:
        settings = LLMSettings(
            model="my-model", base_url=server.base_url, temperature=0.2, cache_path="off"
        )
        model = make_chat_model(settings, temperature=0.0, seed=7)
        customer = LLMParticipant(CUSTOMER, model, persona="Bo")
        reply = await customer.get_next_message(HISTORY)
    assert reply is not None and reply.content == "turn 5"
    [request] = server.requests
    assert request["model"] == "my-model"
    assert request["temperature"] == 0.0
    assert request["seed"] == 7
