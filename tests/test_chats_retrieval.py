"""Retrieval over a chat library: BM25 offline, embeddings via a local OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from convsim_core.chats.importers import read_chats
from convsim_core.chats.library import ChatLibrary
from convsim_core.chats.retrieval import BM25Retriever, EmbeddingRetriever, bm25_for
from convsim_core.llm.errors import LLMError
from convsim_core.llm.settings import LLMSettings
from tests.chat_fixtures import library_from_slice, write_sgd
from tests.support.openai_server import OpenAIServer, hashed_embedding, isolated_llm


@pytest.fixture
def _llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


def _topic_words(texts: list[str]) -> str:
    return " ".join(texts).lower()


def test_bm25_finds_the_turns_about_the_query(tmp_path: Path) -> None:
    library = ChatLibrary.open(library_from_slice(tmp_path))
    intents = {chat.chat_id: chat.intent or "" for chat in library.chats()}
    retriever = BM25Retriever.for_library(library)
    hits = retriever.search_now("I'd like to reserve a table at a restaurant for dinner", 10)
    assert len(hits) == 10 and all(h.score > 0 for h in hits)
    # The dialogues' own annotations say which are restaurant chats: retrieval must do far
    # better than chance (the share of such chats in the library).
    for query, service in (
        ("I'd like to reserve a table at a restaurant for dinner", "restaurants"),
        ("a one-way flight to New York, economy class", "flights"),
    ):
        hits = retriever.search_now(query, 10)
        chance = sum(service in i for i in intents.values()) / len(intents)
        share = sum(service in intents[h.chat_id] for h in hits) / len(hits)
        assert share >= 0.5 and share >= 3 * chance, (service, share, chance)
    assert retriever.search_now("zzzz qqqq", 5) == []


def test_bm25_index_is_persisted_and_rebuilt_when_the_library_grows(tmp_path: Path) -> None:
    folder = library_from_slice(tmp_path, stop=40)
    meta = folder / "bm25" / "meta.json"
    BM25Retriever.for_library(ChatLibrary.open(folder))
    assert '"count": 40' in meta.read_text()
    stamp = meta.stat().st_mtime_ns
    BM25Retriever.for_library(ChatLibrary.open(folder))
    assert meta.stat().st_mtime_ns == stamp  # loaded, not rebuilt
    library = ChatLibrary.open(folder)
    library.add(read_chats(write_sgd(tmp_path / "more.jsonl", 40, 60)).chats)
    retriever = bm25_for(folder)
    assert '"count": 60' in meta.read_text()
    assert any(h.chat_id.startswith("more:") for h in retriever.search_now("flight", 60))


@pytest.mark.usefixtures("_llm")
async def test_embeddings_retrieve_alike_turns_and_never_embed_a_text_twice(
    tmp_path: Path,
) -> None:
    folder = library_from_slice(tmp_path, stop=40)
    async with OpenAIServer() as server:
        settings = LLMSettings(base_url=server.base_url, max_retries=0)
        retriever = await EmbeddingRetriever.for_library(ChatLibrary.open(folder), settings)
        built = len(server.embedding_requests)
        assert built >= 1
        embedded = sum(len(r["input"]) for r in server.embedding_requests)
        turns = sum(len(c.customer_texts) for c in ChatLibrary.open(folder).chats())
        assert embedded == turns
        query = "I want to fly to New York on a round trip flight"
        hits = await retriever.search(query, 4)
        # Ranked by the server's vectors: the same order a brute-force cosine gives.
        texts = [t for c in ChatLibrary.open(folder).chats() for t in c.customer_texts]
        q = hashed_embedding(query)
        best = max(
            texts, key=lambda t: sum(a * b for a, b in zip(q, hashed_embedding(t), strict=True))
        )
        assert len(hits) == 4 and hits[0].text == best
        calls_after_first_run = len(server.embedding_requests)

        # A second run: index loaded from the library, the query answered from the cache.
        again = await EmbeddingRetriever.for_library(ChatLibrary.open(folder), settings)
        assert await again.search(query, 4) == hits
        assert len(server.embedding_requests) == calls_after_first_run

        # Even a rebuilt index (its dump deleted) re-embeds nothing: the texts are cached.
        for dump in (folder / "embeddings").rglob("vectors.json"):
            dump.unlink()
        await EmbeddingRetriever.for_library(ChatLibrary.open(folder), settings)
        assert len(server.embedding_requests) == calls_after_first_run
        assert all(r["model"] == "text-embedding-3-small" for r in server.embedding_requests)


def test_embeddings_without_a_key_say_so(tmp_path: Path) -> None:
    folder = library_from_slice(tmp_path, stop=5)
    with pytest.raises(LLMError, match=r"embeddings need an API key.*bm25"):
        import asyncio

        asyncio.run(EmbeddingRetriever.for_library(ChatLibrary.open(folder), LLMSettings()))


def test_cli_search_prints_hits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import main

    folder = library_from_slice(tmp_path, stop=60)
    assert main(["chats", "search", str(folder), "restaurant reservation", "-k", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all("#" in line for line in lines)
    assert main(["chats", "search", str(tmp_path / "nope"), "x"]) == 2
    assert "is not a chat library" in capsys.readouterr().err


def test_an_unreachable_embedding_endpoint_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.cli import main

    folder = library_from_slice(tmp_path, stop=5)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    assert main(["chats", "index", str(folder), "--method", "embeddings"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "text-embedding-3-small" in err and "127.0.0.1:9" in err
