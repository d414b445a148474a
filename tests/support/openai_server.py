"""A local OpenAI-compatible chat-completions server for tests and benchmarks.

It lets the real ``ChatOpenAI`` client (and through it the real openai SDK, retries, timeouts
and structured output) run against 127.0.0.1 instead of the internet. What the "model" says
comes from a pluggable responder; everything the client sent is kept in ``server.requests``.

Structured output: langchain-openai 1.7's ``with_structured_output`` defaults to
``method="json_schema"``, which sends ``response_format={"type": "json_schema", "json_schema":
{"name": ..., "schema": ..., "strict": ...}}`` and reads the JSON object from the message
*content*. With ``method="function_calling"`` (or models that do not support json_schema) it
sends ``tools`` plus ``tool_choice`` and reads the arguments of a tool call. When the responder
returns a dict the server answers whichever of the two the request asked for.

Usage::

    @pytest.fixture(autouse=True)
    def _llm(monkeypatch, tmp_path):
        # dummy key, no stray env, LangChain's global cache restored afterwards
        with isolated_llm(monkeypatch, str(tmp_path / "cache.sqlite")):  # or None: no cache
            yield

    async def test_it():
        async with OpenAIServer(responder=lambda request: "Hello!") as server:
            model = make_chat_model(LLMSettings(base_url=server.base_url, max_retries=0))
            ...
        assert len(server.requests) == 1

Responders can dispatch on ``structured_output_name(request)`` (the judge asks for
``JUDGE_SCHEMA_NAME``, the checks for ``COMPLETION_SCHEMA_NAME``/``GOAL_SCHEMA_NAME`` from
``convsim_core.llm``), ``system_text(request)`` and ``last_user_text(request)``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import itertools
import json
import math
import re
import struct
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from aiohttp import web

from channels.app_server import AppServer
from tests.support.timeouts import MS

Reply = str | dict[str, Any]
Responder = Callable[[dict[str, Any]], Reply | Awaitable[Reply]]
Delay = float | Callable[[dict[str, Any]], float]


def _default_responder(request: dict[str, Any]) -> Reply:
    return "OK"


def message_text(message: dict[str, Any]) -> str:
    """The text of one request message (string content or a list of text parts)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def system_text(request: dict[str, Any]) -> str:
    """All system (and developer) messages of a request, joined."""
    return "\n".join(
        message_text(m)
        for m in request.get("messages", [])
        if m.get("role") in ("system", "developer")
    )


def last_user_text(request: dict[str, Any]) -> str:
    """The text of the newest user message (empty when there is none)."""
    for message in reversed(request.get("messages", [])):
        if message.get("role") == "user":
            return message_text(message)
    return ""


def roles(request: dict[str, Any]) -> list[str]:
    return [m.get("role", "") for m in request.get("messages", [])]


def structured_output_name(request: dict[str, Any]) -> str | None:
    """Name of the schema or tool the client asked the model to fill in, if any."""
    response_format = request.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        name = response_format.get("json_schema", {}).get("name")
        return str(name) if name is not None else None
    tool = _forced_tool(request)
    return tool


