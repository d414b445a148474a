"""LLM completion check, goal checker and intent inference against a local server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from convsim_core.llm import (
    COMPLETION_SCHEMA_NAME,
    GOAL_SCHEMA_NAME,
    LLMCompletionCheck,
    LLMGoalChecker,
    LLMSettings,
    infer_intent,
    make_chat_model,
)
from convsim_core.models import (
    Conversation,
    Intent,
    Message,
    Outcomes,
    ParticipantRole,
    TerminationReason,
)
from convsim_core.termination import GoalCompletion, TurnState
from convsim_core.usage import UsageMeter
from tests.support.openai_server import (
    OpenAIServer,
    isolated_llm,
    last_user_text,
    structured_output_name,
    structured_output_schema,
    system_text,
)

CUSTOMER = ParticipantRole.CUSTOMER
AGENT = ParticipantRole.AGENT
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
LINES = [
    (CUSTOMER, "Hi, I need to change my delivery address."),
    (AGENT, "Sure, what's the new address?"),
    (CUSTOMER, "12 Elm Street, Springfield"),
    (AGENT, "Updated! Anything else?"),
    (CUSTOMER, "no that's all, thanks"),
]
INTENT = Intent(CUSTOMER, "Change the delivery address of an open order.")


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


def _chat(count: int) -> Conversation:
    return Conversation(
        tuple(
            Message(text, T0 + timedelta(seconds=i), role)
            for i, (role, text) in enumerate(LINES[:count])
        )
    )


def _state(conversation: Conversation, intent: Intent | None = INTENT) -> TurnState:
    return TurnState(
        conversation=conversation,
        outcomes=Outcomes(()),
        intent=intent,
        judgement=None,
        max_messages=50,
    )


def _model(server: OpenAIServer) -> Any:
    settings = LLMSettings(base_url=server.base_url, max_retries=0, cache_path="off")
    return make_chat_model(settings, temperature=0)


def _complete_when_thanked(request: dict[str, Any]) -> dict[str, Any]:
    assert structured_output_name(request) == COMPLETION_SCHEMA_NAME
    done = "thanks" in last_user_text(request)
    return {"complete": done, "reason": "customer said thanks" if done else "still open"}


async def test_completion_check_ends_when_the_model_says_complete() -> None:
    meter = UsageMeter()
    async with OpenAIServer(responder=_complete_when_thanked) as server:
        check = LLMCompletionCheck(_model(server), usage=meter)
        too_early = await check.check(_state(_chat(3)))
        open_chat = await check.check(_state(_chat(4)))
        finished = await check.check(_state(_chat(5)))

    assert too_early is None  # under min_messages: no call at all
    assert open_chat is None
    assert finished is not None
    assert finished.reason is TerminationReason.LLM_JUDGEMENT
    assert finished.detail == "customer said thanks"
    assert len(server.requests) == 2
    schema = structured_output_schema(server.requests[0])
    assert schema is not None and schema["required"] == ["complete", "reason"]
    assert "[5] Customer: no that's all, thanks" in last_user_text(server.requests[1])
    assert meter.total.llm_calls == 2


async def test_completion_check_can_be_limited_to_agent_messages() -> None:
    async with OpenAIServer(responder=_complete_when_thanked) as server:
        check = LLMCompletionCheck(_model(server), min_messages=2, after={AGENT})
        assert await check.check(_state(_chat(3))) is None  # after a customer message: skipped
        assert await check.check(_state(_chat(4))) is None
    assert len(server.requests) == 1
    question = last_user_text(server.requests[0])
    assert "[4] Agent: Updated! Anything else?" in question
    assert "[5]" not in question


async def test_completion_check_treats_garbage_as_not_complete() -> None:
    async with OpenAIServer(responder=lambda r: "yes it is done") as server:
        check = LLMCompletionCheck(_model(server))
        assert await check.check(_state(_chat(5))) is None
    assert len(server.requests) == 1


def _goal_answer(request: dict[str, Any]) -> dict[str, Any]:
    assert structured_output_name(request) == GOAL_SCHEMA_NAME
    done = "Updated!" in last_user_text(request)
    return {"satisfied": done, "reason": "address updated" if done else "not yet"}


async def test_goal_checker_through_goal_completion() -> None:
    async with OpenAIServer(responder=_goal_answer) as server:
        checker = LLMGoalChecker(_model(server))
        strategy = GoalCompletion(checker)
        assert await checker.is_satisfied(_chat(1), INTENT) == (False, "")  # no agent yet
        assert await strategy.check(_state(_chat(2))) is None
        done = await strategy.check(_state(_chat(4)))
        assert await strategy.check(_state(_chat(4), intent=None)) is None

    assert done is not None
    assert done.reason is TerminationReason.GOAL_COMPLETED
    assert done.detail == "address updated"
    assert len(server.requests) == 2
    question = last_user_text(server.requests[0])
    assert "Change the delivery address of an open order." in question
    assert "[2] Agent: Sure, what's the new address?" in question


async def test_infer_intent_returns_the_models_sentence() -> None:
    meter = UsageMeter()
    answer = '  "Change the delivery address\nof their order."  '
    async with OpenAIServer(responder=lambda r: answer) as server:
        intent = await infer_intent(_model(server), _chat(3), usage=meter)
        empty = await infer_intent(_model(server), Conversation(()))
    assert intent == "Change the delivery address of their order."
    assert empty == ""
    [request] = server.requests
    assert "what the customer wants" in system_text(request)
    assert "[3] Customer: 12 Elm Street, Springfield" in last_user_text(request)
    assert meter.total.llm_calls == 1
