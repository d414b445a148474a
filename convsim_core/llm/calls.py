"""One way to call a model: usage counted, cache claims released, failures made one line.

Participants, judges and checks all go through :func:`invoke`, so every LLM call convsim makes
is metered the same way and fails with the same kind of :class:`LLMError`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar

import openai
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from convsim_core.llm.cache import tracking_claims
from convsim_core.llm.errors import LLMError, describe_cause
from convsim_core.llm.usage import UsageCallback, record_answer
from convsim_core.usage import UsageMeter

logger = logging.getLogger(__name__)

T = TypeVar("T")


async def invoke(
    runnable: Runnable[Any, T],
    messages: Sequence[BaseMessage],
    *,
    model: BaseChatModel,
    usage: UsageMeter | None,
    purpose: str,
) -> T:
    """``await runnable.ainvoke(messages)`` with usage metering and one-line errors.

    ``runnable`` is ``model`` itself or a chain built on it (structured output); ``model``
    names the endpoint in error messages; ``purpose`` says what the call was for
    ("the customer's next message", "outcome judgement").

    Raises:
        LLMError: the call failed after the SDK's retries, or the endpoint's answer was
            malformed.
    """
    # A plain model call is metered from its answer; a chain (structured output) returns
    # something else, so a callback watches its inner model call.
    plain = runnable is model
    callbacks: list[BaseCallbackHandler] = (
        [UsageCallback(usage)] if usage is not None and not plain else []
    )
    config: RunnableConfig = {"callbacks": callbacks, "run_name": f"convsim: {purpose}"}
    try:
        with tracking_claims():
            answer = await runnable.ainvoke(list(messages), config=config)
    except LLMError:
        raise
    except Exception as exc:
        # Only the model call runs inside the try: whatever it raised (openai errors, a
        # malformed response the client could not read) is a failed LLM call.
        error = _llm_error(exc, model, purpose)
        logger.debug("%s", error, exc_info=True)
        raise error from exc
    if plain and usage is not None and isinstance(answer, BaseMessage):
        record_answer(usage, answer)
    return answer


def model_name(model: BaseChatModel) -> str:
    for attribute in ("model_name", "model"):
        value = getattr(model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__


def model_base_url(model: BaseChatModel) -> str | None:
    """The endpoint the client really talks to (it may have come from ``OPENAI_BASE_URL``)."""
    client = getattr(model, "root_async_client", None)
    url = getattr(client, "base_url", None)
    if url is not None:
        return str(url).rstrip("/")
    base = getattr(model, "openai_api_base", None)
    return base if isinstance(base, str) else None


def _llm_error(exc: Exception, model: BaseChatModel, purpose: str) -> LLMError:
    name, base_url = model_name(model), model_base_url(model)
    if isinstance(exc, openai.APITimeoutError):
        timeout = getattr(model, "request_timeout", None)
        retries = getattr(model, "max_retries", None)
        after = f" after {timeout:g}s" if isinstance(timeout, int | float) else ""
        attempts = f" ({retries + 1} attempts)" if isinstance(retries, int) else ""
        cause = f"timed out{after}{attempts}"
    elif isinstance(exc, openai.APIConnectionError):
        # "Connection error." alone does not say refused vs DNS vs TLS; the root cause does.
        cause = f"connection failed ({describe_cause(_root_cause(exc))})"
    else:
        cause = describe_cause(exc)
    return LLMError.for_call(cause, model=name, base_url=base_url, purpose=purpose)


def _root_cause(exc: BaseException) -> BaseException:
    seen = {id(exc)}
    while True:
        inner = exc.__cause__ or exc.__context__
        if inner is None or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner
