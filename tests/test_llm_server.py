"""The local OpenAI-compatible test server itself: streaming, usage, failures, helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from tests.support.openai_server import (
    OpenAIServer,
    count_tokens,
    isolated_llm,
    last_user_text,
    roles,
    system_text,
)


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


def _client(server: OpenAIServer, **kwargs: object) -> ChatOpenAI:
    options: dict[str, object] = {"max_retries": 0, **kwargs}
    return ChatOpenAI(
        model="gpt-4o-mini",
        base_url=server.base_url,
        api_key=SecretStr("sk-test"),
        cache=False,
        **options,  # type: ignore[arg-type]
    )


async def test_streaming_requests_are_answered_with_usage() -> None:
    async with OpenAIServer(responder=lambda r: f"echo: {last_user_text(r)}") as server:
        chunks: list[AIMessageChunk] = [
            chunk
            async for chunk in _client(server, stream_usage=True).astream(
                [SystemMessage("be brief"), HumanMessage("ping pong")]
            )
        ]
        streamed = _client(server, streaming=True)
        reply = await streamed.ainvoke([HumanMessage("again")])

    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.text == "echo: ping pong"
    assert total.usage_metadata is not None
    assert total.usage_metadata["input_tokens"] == count_tokens("be brief ping pong") == 4
    assert total.usage_metadata["output_tokens"] == 3
    assert reply.text == "echo: again"
    assert [r["stream"] for r in server.requests] == [True, True]
    assert roles(server.requests[0]) == ["system", "user"]
    assert system_text(server.requests[0]) == "be brief"


async def test_async_responder_and_recorded_statuses() -> None:
    async def respond(request: dict[str, object]) -> str:
        return "async answer"

    async with OpenAIServer(responder=respond, failures=[500]) as server:
        reply = await _client(server, max_retries=1).ainvoke("hi")
    assert reply.text == "async answer"
    assert server.statuses == [500, 200]
    assert len(server.answered) == 1
    assert server.usages == [{"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}]
