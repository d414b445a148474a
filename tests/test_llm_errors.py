"""Retries, timeouts and permanent failures of LLM calls, against a local server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from convsim_core.llm import LLMError, LLMParticipant, LLMSettings, make_chat_model
from convsim_core.models import Conversation, Message, ParticipantRole
from convsim_core.usage import UsageMeter
from tests.support.openai_server import OpenAIServer, isolated_llm
from tests.support.timeouts import MS, TIMEOUT

AGENT = ParticipantRole.AGENT
HISTORY = Conversation(
    (Message("Where is my order?", datetime(2025, 1, 1, tzinfo=UTC), ParticipantRole.CUSTOMER),)
)


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


def _agent(base_url: str, meter: UsageMeter | None = None, **settings: object) -> LLMParticipant:
    values: dict[str, object] = {"cache_path": "off", "timeout_seconds": TIMEOUT, **settings}
    model = make_chat_model(LLMSettings(base_url=base_url, **values))  # type: ignore[arg-type]
    return LLMParticipant(AGENT, model, persona="Sam", usage=meter)


async def test_transient_429_and_500_are_retried_then_succeed() -> None:
    meter = UsageMeter()
    async with OpenAIServer(responder=lambda r: "It ships today.", failures=[429, 500]) as server:
        reply = await _agent(server.base_url, meter, max_retries=3).get_next_message(HISTORY)
    assert reply is not None and reply.content == "It ships today."
    assert server.statuses == [429, 500, 200]
    assert meter.total.llm_calls == 1  # the retries are one call
    assert meter.total.completion_tokens == 3


async def test_retries_exhausted_raise_llm_error() -> None:
    async with OpenAIServer(fail_always=503) as server:
        with pytest.raises(LLMError) as error:
            await _agent(server.base_url, max_retries=2).get_next_message(HISTORY)
    assert server.statuses == [503, 503, 503]
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("LLM call for the agent's next message failed:")
    assert f"model 'gpt-4o-mini' at {server.base_url}" in message
    assert "Error code: 503" in message


async def test_permanent_failure_is_not_retried_and_says_why() -> None:
    async with OpenAIServer(fail_always=401) as server:
        with pytest.raises(LLMError) as error:
            await _agent(server.base_url, max_retries=3).get_next_message(HISTORY)
    assert server.statuses == [401]
    message = str(error.value)
    assert "AuthenticationError" in message and "401" in message
    assert server.base_url in message
    assert error.value.model == "gpt-4o-mini"
    assert error.value.base_url == server.base_url
    assert isinstance(error.value.__cause__, Exception)


async def test_timeout_fails_cleanly() -> None:
    async with OpenAIServer(responder=lambda r: "too late", delay=3000 * MS) as server:
        started = time.monotonic()
        with pytest.raises(LLMError) as error:
            await _agent(server.base_url, timeout_seconds=300 * MS, max_retries=1).get_next_message(
                HISTORY
            )
        elapsed = time.monotonic() - started
    message = str(error.value)
    assert f"timed out after {300 * MS:g}s (2 attempts)" in message
    assert server.base_url in message
    assert len(server.requests) == 2
    assert elapsed < 2500 * MS  # bounded by the timeout and one backoff, not by the server's delay


async def test_unreachable_endpoint_raises_llm_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(LLMError) as error:
        await _agent(base_url, max_retries=0).get_next_message(HISTORY)
    message = str(error.value)
    assert "connection failed (ConnectionRefusedError:" in message
    assert base_url in message
