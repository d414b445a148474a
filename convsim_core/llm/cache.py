"""The persistent LLM response cache: LangChain's SQLite cache, made safe for parallel runs.

LangChain consults the cache before every chat-model call (``_agenerate_with_cache``): a hit
returns the stored generations, a miss calls the API and stores the answer. Two things that
cache does not do on its own, added here:

* **Identical calls in flight at once are sent once.** Parallel runs of one scenario with one
  seed ask the same first questions at the same moment; all of them would miss. The first miss
  claims the key, later lookups wait for its answer and then hit. Only calls made inside
  :func:`tracking_claims` (every call convsim makes) claim keys, because it releases the claim
  when the call fails so the waiters make their own call at once; ``max_wait`` seconds is a
  safety net on top.
* **A cache file is data, not code.** Entries are revived with an allow-list of the generation
  and message classes only (``langchain_core.load`` would otherwise instantiate any core
  class), and an unreadable entry is a miss, not an answer made of its raw text.

Database errors never fail a call: a broken lookup is a miss, a failed write is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import warnings
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
from langchain_core._api import suppress_langchain_beta_warning
from langchain_core.caches import RETURN_VAL_TYPE
from langchain_core.load import loads
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, Generation
from sqlalchemy import Select, create_engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

with warnings.catch_warnings():
    # langchain-community warns on import that it is being sunset; the SQLite cache is still
    # the supported persistent cache for langchain-core 1.x.
    warnings.simplefilter("ignore", DeprecationWarning)
    from langchain_community.cache import SQLAlchemyCache, SQLiteCache

logger = logging.getLogger(__name__)

_ALLOWED: Sequence[Any] = (
    Generation,
    ChatGeneration,
    ChatGenerationChunk,
    AIMessage,
    AIMessageChunk,
)
_SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds a writer waits for another thread's write lock before giving up."""

_Key = tuple[str, str]


@attrs.define
class _Pending:
    """A call in flight for one cache key; waiters wake when it is stored or abandoned."""

    event: asyncio.Event
    started: float


@attrs.define
class _Claim:
    table: dict[_Key, _Pending]
    key: _Key
    pending: _Pending

    def release(self) -> None:
        if self.table.get(self.key) is self.pending:
            del self.table[self.key]
        self.pending.event.set()


_claims: contextvars.ContextVar[list[_Claim] | None] = contextvars.ContextVar(
    "convsim_llm_cache_claims", default=None
)


@contextlib.contextmanager
def tracking_claims() -> Iterator[None]:
    """Release, when the block ends, every cache key the calls inside it claimed.

    A successful call has already released its claim by storing its answer; this matters
    when a call fails or is cancelled, so concurrent identical calls stop waiting for it.
    """
    claims: list[_Claim] = []
    token = _claims.set(claims)
    try:
        yield
    finally:
        _claims.reset(token)
        for claim in claims:
            claim.release()


class ConvsimSQLiteCache(SQLiteCache):
    """LangChain's SQLite cache plus in-flight de-duplication and allow-listed loading."""

    def __init__(self, database_path: str, *, max_wait: float = 300.0) -> None:
        # SQLiteCache.__init__ only builds the engine; build it with a longer busy timeout
        # because parallel conversations write from several executor threads.
        engine = create_engine(
            f"sqlite:///{database_path}", connect_args={"timeout": _SQLITE_BUSY_TIMEOUT}
        )
        SQLAlchemyCache.__init__(self, engine)
        self.database_path = database_path
        self.max_wait = max_wait
        self._in_flight: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[_Key, _Pending]
        ] = weakref.WeakKeyDictionary()

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        stmt: Select[Any] = (
            select(self.cache_schema.response)
            .where(self.cache_schema.prompt == prompt)
            .where(self.cache_schema.llm == llm_string)
            .order_by(self.cache_schema.idx)
        )
        try:
            with Session(self.engine) as session:
                rows = session.execute(stmt).fetchall()
        except SQLAlchemyError as exc:
            logger.warning("LLM cache lookup failed, calling the model: %s", exc)
            return None
        if not rows:
            return None
        try:
            # ``loads`` is marked beta; the allow-list is the reason to call it explicitly.
            with suppress_langchain_beta_warning():
                revived = [loads(row[0], allowed_objects=_ALLOWED) for row in rows]
        except Exception as exc:  # any malformed or foreign entry is treated as a miss
            logger.warning("ignoring an unreadable LLM cache entry: %s", exc)
            return None
        if not all(isinstance(item, Generation) for item in revived):
            logger.warning("ignoring an LLM cache entry that holds no generations")
            return None
        return revived

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        try:
            super().update(prompt, llm_string, return_val)
        except SQLAlchemyError as exc:
            logger.warning("could not store an LLM answer in the cache: %s", exc)

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        loop = asyncio.get_running_loop()
        table = self._in_flight.setdefault(loop, {})
        key = (prompt, llm_string)
        while True:
            found = await super().alookup(prompt, llm_string)
            if found is not None:
                return found
            pending = table.get(key)
            now = loop.time()
            if pending is None or now - pending.started >= self.max_wait:
                claims = _claims.get()
                if claims is not None:  # only calls that will release a claim may hold one
                    fresh = _Pending(asyncio.Event(), now)
                    table[key] = fresh
                    claims.append(_Claim(table, key, fresh))
                return None
            logger.debug("identical LLM call in flight; waiting for its answer")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.max_wait - (now - pending.started)):
                    await pending.event.wait()

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        try:
            await super().aupdate(prompt, llm_string, return_val)
        finally:
            table = self._in_flight.get(asyncio.get_running_loop(), {})
            pending = table.pop((prompt, llm_string), None)
            if pending is not None:
                pending.event.set()
