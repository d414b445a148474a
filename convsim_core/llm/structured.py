"""Asking a model for a small JSON object through LangChain structured output.

Schemas are plain JSON schemas (not pydantic classes): langchain-openai then reads the answer
from the message text with a JSON parser, which survives the response cache. With a pydantic
class it reads a live ``parsed`` object that the SQLite cache cannot store, so cached answers
would fail to parse on the next run.

langchain-openai 1.7 defaults to ``method="json_schema"`` (OpenAI's ``response_format`` with a
named schema); ``strict=True`` makes OpenAI enforce enums and required keys. Other chat models
get their own default method.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import attrs
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable
from langchain_openai.chat_models.base import BaseChatOpenAI

from convsim_core.llm.calls import invoke
from convsim_core.usage import UsageMeter


@attrs.frozen
class StructuredAnswer:
    """What came back: the parsed object (None if unreadable), the raw text, any parse error."""

    data: dict[str, Any] | None
    raw_text: str
    error: str | None = None


def object_schema(
    name: str, description: str, properties: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A strict-mode JSON schema: every property required, nothing else allowed."""
    return {
        "title": name,
        "description": description,
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def structured_runnable(
    model: BaseChatModel, schema: dict[str, Any]
) -> Runnable[Any, dict[str, Any]]:
    """``model.with_structured_output(schema, include_raw=True)``; strict on OpenAI models."""
    # With a dict schema and include_raw=True the output is always a dict (raw/parsed/error).
    if isinstance(model, BaseChatOpenAI):
        runnable = model.with_structured_output(schema, include_raw=True, strict=True)
    else:
        runnable = model.with_structured_output(schema, include_raw=True)
    return cast("Runnable[Any, dict[str, Any]]", runnable)


async def ask_structured(
    model: BaseChatModel,
    runnable: Runnable[Any, dict[str, Any]],
    messages: Sequence[BaseMessage],
    *,
    usage: UsageMeter | None,
    purpose: str,
) -> StructuredAnswer:
    """Run ``runnable`` (from :func:`structured_runnable`); never raises for a bad answer.

    Raises:
        LLMError: the call itself failed.
    """
    result = await invoke(runnable, messages, model=model, usage=usage, purpose=purpose)
    raw = result.get("raw")
    raw_text = raw.text if isinstance(raw, BaseMessage) else ""
    parsed = result.get("parsed")
    error = result.get("parsing_error")
    if error is not None:
        return StructuredAnswer(None, raw_text, f"{type(error).__name__}: {error}")
    if not isinstance(parsed, dict):
        return StructuredAnswer(None, raw_text, f"expected a JSON object, got {parsed!r}")
    return StructuredAnswer(parsed, raw_text)
