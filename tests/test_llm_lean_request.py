"""convsim's chat model sends what ChatOpenAI sends (messages past the SDK's re-typing walk):
the same request bodies, plain, streamed and structured, and the same cache key and name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from convsim_core.llm.models import LeanChatOpenAI, make_chat_model
from convsim_core.llm.settings import LLMSettings
from convsim_core.llm.structured import object_schema, structured_runnable
from tests.support.openai_server import OpenAIServer, isolated_llm, last_user_text

HISTORY: list[BaseMessage] = [
    SystemMessage("You are Dana, a calm customer."),
    HumanMessage("(The chat window has just opened. Write your first message.)"),
    AIMessage("Hi, I was charged twice this month."),
    HumanMessage('Sorry about that! Which card, the "Visa" one? \u00e9\u00e8 \U0001f600'),
]


VERDICT = object_schema(
    "verdict",
    "Whether the customer's issue was resolved.",
    {"resolved": {"type": "boolean"}, "reason": {"type": "string"}},
)


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


def _settings(server: OpenAIServer) -> LLMSettings:
    return LLMSettings(base_url=server.base_url, max_retries=0, cache_path="off")


def _plain(server: OpenAIServer, **kwargs: Any) -> ChatOpenAI:
    settings = _settings(server)
    return ChatOpenAI(
        model=settings.model,
        base_url=server.base_url,
        api_key=SecretStr("sk-test-dummy"),
        temperature=settings.temperature,
        timeout=settings.timeout_seconds,
        max_retries=0,
        cache=False,
        **kwargs,
    )


def _responder(request: dict[str, Any]) -> str | dict[str, Any]:
    if request.get("response_format") or request.get("tools"):
        return {"resolved": True, "reason": "refunded"}
    return f"echo: {last_user_text(request)}"


async def _both(run: Any) -> list[dict[str, Any]]:
    """The bodies a plain ChatOpenAI and make_chat_model's model send for ``run(model)``."""
    async with OpenAIServer(responder=_responder) as server:
        ours = make_chat_model(_settings(server), seed=7)
        assert isinstance(ours, LeanChatOpenAI)
        first = await run(_plain(server, seed=7))
        second = await run(ours)
        assert first == second  # the same answer, read the same way
    assert len(server.requests) == 2
    return server.requests


async def test_the_request_body_is_the_plain_clients_key_for_key() -> None:
    async def run(model: BaseChatModel) -> str:
        return (await model.ainvoke(HISTORY)).text

    plain, ours = await _both(run)
    assert ours == plain
    assert list(ours) == list(plain)  # the same keys in the same order: the same bytes
    assert [m["content"] for m in ours["messages"]] == [m.content for m in HISTORY]


async def test_streamed_and_structured_requests_are_unchanged_too() -> None:
    async def streamed(model: BaseChatModel) -> str:
        return "".join([chunk.text async for chunk in model.astream(HISTORY)])

    async def structured(model: BaseChatModel) -> Any:
        answer = await structured_runnable(model, VERDICT).ainvoke(HISTORY)
        return answer["parsed"]

    for run in (streamed, structured):
        plain, ours = await _both(run)
        assert ours == plain
        assert len(ours["messages"]) == len(HISTORY)


def test_cache_key_and_name_are_chatopenais() -> None:
    settings = LLMSettings(base_url="http://127.0.0.1:9/v1", cache_path="off")
    ours = make_chat_model(settings, seed=3)
    plain = ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=SecretStr("sk-test-dummy"),
        temperature=settings.temperature,
        timeout=settings.timeout_seconds,
        max_retries=settings.max_retries,
        cache=False,
        seed=3,
    )
    # A response cache filled by an earlier version (plain ChatOpenAI) still answers.
    assert ours._get_llm_string(stop=None) == plain._get_llm_string(stop=None)
    assert ours.get_name() == plain.get_name() == "ChatOpenAI"
    assert ours.lc_id() == plain.lc_id()


def test_the_messages_travel_past_the_sdks_typed_argument() -> None:
    ours = make_chat_model(LLMSettings(base_url="http://127.0.0.1:9/v1", cache_path="off"))
    payload = ours._get_request_payload(HISTORY)  # type: ignore[attr-defined]
    assert payload["messages"] == []
    assert [m["role"] for m in payload["extra_body"]["messages"]] == [
        "system",
        "user",
        "assistant",
        "user",
    ]
