"""Simulated customers who talk like real ones: examples and phrasings from retrieved chats.

A scenario's customer draws on a *pool*: the real chats most like the scenario's intent and
opening message, chosen once per scenario with BM25 (cheap, deterministic, offline), and
recorded in the transcript header (``grounding.chats``). Within the pool:

- the LLM customer gets, at every turn, the ``k`` real customer turns closest to the intent and
  the conversation so far (by the scenario's method: BM25 or embeddings) as examples of tone and
  content, with an instruction not to copy their facts;
- the offline customer states its problem, thanks, confirms, wraps up and says goodbye with
  real customers' words. Only generic lines are taken (no digits, names or placeholders), so
  what it says stays consistent with the scenario's own facts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from convsim_core.chats.library import ChatLibrary
from convsim_core.chats.records import Chat
from convsim_core.chats.retrieval import (
    BM25Retriever,
    Retriever,
    TurnHit,
    bm25_for,
    open_library,
    words,
)
from convsim_core.chats.spec import RagSpec
from convsim_core.models import Conversation, ParticipantRole
from convsim_core.offline.config import CustomerRules

logger = logging.getLogger(__name__)

POOL_MIN = 20
"""Pools hold at least this many chats (or the whole library), so examples can vary by turn."""


@attrs.frozen
class Pool:
    spec: RagSpec
    chats: tuple[Chat, ...]
    best_turns: tuple[TurnHit, ...] = ()
    """The pool's customer turns closest to the query, best first."""

    @property
    def chat_ids(self) -> tuple[str, ...]:
        return tuple(chat.chat_id for chat in self.chats)

    def header(self) -> dict[str, Any]:
        return {
            "library": str(self.spec.library),
            "method": self.spec.method,
            "k": self.spec.k,
            "chats": list(self.chat_ids),
        }


def pool_for(spec: RagSpec, query: str) -> Pool:
    """The chats a customer of this scenario draws on (empty when none is alike at all)."""
    retriever = bm25_for(spec.library)
    library = open_library(spec.library)
    size = max(POOL_MIN, spec.k * 5)
    chosen: list[str] = []
    hits = retriever.search_now(query, size * 4)
    for hit in hits:
        if hit.chat_id not in chosen:
            chosen.append(hit.chat_id)
        if len(chosen) >= size:
            break
    by_id = {chat.chat_id: chat for chat in library.chats()}
    kept = frozenset(chosen)
    return Pool(
        spec,
        tuple(by_id[chat_id] for chat_id in chosen if chat_id in by_id),
        tuple(hit for hit in hits if hit.chat_id in kept),
    )


# -- the LLM customer ----------------------------------------------------------------------


class ExampleFinder:
    """The k pool turns closest to the intent and the conversation so far."""

    def __init__(self, pool: Pool, retriever: Retriever, intent: str) -> None:
        self.pool = pool
        self.retriever = retriever
        self.intent = intent
        self._pool_ids = frozenset(pool.chat_ids)

    async def examples(self, conversation: Conversation) -> list[TurnHit]:
        k = self.pool.spec.k
        recent = " ".join(m.content for m in conversation.messages[-3:])
        query = f"{self.intent} {recent}".strip()
        hits = [
            hit
            for hit in await self.retriever.search(query, k * 10)
            if hit.chat_id in self._pool_ids
        ]
        seen = {hit.text for hit in hits}
        for chat in self.pool.chats:  # not enough alike turns: fill from the pool's best chats
            if len(hits) >= k:
                break
            for index, turn in enumerate(chat.turns):
                if turn.role is ParticipantRole.CUSTOMER and turn.text not in seen:
                    hits.append(TurnHit(chat.chat_id, index, turn.text, 0.0))
                    seen.add(turn.text)
                    break
        return hits[:k]


def examples_block(hits: Sequence[TurnHit]) -> str:
    lines = "\n".join(f"- {hit.text}" for hit in hits)
    return (
        "How real customers wrote in similar chats (match their tone, length and way of"
        " asking; do not copy their names, numbers or other facts, use only yours):\n" + lines
    )


# -- the offline customer ------------------------------------------------------------------

_GREETING = re.compile(r"^\s*(?:hi|hello|hey|good (?:morning|afternoon|evening))\b[ ,.!]*", re.I)
_AFFIRM = re.compile(
    r"^\s*(?:yes|yeah|yep|yup|sure|correct|right|that's right|that is right|sounds good"
    r"|perfect|great|ok|okay)\b",
    re.I,
)
_THANKS = re.compile(r"\bthanks?\b|\bthank you\b", re.I)
_DONE = re.compile(r"\bthat(?:'s| is| was) (?:all|it|everything)\b|\bnothing else\b", re.I)
_BYE = re.compile(r"\b(?:good)?bye\b", re.I)
_GIVE_UP = re.compile(r"\bnever ?mind\b|\bforget it\b|\bi give up\b", re.I)
_PLACEHOLDER = re.compile(r"\[[A-Z]+\]")


