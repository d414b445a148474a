"""`convsim chats export`: fine-tuning data, and a fine-tuned model used by name and base_url."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from convsim_core.builder import build_full_runner
from convsim_core.chats.export import openai_chat_record
from convsim_core.chats.records import Chat, ChatTurn
from convsim_core.llm.participant import OPENING_LINES
from convsim_core.models import ParticipantRole
from convsim_core.scenario import load_scenario
from tests.chat_fixtures import library_from_slice
from tests.support.openai_server import OpenAIServer, isolated_llm
from tui.cli import main

CUSTOMER, AGENT = ParticipantRole.CUSTOMER, ParticipantRole.AGENT


def test_a_chat_teaches_the_customer_side() -> None:
    chat = Chat(
        "c1",
        "s",
        (
            ChatTurn(CUSTOMER, "my order never arrived"),
            ChatTurn(AGENT, "Sorry! What's the order number?"),
            ChatTurn(CUSTOMER, "It's 4411"),
            ChatTurn(CUSTOMER, "placed last week"),
        ),
        intent="shipping",
    )
    record = openai_chat_record(chat, CUSTOMER)
    assert record is not None
    messages = record["messages"]
    assert messages[0]["role"] == "system" and "get help with shipping" in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": OPENING_LINES[CUSTOMER]}
    assert [m["role"] for m in messages[2:]] == ["assistant", "user", "assistant"]
    assert messages[-1]["content"] == "It's 4411\nplaced last week"
    as_agent = openai_chat_record(chat, AGENT)
    assert as_agent is not None and as_agent["messages"][1]["role"] == "user"


def test_cli_export_writes_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    library = library_from_slice(tmp_path, stop=30)
    out = tmp_path / "ft.jsonl"
    argv = ["chats", "export", str(library), "--format", "openai-chat", "--role", "customer"]
    assert main([*argv, "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 30
    for line in lines:
        messages = json.loads(line)["messages"]
        assert messages[0]["role"] == "system"
        assert {m["role"] for m in messages[1:]} <= {"user", "assistant"}
        assert any(m["role"] == "assistant" for m in messages)
    assert main([*argv[:3], "--format", "csv"]) == 2
    assert "--format must be one of openai-chat" in capsys.readouterr().err


@pytest.fixture
def _llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


@pytest.mark.usefixtures("_llm")
async def test_a_fine_tuned_model_is_called_by_name_at_its_base_url(tmp_path: Path) -> None:
    def reply(request: dict[str, Any]) -> str:
        return "[END]" if len(request["messages"]) > 3 else "hi, my parcel is late"

    async with OpenAIServer(responder=reply) as server:
        path = tmp_path / "ft.toml"
        path.write_text(
            f"""
title = "Late parcel"
[initial_message]
sender = "agent"
content = "Hello, how can I help?"
[customer]
kind = "llm"
[agent]
kind = "scripted"
turns = ["Let me check that for you."]
[[outcomes]]
name = "found"
keywords = ["found it"]
[llm]
model = "ft:gpt-4o-mini:acme:customer:abc123"
base_url = "{server.base_url}"
cache_path = "off"
""",
            encoding="utf-8",
        )
        await build_full_runner(load_scenario(path), seed=1).run()
    assert server.answered
    assert {r["model"] for r in server.answered} == {"ft:gpt-4o-mini:acme:customer:abc123"}
