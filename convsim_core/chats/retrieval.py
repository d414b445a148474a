"""Finding the real customer turns most like a query: BM25 offline, or embeddings.

Both index the customer turns of a library, since that is what grounding and realism compare
against. BM25 (``bm25s``) needs no key and downloads nothing; the embedding index goes through
LangChain: ``OpenAIEmbeddings`` against any OpenAI-compatible endpoint, wrapped in
``CacheBackedEmbeddings`` over a file store in the library, so no text (document or query) is
embedded twice, and LangChain's ``InMemoryVectorStore``, dumped to the library.

Indexes are persisted in the library folder with the chat count they were built for; an index
older than the library is rebuilt on first use. Loaded indexes are kept per process, so a batch
of many conversations loads one once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from convsim_core.chats.library import ChatLibrary, write_atomically
from convsim_core.models import ParticipantRole

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.vectorstores import InMemoryVectorStore

    from convsim_core.llm.settings import LLMSettings

logger = logging.getLogger(__name__)

METHODS = ("bm25", "embeddings")
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"
BM25_FOLDER = "bm25"
EMBEDDINGS_FOLDER = "embeddings"
EMBEDDING_CACHE_FOLDER = "embedding-cache"


@attrs.frozen
class TurnHit:
    """A real customer turn and how close it came to the query (higher is closer)."""

    chat_id: str
    turn_index: int
    text: str
    score: float


class Retriever(Protocol):
    method: str

    async def search(self, query: str, k: int) -> list[TurnHit]: ...


@attrs.frozen
class _Turn:
    chat_id: str
    turn_index: int
    text: str


def customer_turns(library: ChatLibrary) -> list[_Turn]:
    return [
        _Turn(chat.chat_id, index, turn.text)
        for chat in library.chats()
        for index, turn in enumerate(chat.turns)
        if turn.role is ParticipantRole.CUSTOMER and turn.text.strip()
    ]


INDEX_VERSION = "2"
"""Bumped when tokenisation changes, so an index built the old way is rebuilt."""


def _is_fresh(folder: Path, count: int, **extra: str) -> bool:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(meta.get("count") == count and all(meta.get(k) == v for k, v in extra.items()))


def _write_meta(folder: Path, count: int, **extra: str) -> None:
    write_atomically(folder / "meta.json", json.dumps({"count": count, **extra}) + "\n")


# -- BM25 ----------------------------------------------------------------------------------


class BM25Retriever:
    method = "bm25"

    def __init__(self, turns: list[_Turn], model: Any) -> None:
        self._turns = turns
        self._model = model

    @classmethod
    def for_library(cls, library: ChatLibrary) -> BM25Retriever:
        """Built, or loaded from ``<library>/bm25`` when it was built for this many chats."""
        import bm25s

        # bm25s sets its own logger to DEBUG on import; its progress notes are not ours to show.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        folder = library.folder / BM25_FOLDER
        turns = customer_turns(library)
        if _is_fresh(folder, library.count, version=INDEX_VERSION) and turns:
            if not (folder / "empty").exists():
                return cls(turns, bm25s.BM25.load(str(folder)))
            return cls([], bm25s.BM25())
        model = bm25s.BM25()
        tokens = _tokenize([t.text for t in turns])
        if not any(tokens):  # only "hi" and "ok": nothing to index, every search finds nothing
            turns = []
        if turns:
            model.index(tokens, show_progress=False)
            folder.mkdir(exist_ok=True)
            model.save(str(folder))
            (folder / "empty").unlink(missing_ok=True)
        else:
            folder.mkdir(exist_ok=True)
            (folder / "empty").touch()
        _write_meta(folder, library.count, version=INDEX_VERSION)
        return cls(turns, model)

    def search_now(self, query: str, k: int) -> list[TurnHit]:
        """Synchronous: a BM25 look-up over thousands of turns takes well under a millisecond."""
        if not self._turns or k <= 0:
            return []
        tokens = _tokenize([query])
        if not tokens[0]:
            return []
        found, scores = self._model.retrieve(
            tokens, k=min(k, len(self._turns)), show_progress=False
        )
        hits = []
        for position, score in zip(found[0], scores[0], strict=True):
            if score <= 0:
                continue
            turn = self._turns[int(position)]
            hits.append(TurnHit(turn.chat_id, turn.turn_index, turn.text, float(score)))
        return hits

    async def search(self, query: str, k: int) -> list[TurnHit]:
        return self.search_now(query, k)


_WORD = re.compile(r"[a-z0-9']+")
_STOPWORD_TEXT = """
a an the and or but if of to in on at for with by from is are was were be been am i me
my you your we our it its this that these those do does did have has had can could would
will shall should may might please just so like want wanted need help get got know
looking look also there here what when where which who how some any hi hello hey thanks
thank ok okay yes no not
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


_stemmer: Any = None


def _stem(tokens: list[str]) -> list[str]:
    """Snowball stems (reserve/reservation, restaurants/restaurant) so word forms meet."""
    global _stemmer
    if _stemmer is None:
        import Stemmer

        _stemmer = Stemmer.Stemmer("english")
    stems: list[str] = _stemmer.stemWords(tokens)
    return stems


