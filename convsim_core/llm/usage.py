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

A plain model call (a participant's turn) is metered from the message it returns
(:func:`record_answer`), which carries the same figures; chains are metered by
:class:`UsageCallback`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from convsim_core.usage import UsageMeter

logger = logging.getLogger(__name__)

_CACHE_MARKER = "total_cost"


class UsageCallback(AsyncCallbackHandler):
    """Records every chat-model call it observes into ``meter``.

    For chains (``with_structured_output``), where only the inner chat-model run reports an
    end: pass it per call (``config={"callbacks": [UsageCallback(meter)]}``). A plain model
    call is metered from its answer instead (:func:`record_answer`): a callback costs every
    call LangChain's callback machinery, about a tenth of the client's own CPU per call.
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


def record_answer(meter: UsageMeter, answer: BaseMessage) -> None:
    """Meter one plain chat-model call from the message it returned, as :class:`UsageCallback`
    would have: ChatOpenAI copies ``token_usage`` into the message's ``response_metadata``, and
    a cached answer carries the cache marker in its ``usage_metadata``."""
    if _is_cached(answer):
        meter.record(cache_hit=True)
        return
    token_usage = answer.response_metadata.get("token_usage")
    if isinstance(token_usage, Mapping) and token_usage:
        prompt, completion = _usage_counts(token_usage)
    else:
        prompt, completion = _metadata_counts(answer)
    meter.record(prompt_tokens=prompt, completion_tokens=completion)


def is_cache_hit(response: LLMResult) -> bool:
    """Whether langchain-core answered this call from its cache (see the module docstring)."""
    if response.llm_output:
        return False
    return any(_is_cached(generation.message) for generation in _generations(response))


def token_counts(response: LLMResult) -> tuple[int, int]:
    """(prompt, completion) tokens of a fresh call: ``token_usage`` in ``llm_output`` (OpenAI's
    own figures), else the messages' ``usage_metadata``.
    """
    token_usage = (response.llm_output or {}).get("token_usage")
    if isinstance(token_usage, Mapping) and token_usage:
        return _usage_counts(token_usage)
    prompt = completion = 0
    for generation in _generations(response):
        message_prompt, message_completion = _metadata_counts(generation.message)
        prompt += message_prompt
        completion += message_completion
    return prompt, completion


def _is_cached(message: BaseMessage) -> bool:
    return _CACHE_MARKER in (getattr(message, "usage_metadata", None) or {})


def _usage_counts(token_usage: Mapping[str, Any]) -> tuple[int, int]:
    return _int(token_usage.get("prompt_tokens")), _int(token_usage.get("completion_tokens"))


def _metadata_counts(message: BaseMessage) -> tuple[int, int]:
    usage = getattr(message, "usage_metadata", None) or {}
    return _int(usage.get("input_tokens")), _int(usage.get("output_tokens"))


def _generations(response: LLMResult) -> list[ChatGeneration]:
    return [g for batch in response.generations for g in batch if isinstance(g, ChatGeneration)]


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
