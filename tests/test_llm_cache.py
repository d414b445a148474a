"""The SQLite response cache and usage metering: identical calls reach the server once."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from langchain_core.globals import get_llm_cache
from langchain_core.load import dumps
from langchain_core.messages import HumanMessage
from langchain_core.prompts import PromptTemplate

from convsim_core.llm import (
    LLMError,
    LLMOutcomeJudge,
    LLMParticipant,
    LLMSettings,
    UsageCallback,
    configure_cache,
    forget_caches,
    make_chat_model,
)
from convsim_core.llm.cache import ConvsimSQLiteCache
from convsim_core.models import Conversation, Message, Outcome, Outcomes, ParticipantRole
from convsim_core.usage import UsageMeter
from tests.support.openai_server import OpenAIServer, isolated_llm
from tests.support.timeouts import MS, TIMEOUT

CUSTOMER = ParticipantRole.CUSTOMER
AGENT = ParticipantRole.AGENT
HISTORY = Conversation(
    (Message("Hi, my parcel never arrived.", datetime(2025, 1, 1, tzinfo=UTC), CUSTOMER),)
)


@pytest.fixture
def cache_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "nested" / "dir" / "llm-cache.sqlite"
    with isolated_llm(monkeypatch, str(path)):
        yield path


def _settings(server: OpenAIServer, cache: Path | str, **kwargs: object) -> LLMSettings:
    return LLMSettings(
        base_url=server.base_url,
        max_retries=0,
        timeout_seconds=TIMEOUT,
        cache_path=str(cache),
        **kwargs,  # type: ignore[arg-type]
    )


def _numbered() -> object:
    count = 0

    def respond(request: dict[str, object]) -> str:
        nonlocal count
        count += 1
        return f"answer number {count}"

    return respond


async def test_second_identical_call_is_answered_from_the_cache(cache_file: Path) -> None:
    meter = UsageMeter()
    async with OpenAIServer(responder=_numbered()) as server:  # type: ignore[arg-type]
        model = make_chat_model(_settings(server, cache_file))
        agent = LLMParticipant(AGENT, model, persona="Sam", usage=meter)
        first = await agent.get_next_message(HISTORY)
        second = await agent.get_next_message(HISTORY)
    assert await asyncio.to_thread(cache_file.exists)  # directories were created

    assert len(server.requests) == 1
    assert first is not None and second is not None
    assert first.content == second.content == "answer number 1"
    usage = server.usages[0]
    assert meter.total.llm_calls == 2
    assert meter.total.cache_hits == 1
    # Tokens were spent once; a hit adds none.
    assert meter.total.prompt_tokens == usage["prompt_tokens"]
    assert meter.total.completion_tokens == usage["completion_tokens"] == 3


async def test_cache_survives_a_restart_and_seed_is_part_of_the_key(cache_file: Path) -> None:
    async with OpenAIServer(responder=_numbered()) as server:  # type: ignore[arg-type]
        settings = _settings(server, cache_file)
        agent = LLMParticipant(AGENT, make_chat_model(settings, seed=1), persona="Sam")
        before = await agent.get_next_message(HISTORY)
        forget_caches()  # as if the process ended: only the file remains

        meter = UsageMeter()
        again = LLMParticipant(AGENT, make_chat_model(settings, seed=1), persona="Sam", usage=meter)
        after = await again.get_next_message(HISTORY)
        other_seed = LLMParticipant(AGENT, make_chat_model(settings, seed=2), persona="Sam")
        different = await other_seed.get_next_message(HISTORY)

    assert before is not None and after is not None and different is not None
    assert after.content == before.content == "answer number 1"
    assert (meter.total.llm_calls, meter.total.cache_hits) == (1, 1)
    assert different.content == "answer number 2"
    assert [r["seed"] for r in server.requests] == [1, 2]


async def test_concurrent_identical_calls_are_sent_once(cache_file: Path) -> None:
    meter = UsageMeter()
    async with OpenAIServer(responder=_numbered(), delay=300 * MS) as server:  # type: ignore[arg-type]
        settings = _settings(server, cache_file)
        agents = [
            LLMParticipant(AGENT, make_chat_model(settings), persona="Sam", usage=meter)
            for _ in range(5)
        ]
        replies = await asyncio.gather(*(a.get_next_message(HISTORY) for a in agents))

    assert len(server.requests) == 1
    assert {r.content for r in replies if r is not None} == {"answer number 1"}
    assert (meter.total.llm_calls, meter.total.cache_hits) == (5, 4)


async def test_waiters_make_their_own_call_when_the_first_one_fails(cache_file: Path) -> None:
    async with OpenAIServer(
        responder=_numbered(),  # type: ignore[arg-type]
        failures=[400],
        delay=lambda request: 300 * MS,
    ) as server:
        settings = _settings(server, cache_file)
        first = LLMParticipant(AGENT, make_chat_model(settings), persona="Sam")
        second = LLMParticipant(AGENT, make_chat_model(settings), persona="Sam")
        started = asyncio.get_running_loop().time()
        results = await asyncio.gather(
            first.get_next_message(HISTORY),
            second.get_next_message(HISTORY),
            return_exceptions=True,
        )
        elapsed = asyncio.get_running_loop().time() - started

    # Whichever of the two claimed the key first got the injected failure.
    failed = [r for r in results if isinstance(r, LLMError)]
    answered = [r for r in results if isinstance(r, Message)]
    assert len(failed) == 1
    assert [m.content for m in answered] == ["answer number 1"]
    assert server.statuses == [400, 200]
    assert elapsed < 3000 * MS  # released at once, not after the claim's expiry


async def test_structured_output_is_cached_too(cache_file: Path) -> None:
    outcomes = Outcomes((Outcome("resolved", "done"),))
    async with OpenAIServer(
        responder=lambda r: {"outcome": "resolved", "rationale": "parcel re-sent"}
    ) as server:
        meter = UsageMeter()
        judge = LLMOutcomeJudge(make_chat_model(_settings(server, cache_file)), usage=meter)
        first = await judge.judge(HISTORY, outcomes, None, None)
        forget_caches()
        judge = LLMOutcomeJudge(make_chat_model(_settings(server, cache_file)), usage=meter)
        second = await judge.judge(HISTORY, outcomes, None, None)
    assert first == second
    assert first.outcome is not None and first.rationale == "parcel re-sent"
    assert len(server.requests) == 1
    assert (meter.total.llm_calls, meter.total.cache_hits) == (2, 1)


async def test_cache_off_sends_every_call(cache_file: Path) -> None:
    async with OpenAIServer(responder=_numbered()) as server:  # type: ignore[arg-type]
        model = make_chat_model(_settings(server, "off"))
        agent = LLMParticipant(AGENT, model, persona="Sam")
        await agent.get_next_message(HISTORY)
        reply = await agent.get_next_message(HISTORY)
    assert model.cache is False
    assert reply is not None and reply.content == "answer number 2"
    assert len(server.requests) == 2
    assert not await asyncio.to_thread(cache_file.exists)


def test_configure_cache_is_idempotent_per_path(cache_file: Path, tmp_path: Path) -> None:
    settings = LLMSettings(cache_path=str(cache_file))
    first = configure_cache(settings)
    assert isinstance(first, ConvsimSQLiteCache)
    assert get_llm_cache() is first
    assert configure_cache(settings) is first
    other = configure_cache(LLMSettings(cache_path=str(tmp_path / "other.sqlite")))
    assert other is not first and get_llm_cache() is other
    assert configure_cache(settings) is first and get_llm_cache() is first
    assert configure_cache(LLMSettings(cache_path="off")) is None
    assert get_llm_cache() is first  # "off" leaves the global cache alone


def test_configure_cache_expands_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with isolated_llm(monkeypatch, None):
        cache = configure_cache(LLMSettings(cache_path="~/.cache/convsim/c.sqlite"))
        assert isinstance(cache, ConvsimSQLiteCache)
        assert Path(cache.database_path) == (tmp_path / ".cache/convsim/c.sqlite").resolve()
        assert (tmp_path / ".cache/convsim/c.sqlite").exists()


async def test_unreadable_cache_entry_is_a_miss(cache_file: Path) -> None:
    async with OpenAIServer(responder=_numbered()) as server:  # type: ignore[arg-type]
        agent = LLMParticipant(AGENT, make_chat_model(_settings(server, cache_file)), persona="Sam")
        await agent.get_next_message(HISTORY)
        with sqlite3.connect(cache_file) as db:
            db.execute('UPDATE full_llm_cache SET response = \'{"not": "langchain"}\'')
        reply = await agent.get_next_message(HISTORY)
    assert reply is not None and reply.content == "answer number 2"
    assert len(server.requests) == 2


async def test_usage_callback_on_a_plain_model_call(cache_file: Path) -> None:
    meter = UsageMeter()
    callback = UsageCallback(meter)
    async with OpenAIServer(responder=lambda r: "four words right here") as server:
        model = make_chat_model(_settings(server, cache_file))
        for _ in range(3):
            await model.ainvoke([HumanMessage("count me please")], config={"callbacks": [callback]})
    assert len(server.requests) == 1
    assert meter.total.llm_calls == 3
    assert meter.total.cache_hits == 2
    assert meter.total.prompt_tokens == 3  # "count me please", counted once
    assert meter.total.completion_tokens == 4
    assert meter.snapshot().total_tokens == 7


async def test_cache_entries_revive_only_generations(cache_file: Path) -> None:
    """A cache file is data: a stored object of another class is not instantiated."""
    foreign = dumps(PromptTemplate.from_template("{x}"))
    async with OpenAIServer(responder=_numbered()) as server:  # type: ignore[arg-type]
        agent = LLMParticipant(AGENT, make_chat_model(_settings(server, cache_file)), persona="Sam")
        await agent.get_next_message(HISTORY)
        with sqlite3.connect(cache_file) as db:
            db.execute("UPDATE full_llm_cache SET response = ?", (foreign,))
        reply = await agent.get_next_message(HISTORY)
    assert reply is not None and reply.content == "answer number 2"
    assert len(server.requests) == 2
