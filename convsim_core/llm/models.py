"""Building chat models from settings, and the response cache they share.

Retries and timeouts are the openai SDK's own (``max_retries``/``timeout`` of ``ChatOpenAI``):
it retries connection errors, timeouts, 408, 409, 429 and 5xx with exponential backoff
(0.5 s doubling up to 8 s, with jitter, or the server's ``Retry-After``), and applies the
timeout to every attempt. Anything left after that is turned into :class:`LLMError` by the
callers in this package.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from langchain_core.caches import BaseCache
from langchain_core.globals import get_llm_cache, set_llm_cache
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from convsim_core.llm.cache import ConvsimSQLiteCache
from convsim_core.llm.errors import LLMError
from convsim_core.llm.settings import LLMSettings

logger = logging.getLogger(__name__)

_MAX_BACKOFF = 8.0
"""The openai SDK's longest sleep between retries (seconds)."""

_caches: dict[Path, ConvsimSQLiteCache] = {}
_caches_lock = threading.Lock()


def make_chat_model(
    settings: LLMSettings, *, temperature: float | None = None, seed: int | None = None
) -> BaseChatModel:
    """A ``ChatOpenAI`` for ``settings``, wired to the response cache the settings name.

    ``temperature`` overrides the settings' (judges use 0). ``seed`` is passed to the API and
    becomes part of the cache key, so runs with different seeds do not share cached answers
    while a re-run with the same seed replays them. The model gets its cache explicitly (or
    ``cache=False`` when caching is off), so it does not depend on whichever global cache
    another run installed last.

    Raises:
        LLMError: no API key in the environment variable the settings name.
    """
    api_key = settings.api_key()
    if api_key is None:
        raise LLMError(
            f"no API key for model {settings.model!r}: set the {settings.api_key_env}"
            " environment variable",
            model=settings.model,
            base_url=settings.base_url,
        )
    cache = configure_cache(settings)
    optional: dict[str, Any] = {}
    if seed is not None:
        optional["seed"] = seed
    return LeanChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=SecretStr(api_key),
        temperature=settings.temperature if temperature is None else temperature,
        timeout=settings.timeout_seconds,
        max_retries=settings.max_retries,
        cache=cache if cache is not None else False,
        **optional,
    )


class LeanChatOpenAI(ChatOpenAI):
    """``ChatOpenAI``, sending the same request for less CPU.

    Before sending a request the openai SDK re-types its whole body against the SDK's
    TypedDicts (``openai._utils._transform``): a recursive walk with type introspection at
    every level of every message, which for chat messages changes nothing and, with a
    20-message history, costs about 40% of the client's CPU per call (3.7 vs 2.2 ms against
    the local test server, ``benchmarks/bench_workers``). Here the messages ChatOpenAI built
    travel in ``extra_body``, which the SDK merges into the JSON body as they are (the key keeps
    its place, so the bytes sent are the same), and the typed argument gets an empty list. The
    same way out is used for the same walk in Anthropic's SDK (anthropic-sdk-python#1195).

    Its LangChain id and name are ChatOpenAI's, so response-cache keys, serialised models and
    traces do not change. A caller's own ``extra_body`` "messages" (nobody's, but it would
    win) is left alone.
    """

    @classmethod
    def lc_id(cls) -> list[str]:
        return ChatOpenAI.lc_id()

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        return super().get_name(suffix, name=name or self.name or ChatOpenAI.__name__)

    def _get_request_payload(
        self,
        input_: LanguageModelInput,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = super()._get_request_payload(input_, stop=stop, **kwargs)
        messages = payload.get("messages")
        extra = payload.get("extra_body") or {}
        if messages and "messages" not in extra:
            payload["extra_body"] = {**extra, "messages": messages}
            payload["messages"] = []
        return payload


def configure_cache(settings: LLMSettings) -> BaseCache | None:
    """Install the SQLite response cache at ``settings.cache_path`` as LangChain's global cache.

    Idempotent: one cache object per file, created (with its directory) on first use and
    re-installed when another path was installed in between. With caching off
    (``cache_path`` "off" or None) nothing is installed or removed and None is returned;
    models from :func:`make_chat_model` then run with ``cache=False``. A cache file that cannot
    be created is logged and the run continues without caching.
    """
    if not settings.cache_enabled or settings.cache_path is None:
        return None
    path = Path(settings.cache_path).expanduser().resolve()
    max_wait = settings.timeout_seconds * (settings.max_retries + 1) + (
        _MAX_BACKOFF * settings.max_retries
    )
    with _caches_lock:
        cache = _caches.get(path)
        if cache is None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                cache = ConvsimSQLiteCache(str(path), max_wait=max_wait)
            except Exception as exc:  # sqlite/sqlalchemy/OS errors alike: run uncached
                logger.warning("LLM cache disabled: cannot open %s: %s", path, exc)
                return None
            _caches[path] = cache
            logger.info("LLM response cache: %s", path)
        else:
            cache.max_wait = max(cache.max_wait, max_wait)
        if get_llm_cache() is not cache:
            set_llm_cache(cache)
    return cache


def forget_caches() -> None:
    """Close every cache this module opened and uninstall ours from LangChain (for tests)."""
    with _caches_lock:
        current = get_llm_cache()
        for cache in _caches.values():
            if current is cache:
                set_llm_cache(None)
            cache.engine.dispose()
        _caches.clear()