def structured_output_schema(request: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema the client asked for (json_schema response format or forced tool)."""
    response_format = request.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        schema = response_format.get("json_schema", {}).get("schema")
        return schema if isinstance(schema, dict) else None
    name = _forced_tool(request)
    for tool in request.get("tools", []) or []:
        function = tool.get("function", {})
        if function.get("name") == name:
            parameters = function.get("parameters")
            return parameters if isinstance(parameters, dict) else None
    return None


def _forced_tool(request: dict[str, Any]) -> str | None:
    tools = request.get("tools") or []
    if not tools:
        return None
    choice = request.get("tool_choice")
    if isinstance(choice, dict):
        name = choice.get("function", {}).get("name")
        if name:
            return str(name)
    if isinstance(choice, str) and choice not in ("auto", "none", "required"):
        return choice
    first = tools[0].get("function", {}).get("name")
    return str(first) if first else None


EMBEDDING_DIMENSIONS = 512


def hashed_embedding(text: str) -> list[float]:
    """A deterministic bag-of-words vector: texts sharing words point the same way."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in re.findall(r"[a-z0-9']+", text.lower()):
        if len(word) > 2:
            vector[zlib.crc32(word.encode()) % EMBEDDING_DIMENSIONS] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def count_tokens(text: str) -> int:
    """Deterministic stand-in for a tokenizer: one token per whitespace-separated word."""
    return len(text.split())


class OpenAIServer(AppServer):
    """An aiohttp server speaking enough of ``POST /v1/chat/completions`` for ChatOpenAI.

    Args:
        responder: called with each request body; a string becomes the assistant text, a dict
            becomes the structured answer (JSON content or a tool call, matching the request).
            May be async.
        failures: HTTP statuses for the first ``len(failures)`` requests (e.g. ``[429, 500]``);
            429 and 5xx carry ``retry-after-ms: 1`` so the client's retries are fast.
        fail_always: when set, every request fails with this status (a permanent failure).
        delay: seconds to wait before answering (a number or a function of the request).
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        failures: Sequence[int] = (),
        fail_always: int | None = None,
        delay: Delay = 0.0,
        model_name: str = "convsim-test-model",
    ) -> None:
        # Cancel handlers whose client went away (a timed-out request) and do not wait a
        # minute for them on shutdown.
        super().__init__(handler_cancellation=True, shutdown_timeout=500 * MS)
        self.responder: Responder = responder or _default_responder
        self.failures = list(failures)
        self.fail_always = fail_always
        self.delay = delay
        self.model_name = model_name
        self.requests: list[dict[str, Any]] = []
        """Every request body received, failed ones included, in arrival order."""
        self.statuses: list[int] = []
        """The HTTP status answered to each request (same order as ``requests``)."""
        self.usages: list[dict[str, int]] = []
        """The usage block of every successful answer."""
        self.embedding_requests: list[dict[str, Any]] = []
        """Every ``/v1/embeddings`` request body (kept apart from chat ``requests``)."""
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def answered(self) -> list[dict[str, Any]]:
        """The requests that got a successful answer."""
        return [r for r, s in zip(self.requests, self.statuses, strict=True) if s == 200]

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_post("/v1/embeddings", self._embeddings)
        return app

    # -- handler ----------------------------------------------------------------------------

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = await request.json()
        index = len(self.requests)
        self.requests.append(body)
        status = self._status_for(index)
        self.statuses.append(status)
        delay = self.delay(body) if callable(self.delay) else self.delay
        if delay > 0:
            await asyncio.sleep(delay)
        if status != 200:
            return _error_response(status)

        reply = self.responder(body)
        if inspect.isawaitable(reply):
            reply = await reply
        message = _assistant_message(body, reply)
        prompt_tokens = sum(count_tokens(message_text(m)) for m in body.get("messages", []))
        completion_text = message.get("content") or "".join(
            c["function"]["arguments"] for c in message.get("tool_calls", [])
        )
        completion_tokens = count_tokens(completion_text)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        self.usages.append(usage)
        finish_reason = "tool_calls" if message.get("tool_calls") else "stop"
        completion_id = f"chatcmpl-{next(self._ids)}"
        if body.get("stream"):
            return await self._stream(request, body, completion_id, message, usage, finish_reason)
        return web.json_response(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", self.model_name),
                "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
                "usage": usage,
            }
        )

    async def _embeddings(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        self.embedding_requests.append(body)
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = []
        for index, text in enumerate(texts):
            vector = hashed_embedding(str(text))
            if body.get("encoding_format") == "base64":
                encoded: Any = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            else:
                encoded = vector
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(count_tokens(str(t)) for t in texts)
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body.get("model", self.model_name),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    def _status_for(self, index: int) -> int:
        if self.fail_always is not None:
            return self.fail_always
        if index < len(self.failures):
            return self.failures[index]
        return 200

    async def _stream(
        self,
        request: web.Request,
        body: dict[str, Any],
        completion_id: str,
        message: dict[str, Any],
        usage: dict[str, int],
        finish_reason: str,
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", self.model_name),
        }
        delta: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
        if message.get("tool_calls"):
            delta["tool_calls"] = [
                {"index": i, **call} for i, call in enumerate(message["tool_calls"])
            ]
        chunks: list[dict[str, Any]] = [
            {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish_reason}]},
        ]
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": usage})
        for chunk in chunks:
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _assistant_message(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    if isinstance(reply, str):
        return {"role": "assistant", "content": reply}
    arguments = json.dumps(reply)
    tool = _forced_tool(body)
    if tool is not None and body.get("response_format") is None:
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{abs(hash(arguments)) % 10**8}",
                    "type": "function",
                    "function": {"name": tool, "arguments": arguments},
                }
            ],
        }
    return {"role": "assistant", "content": arguments}


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


def _error_response(status: int) -> web.Response:
    kind = _ERROR_TYPES.get(status, "server_error")
    headers = {"retry-after-ms": "1"} if status == 429 or status >= 500 else {}
    return web.json_response(
        {"error": {"message": f"injected {status} failure", "type": kind, "code": kind}},
        status=status,
        headers=headers,
    )


@contextlib.contextmanager
def isolated_llm(monkeypatch: Any, cache_path: str | None) -> Iterator[None]:
    """A dummy API key, no stray endpoint/model variables, and LangChain's global cache
    restored afterwards (it is process-wide; each test should pass its own temp file).

    ``monkeypatch`` is pytest's fixture; ``cache_path`` None turns caching off.
    """
    from langchain_core.globals import get_llm_cache, set_llm_cache
    from langchain_openai.chat_models import _client_utils

    from convsim_core.llm.models import forget_caches

    # langchain-openai keeps one httpx client per base URL for the process, bound to the event
    # loop that first used it: a later test whose server got the same ephemeral port would
    # reuse a client whose pooled connection belongs to a closed loop ("Event loop is closed").
    _client_utils._cached_async_httpx_client.cache_clear()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("CONVSIM_MODEL", raising=False)
    monkeypatch.setenv("CONVSIM_LLM_CACHE", cache_path or "off")
    saved = get_llm_cache()
    try:
        yield
    finally:
        forget_caches()
        set_llm_cache(saved)
