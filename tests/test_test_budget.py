"""``convsim test`` with an LLM customer (the local OpenAI-compatible server): the seed reaches
every LLM call, ``--max-llm-calls`` / ``--max-tokens`` stop a run cleanly, ``--resume`` then
finishes it, and retries re-run a simulator fault with a fresh seed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from convsim_core.batch.folder import transcript_files
from tests.support.openai_server import OpenAIServer, isolated_llm, last_user_text
from tests.support.timeouts import TIMEOUT
from tui.cli import main

SCENARIO = """
name = "llm-refund"
title = "Broken order, LLM customer"
max_messages = 12
seed = 9
initial_message = "Hi, my order arrived broken. Can you help?"

[customer]
kind = "llm"
persona = "A customer whose order arrived broken."

[agent.offline]
greeting = []
steps = [{{ say = "Sorry to hear that! Let me sort it out." }}]
resolution = "A full refund of $20 has been issued."

[[outcomes]]
name = "refunded"
keywords = ["full refund of"]
said_by = "agent"

[expect]
pass = ["refunded"]

[llm]
base_url = "{base_url}"
max_retries = 0
timeout_seconds = {timeout_seconds}
"""


@pytest.fixture(autouse=True)
def _llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


def _in_thread(args: list[str]) -> int:
    """``main`` on its own event loop, as a fresh ``convsim`` process would run it.

    langchain-openai caches one httpx client per endpoint process-wide, bound to the event
    loop that first used it; a second ``asyncio.run`` in the same process must not reuse it.
    """
    from langchain_openai.chat_models import _client_utils

    _client_utils._cached_async_httpx_client.cache_clear()
    return main(args)


def _reply(request: dict[str, Any]) -> str:
    text = last_user_text(request).lower()
    return "Thanks, that's all. [END]" if "refund" in text else "It arrived broken."


def _write(tmp_path: Path, server: OpenAIServer) -> Path:
    path = tmp_path / "llm.toml"
    path.write_text(
        SCENARIO.format(base_url=server.base_url, timeout_seconds=TIMEOUT), encoding="utf-8"
    )
    return path


def _finished(folder: Path) -> list[str]:
    return sorted(p.stem for p in transcript_files(folder))


async def test_a_budget_stops_the_run_and_resume_completes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    async with OpenAIServer(responder=_reply) as server:
        path = _write(tmp_path, server)
        args = ["test", str(path), "--runs", "4", "-c", "1", "--out", str(out)]
        # Two LLM calls per conversation: the budget of 3 is spent during the second one.
        stopped = await asyncio.to_thread(_in_thread, [*args, "--max-llm-calls", "3"])
        assert stopped == 3
        err = capsys.readouterr().err
        assert "stopped: --max-llm-calls 3 reached (4 calls)" in err
        assert f"finish with: convsim test --resume --out {out}" in err
        assert _finished(out) == ["llm-refund-0000", "llm-refund-0001"]
        calls = len(server.requests)
        assert calls == 4
        # Every request carried the seed of its conversation.
        seeds = [
            json.loads((out / f"{name}.jsonl").read_text().splitlines()[0])["batch"]["seed"]
            for name in _finished(out)
        ]
        assert [r.get("seed") for r in server.requests] == [seeds[0]] * 2 + [seeds[1]] * 2
        resumed = await asyncio.to_thread(_in_thread, [*args, "--resume"])
        assert resumed == 0
        assert len(server.requests) == calls + 4
    assert _finished(out) == [f"llm-refund-000{i}" for i in range(4)]
    summary = json.loads((out / "summary.json").read_text())
    (verdict,) = summary["verdicts"]
    assert (verdict["verdict"], verdict["passes"], verdict["counted"]) == ("pass", 4, 4)


async def test_a_token_budget_stops_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    async with OpenAIServer(responder=_reply) as server:
        path = _write(tmp_path, server)
        args = ["test", str(path), "--runs", "3", "-c", "1", "--out", str(out)]
        assert await asyncio.to_thread(_in_thread, [*args, "--max-tokens", "1"]) == 3
    assert "stopped: --max-tokens 1 reached" in capsys.readouterr().err
    assert _finished(out) == ["llm-refund-0000"]


async def test_simulator_faults_are_retried_with_fresh_seeds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    answers = iter(["As an AI language model, how can I help you today?"])

    def reply(request: dict[str, Any]) -> str:
        # The first conversation's customer breaks role once; everything else plays along.
        return next(answers, None) or _reply(request)

    async with OpenAIServer(responder=reply) as server:
        path = _write(tmp_path, server)
        args = ["test", str(path), "--runs", "2", "-c", "1", "--out", str(out)]
        assert await asyncio.to_thread(_in_thread, args) == 0
    assert _finished(out) == ["llm-refund-0000", "llm-refund-0000-retry1", "llm-refund-0001"]
    header = json.loads((out / "llm-refund-0000-retry1.jsonl").read_text().splitlines()[0])
    first = json.loads((out / "llm-refund-0000.jsonl").read_text().splitlines()[0])
    assert header["batch"]["attempt"] == 1 and header["batch"]["run_index"] == 0
    assert header["batch"]["seed"] != first["batch"]["seed"]
    (verdict,) = json.loads((out / "summary.json").read_text())["verdicts"]
    assert (verdict["passes"], verdict["counted"]) == (2, 2)
    assert verdict["faults"]["simulator"] == 1
    assert verdict["simulator_faults"][0]["run_id"] == "llm-refund-0000"