def _tokenize(texts: list[str]) -> list[list[str]]:
    return [_stem(words(text)) for text in texts]


# -- embeddings ----------------------------------------------------------------------------


class EmbeddingRetriever:
    method = "embeddings"

    def __init__(self, store: InMemoryVectorStore, settings: LLMSettings, model: str) -> None:
        self._store = store
        self._settings = settings
        self._model = model

    @classmethod
    async def for_library(
        cls, library: ChatLibrary, settings: LLMSettings, *, model: str = DEFAULT_EMBEDDING_MODEL
    ) -> EmbeddingRetriever:
        from langchain_core.vectorstores import InMemoryVectorStore

        embeddings = cached_embeddings(library, settings, model=model)
        folder = library.folder / EMBEDDINGS_FOLDER / _slug(model)
        dump = folder / "vectors.json"
        if _is_fresh(folder, library.count, model=model) and dump.exists():
            store = await asyncio.to_thread(InMemoryVectorStore.load, str(dump), embeddings)
            return cls(store, settings, model)
        store = InMemoryVectorStore(embedding=embeddings)
        turns = customer_turns(library)
        if turns:
            async with _embedding_errors(settings, model, "indexing a chat library"):
                await store.aadd_texts(
                    [t.text for t in turns],
                    metadatas=[{"chat_id": t.chat_id, "turn_index": t.turn_index} for t in turns],
                )
        folder.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(store.dump, str(dump))
        _write_meta(folder, library.count, model=model)
        return cls(store, settings, model)

    async def search(self, query: str, k: int) -> list[TurnHit]:
        if k <= 0 or not query.strip():
            return []
        async with _embedding_errors(self._settings, self._model, "a chat-library search"):
            found = await self._store.asimilarity_search_with_score(query, k=k)
        return [
            TurnHit(
                str(doc.metadata["chat_id"]),
                int(doc.metadata["turn_index"]),
                doc.page_content,
                float(score),
            )
            for doc, score in found
        ]


def cached_embeddings(
    library: ChatLibrary, settings: LLMSettings, *, model: str = DEFAULT_EMBEDDING_MODEL
) -> Embeddings:
    """``OpenAIEmbeddings`` behind a byte store in the library: each text is embedded once."""
    from langchain_classic.embeddings import CacheBackedEmbeddings
    from langchain_classic.storage import LocalFileStore
    from langchain_openai import OpenAIEmbeddings
    from pydantic import SecretStr

    from convsim_core.llm.errors import LLMError

    settings = settings.with_env()
    api_key = settings.api_key()
    if api_key is None:
        raise LLMError(
            f"embeddings need an API key: set the {settings.api_key_env} environment variable"
            " (or use method = 'bm25', which needs none)",
            model=model,
            base_url=settings.base_url,
        )
    underlying = OpenAIEmbeddings(
        model=model,
        base_url=settings.base_url,
        api_key=SecretStr(api_key),
        # Token-length checks would fetch tiktoken's tables from the internet and send token
        # ids that other OpenAI-compatible servers do not accept.
        check_embedding_ctx_length=False,
        timeout=settings.timeout_seconds,
        max_retries=settings.max_retries,
    )
    store = LocalFileStore(str(library.folder / EMBEDDING_CACHE_FOLDER))
    return CacheBackedEmbeddings.from_bytes_store(
        underlying,
        store,
        namespace=_slug(model),
        query_embedding_cache=True,
        key_encoder="sha256",
    )


@contextlib.asynccontextmanager
async def _embedding_errors(settings: LLMSettings, model: str, purpose: str) -> AsyncIterator[None]:
    """An endpoint that fails after the SDK's retries is one line naming model and URL, like
    every other LLM call (not the openai SDK's traceback)."""
    from convsim_core.llm.errors import LLMError

    try:
        yield
    except LLMError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in {"openai", "httpx", "httpcore"}:
            raise
        raise LLMError.from_exception(
            exc, model=model, base_url=settings.with_env().base_url, purpose=purpose
        ) from None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "model"


# -- per process ---------------------------------------------------------------------------

_lock = threading.Lock()
_bm25: dict[tuple[Path, int], BM25Retriever] = {}
_libraries: dict[Path, ChatLibrary] = {}


def open_library(folder: Path) -> ChatLibrary:
    """One loaded library per folder and process (reloaded when it grew)."""
    key = folder.resolve()
    with _lock:
        library = ChatLibrary.open(key)
        known = _libraries.get(key)
        if known is not None and known.count == library.count:
            return known
        _libraries[key] = library
        return library


def bm25_for(folder: Path) -> BM25Retriever:
    library = open_library(folder)
    key = (library.folder, library.count)
    with _lock:
        retriever = _bm25.get(key)
        if retriever is None:
            retriever = BM25Retriever.for_library(library)
            _bm25[key] = retriever
        return retriever
