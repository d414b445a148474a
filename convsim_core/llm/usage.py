"""Counting LLM calls, tokens and cache hits into a conversation's :class:`UsageMeter`.

How a cache hit looks in langchain-core 1.8 (``BaseChatModel._agenerate_with_cache``): the
model returns the stored generations in a ``ChatResult`` *without* ``llm_output``, and
``_convert_cached_generations`` copies each cached ``AIMessage`` with ``"total_cost": 0`` added
to its ``usage_metadata``. The cached message still carries the token counts of the original
call, so reading tokens naively would count them twice. A fresh ``ChatOpenAI`` answer always has
``llm_output`` (with ``token_usage``) and never that marker.

Accounting: every chat-model call that ends counts as one ``llm_call``; a fresh call adds its
prompt/completion tokens; a cache hit adds ``cache_hit`` and no tokens (none were spent).
Failed calls are not counted (the openai SDK's retries happen inside one call).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.outputs import ChatGeneration, LLMResult

from convsim_core.usage import UsageMeter

logger = logging.getLogger(__name__)

_CACHE_MARKER = "total_cost"


class UsageCallback(AsyncCallbackHandler):
    """Records every chat-model call it observes into ``meter``.

    Pass it per call (``config={"callbacks": [UsageCallback(meter)]}``); it also works through
    ``with_structured_output`` chains, where only the inner chat-model run reports an end.
    """

    def __init__(self, meter: UsageMeter) -> None:
        self.meter = meter

    async def on_llm_end(
        self,
        response: LLMResult,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if is_cache_hit(response):
            self.meter.record(cache_hit=True)
            return
        prompt_tokens, completion_tokens = token_counts(response)
        self.meter.record(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


def is_cache_hit(response: LLMResult) -> bool:
    """Whether langchain-core answered this call from its cache (see the module docstring)."""
    if response.llm_output:
        return False
    for generation in _generations(response):
        usage = getattr(generation.message, "usage_metadata", None) or {}
        if _CACHE_MARKER in usage:
            return True
    return False


def token_counts(response: LLMResult) -> tuple[int, int]:
    """(prompt, completion) tokens of a fresh call: ``token_usage`` in ``llm_output`` (OpenAI's
    own figures), else the messages' ``usage_metadata``.
    """
    token_usage = (response.llm_output or {}).get("token_usage")
    if isinstance(token_usage, Mapping) and token_usage:
        return _int(token_usage.get("prompt_tokens")), _int(token_usage.get("completion_tokens"))
    prompt = completion = 0
    for generation in _generations(response):
        usage = getattr(generation.message, "usage_metadata", None) or {}
        prompt += _int(usage.get("input_tokens"))
        completion += _int(usage.get("output_tokens"))
    return prompt, completion


def _generations(response: LLMResult) -> list[ChatGeneration]:
    return [g for batch in response.generations for g in batch if isinstance(g, ChatGeneration)]


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
