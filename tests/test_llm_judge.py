"""LLMOutcomeJudge: structured output against a local OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from convsim_core.llm import (
    INCONCLUSIVE,
    JUDGE_SCHEMA_NAME,
    NONE_YET,
    LLMOutcomeJudge,
    LLMSettings,
    make_chat_model,
)
from convsim_core.models import (
    Conversation,
    Intent,
    Judgement,
    Message,
    Outcome,
    Outcomes,
    ParticipantRole,
)
from convsim_core.usage import UsageMeter
from tests.support.openai_server import (
    OpenAIServer,
    isolated_llm,
    last_user_text,
    structured_output_name,
    structured_output_schema,
)

CUSTOMER = ParticipantRole.CUSTOMER
AGENT = ParticipantRole.AGENT
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
OUTCOMES = Outcomes(
    (
        Outcome("resolved", "The customer's issue was fully resolved"),
        Outcome("escalated", "The issue was handed to a supervisor"),
    )
)
INTENT = Intent(CUSTOMER, "Get a refund for a double charge.")


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


def _chat(count: int) -> Conversation:
    lines = [
        (CUSTOMER, "I was charged twice."),
        (AGENT, "I see it; refunding the duplicate now."),
        (CUSTOMER, "great, thanks"),
        (AGENT, "Done, you'll see it in 5 days."),
        (CUSTOMER, "perfect, bye"),
        (AGENT, "Bye!"),
    ]
    return Conversation(
        tuple(
            Message(text, T0 + timedelta(seconds=i), role)
            for i, (role, text) in enumerate(lines[:count])
        )
    )


def _judge(server: OpenAIServer, **kwargs: Any) -> LLMOutcomeJudge:
    settings = LLMSettings(base_url=server.base_url, max_retries=0, cache_path="off")
    return LLMOutcomeJudge(make_chat_model(settings, temperature=0), **kwargs)


def _answers(*labels: str) -> Any:
    """A responder giving these labels in order (the last one repeats)."""
    queue = list(labels)

    def respond(request: dict[str, Any]) -> dict[str, str]:
        assert structured_output_name(request) == JUDGE_SCHEMA_NAME
        label = queue.pop(0) if len(queue) > 1 else queue[0]
        return {"outcome": label, "rationale": f"message says {label}"}

    return respond


async def test_judge_requests_the_legal_labels_and_picks_one() -> None:
    meter = UsageMeter()
    async with OpenAIServer(responder=_answers("resolved")) as server:
        judgement = await _judge(server, usage=meter).judge(_chat(4), OUTCOMES, INTENT, None)

    assert judgement.outcome == OUTCOMES.get_outcome_by_name("resolved")
    assert judgement.rationale == "message says resolved"
    assert judgement.message_index == 3
    [request] = server.requests
    assert request["temperature"] == 0.0
    # langchain-openai 1.7 default: json_schema response format, strict, with an enum.
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["strict"] is True
    schema = structured_output_schema(request)
    assert schema is not None
    assert schema["properties"]["outcome"]["enum"] == [
        "resolved",
        "escalated",
        NONE_YET,
        INCONCLUSIVE,
    ]
    question = last_user_text(request)
    assert "resolved: The customer's issue was fully resolved" in question
    assert "Get a refund for a double charge." in question
    assert "[4] Agent: Done, you'll see it in 5 days." in question
    assert meter.total.llm_calls == 1
    assert meter.total.prompt_tokens == server.usages[0]["prompt_tokens"] > 0


async def test_none_yet_is_undecided() -> None:
    async with OpenAIServer(responder=_answers(NONE_YET)) as server:
        judgement = await _judge(server).judge(_chat(2), OUTCOMES, None, None)
    assert judgement.outcome is None
    assert judgement.message_index is None
    assert judgement.rationale == "message says none_yet"
    assert "Intent: not given" in last_user_text(server.requests[0])


async def test_invalid_label_is_retried_once_then_accepted() -> None:
    meter = UsageMeter()
    async with OpenAIServer(responder=_answers("refunded", "resolved")) as server:
        judgement = await _judge(server, usage=meter).judge(_chat(4), OUTCOMES, INTENT, None)
    assert judgement.outcome is not None and judgement.outcome.name == "resolved"
    assert len(server.requests) == 2
    retry = server.requests[1]["messages"]
    assert [m["role"] for m in retry[-2:]] == ["assistant", "user"]
    assert '"refunded"' in retry[-2]["content"]
    assert "must be exactly one of resolved, escalated, none_yet" in retry[-1]["content"]
    assert meter.total.llm_calls == 2


async def test_invalid_label_twice_is_recorded_undecided() -> None:
    async with OpenAIServer(responder=_answers("refunded")) as server:
        judgement = await _judge(server).judge(_chat(4), OUTCOMES, INTENT, None)
    assert judgement.outcome is None
    assert judgement.rationale.startswith("judge returned invalid label 'refunded'")
    assert len(server.requests) == 2


async def test_unparseable_answer_is_recorded_undecided_not_raised() -> None:
    async with OpenAIServer(responder=lambda r: "I think it was resolved!") as server:
        judgement = await _judge(server).judge(_chat(4), OUTCOMES, INTENT, None)
    assert judgement.outcome is None
    assert judgement.rationale.startswith("judge returned invalid label (unreadable")
    assert len(server.requests) == 2


async def test_message_index_kept_while_outcome_unchanged() -> None:
    async with OpenAIServer(responder=_answers("escalated", "escalated", "resolved")) as server:
        judge = _judge(server)
        first = await judge.judge(_chat(3), OUTCOMES, INTENT, None)
        second = await judge.judge(_chat(4), OUTCOMES, INTENT, first)
        third = await judge.judge(_chat(5), OUTCOMES, INTENT, second)
    assert (first.message_index, second.message_index, third.message_index) == (2, 2, 4)
    assert third.outcome is not None and third.outcome.name == "resolved"


async def test_every_n_messages_returns_previous_between() -> None:
    async with OpenAIServer(responder=_answers("resolved")) as server:
        judge = _judge(server, every_n_messages=2)
        skipped = await judge.judge(_chat(1), OUTCOMES, INTENT, None)
        judged = await judge.judge(_chat(2), OUTCOMES, INTENT, skipped)
        kept = await judge.judge(_chat(3), OUTCOMES, INTENT, judged)
        again = await judge.judge(_chat(4), OUTCOMES, INTENT, kept)
    assert skipped.outcome is None and skipped.rationale == "not judged yet"
    assert judged.outcome is not None and judged.message_index == 1
    assert kept is judged
    assert again.message_index == 1
    assert len(server.requests) == 2


def test_every_n_messages_must_be_positive() -> None:
    with pytest.raises(ValueError, match="every_n_messages must be at least 1"):
        LLMOutcomeJudge(object(), every_n_messages=0)  # type: ignore[arg-type]


async def test_function_calling_models_answer_through_a_tool_call() -> None:
    """Models without json_schema support (gpt-4, gpt-3.5) fall back to tool calling."""
    async with OpenAIServer(responder=_answers("escalated")) as server:
        settings = LLMSettings(
            model="gpt-4", base_url=server.base_url, max_retries=0, cache_path="off"
        )
        with pytest.warns(UserWarning, match="function_calling"):
            judge = LLMOutcomeJudge(make_chat_model(settings))
            judgement = await judge.judge(_chat(4), OUTCOMES, INTENT, Judgement(None))
    assert judgement.outcome is not None and judgement.outcome.name == "escalated"
    [request] = server.requests
    assert "response_format" not in request
    assert request["tools"][0]["function"]["name"] == JUDGE_SCHEMA_NAME