def is_generic(text: str) -> bool:
    """No digits, placeholders or names: a line any customer with any facts could say."""
    if any(char.isdigit() for char in text) or _PLACEHOLDER.search(text) or "@" in text:
        return False
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        for word in sentence.split()[1:]:
            bare = word.strip(".,!?;:'\"()")
            if bare[:1].isupper() and bare not in {"I", "I'm", "I'd", "I'll", "I've", "OK"}:
                return False
    return True


@attrs.frozen
class Phrasings:
    problem: tuple[str, ...] = ()
    thanks: tuple[str, ...] = ()
    confirm: tuple[str, ...] = ()
    wrap_up: tuple[str, ...] = ()
    bye: tuple[str, ...] = ()
    give_up: tuple[str, ...] = ()


def phrasings(pool: Pool, query: str = "") -> Phrasings:
    """Real customers' words, sorted by what they do in a chat (generic lines only).

    A problem statement must share at least two words with the scenario's request (``query``),
    so a turn that matched on one common word ("book") does not change the customer's errand.
    """
    asked = set(words(query))
    found: dict[str, list[str]] = {name: [] for name in attrs.fields_dict(Phrasings)}

    def keep(kind: str, text: str) -> None:
        if text not in found[kind]:
            found[kind].append(text)

    # Problem statements: the turns most like the scenario's own request, whatever their place
    # in their chat (real chats often open with something else).
    for hit in pool.best_turns:
        text = _GREETING.sub("", " ".join(hit.text.split())).strip(" ,")
        shared = len(asked & set(words(text)))
        if (
            is_generic(text)
            and 4 <= len(text.split()) <= 30
            and _THANKS.search(text) is None
            and shared >= min(2, len(asked))
        ):
            keep("problem", text[:1].upper() + text[1:])
        if len(found["problem"]) >= POOL_MIN:
            break
    for chat in pool.chats:
        for raw in chat.customer_texts[1:]:
            text = " ".join(raw.split())
            if not text or not is_generic(text):
                continue
            length = len(text.split())
            question = "?" in text
            if _GIVE_UP.search(text) and length <= 15:
                keep("give_up", text)
            elif _BYE.search(text) and length <= 12 and not question:
                keep("bye", text)
            elif _DONE.search(text) and length <= 15 and not question:
                keep("wrap_up", text)
            elif _THANKS.search(text) and length <= 8 and not question:
                keep("thanks", text)
            elif _AFFIRM.match(text) and length <= 10 and not question:
                keep("confirm", text)
    return Phrasings(**{name: tuple(lines) for name, lines in found.items()})


def grounded_rules(rules: CustomerRules, found: Phrasings) -> CustomerRules:
    """The scenario's own lines win; real phrasings replace only the built-in defaults."""
    return attrs.evolve(
        rules,
        problem=rules.problem or found.problem,
        wrap_up=rules.wrap_up or found.wrap_up,
        give_up=rules.give_up or found.give_up,
        thanks=rules.thanks or found.thanks,
        confirm=rules.confirm or found.confirm,
        bye=rules.bye or found.bye,
    )


def resolve_library(spec: RagSpec, scenario_path: Path | None) -> RagSpec:
    if spec.library.is_absolute() or scenario_path is None:
        return spec
    return attrs.evolve(spec, library=scenario_path.parent / spec.library)


def library_for(spec: RagSpec) -> ChatLibrary:
    return open_library(spec.library)


__all__ = [
    "BM25Retriever",
    "ExampleFinder",
    "Phrasings",
    "Pool",
    "examples_block",
    "grounded_rules",
    "phrasings",
    "pool_for",
]


class LazyEmbeddingRetriever:
    """Builds (or loads) the embedding index on the first search, inside the event loop."""

    method = "embeddings"

    def __init__(self, spec: RagSpec, settings: Any) -> None:
        self._spec = spec
        self._settings = settings
        self._retriever: Retriever | None = None

    async def search(self, query: str, k: int) -> list[TurnHit]:
        if self._retriever is None:
            from convsim_core.chats.retrieval import EmbeddingRetriever

            self._retriever = await EmbeddingRetriever.for_library(
                library_for(self._spec), self._settings, model=self._spec.embedding_model
            )
        return await self._retriever.search(query, k)


def retriever_for(spec: RagSpec, settings: Any) -> Retriever:
    if spec.method == "embeddings":
        return LazyEmbeddingRetriever(spec, settings)
    return bm25_for(spec.library)


_pools: dict[tuple[Path, int, str, int], Pool] = {}


def cached_pool(spec: RagSpec, query: str) -> Pool:
    """One pool per scenario and library state per process: a batch retrieves it once."""
    library = open_library(spec.library)
    key = (library.folder, library.count, query, spec.k)
    pool = _pools.get(key)
    if pool is None or pool.spec != spec:
        pool = pool_for(spec, query)
        _pools[key] = pool
    return pool
