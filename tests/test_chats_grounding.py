"""Customers grounded in real chats: `[customer] rag = { library = ..., k = ... }`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from convsim_core.builder import build_full_runner
from convsim_core.chats.library import ChatLibrary
from convsim_core.models import ParticipantRole
from convsim_core.persistence import TranscriptWriter, read_transcript
from convsim_core.scenario import load_scenario
from convsim_core.scenario_reader import ScenarioError
from tests.chat_fixtures import library_from_slice, reserve_table
from tests.support.openai_server import OpenAIServer, isolated_llm, system_text
from tui.cli import main


def _write(tmp_path: Path, library: Path, **values: str) -> Path:
    fields = {
        "kind": "offline",
        "library": library.name,
        "extra": "",
        "agent_kind": "offline",
        "agent_extra": "",
        "tail": "",
        **values,
    }
    path = library.parent / "reserve.toml"
    text = reserve_table(
        customer=fields["kind"],
        rag=f'rag = {{ library = "{fields["library"]}", k = 3{fields["extra"]} }}',
        agent=fields["agent_kind"],
        agent_extra=fields["agent_extra"],
        tail=fields["tail"],
    )
    path.write_text(text, encoding="utf-8")
    return path


def _real_customer_turns(library: Path) -> set[str]:
    return {
        " ".join(t.split())
        for chat in ChatLibrary.open(library).chats()
        for t in chat.customer_texts
    }


async def test_offline_customer_speaks_with_real_customers_words(tmp_path: Path) -> None:
    library = library_from_slice(tmp_path)
    scenario = load_scenario(_write(tmp_path, library))
    assert scenario.customer.rag is not None and scenario.customer.rag.library == library
    real = _real_customer_turns(library)
    borrowed = 0
    for seed in range(6):
        path = tmp_path / f"run-{seed}.jsonl"
        runner = build_full_runner(scenario, seed=seed, transcript=TranscriptWriter(path))
        await runner.run()
        transcript = read_transcript(path)
        grounding = transcript.header["grounding"]
        assert grounding["library"] == str(library) and grounding["k"] == 3
        assert grounding["method"] == "bm25" and len(grounding["chats"]) >= 10
        ids = {chat.chat_id for chat in ChatLibrary.open(library).chats()}
        assert set(grounding["chats"]) <= ids
        said = [m.content for m in transcript.messages[1:] if m.sender is ParticipantRole.CUSTOMER]
        borrowed += sum(any(r in text for r in real if len(r.split()) >= 4) for text in said)
        # Consistent with the scenario: no other customer's numbers or names.
        assert not any(char.isdigit() for text in said for char in text)
    assert borrowed >= 3


async def test_without_rag_nothing_is_recorded(tmp_path: Path) -> None:
    library = library_from_slice(tmp_path, stop=10)
    path = _write(tmp_path, library)
    path.write_text(path.read_text().replace('rag = { library = "lib", k = 3 }', ""))
    scenario = load_scenario(path)
    out = tmp_path / "plain.jsonl"
    await build_full_runner(scenario, seed=1, transcript=TranscriptWriter(out)).run()
    assert "grounding" not in read_transcript(out).header


@pytest.fixture
def _llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with isolated_llm(monkeypatch, None):
        yield


@pytest.mark.usefixtures("_llm")
@pytest.mark.parametrize("method", ["bm25", "embeddings"])
async def test_llm_customer_prompt_holds_the_retrieved_real_turns(
    tmp_path: Path, method: str
) -> None:
    library = library_from_slice(tmp_path)
    real = {t for chat in ChatLibrary.open(library).chats() for t in chat.customer_texts}

    def reply(request: dict[str, Any]) -> str:
        return "[END]" if len(request["messages"]) > 5 else "A table for four, please."

    async with OpenAIServer(responder=reply) as server:
        path = _write(
            tmp_path,
            library,
            kind="llm",
            extra=f', method = "{method}"',
            agent_kind="scripted",
            agent_extra='turns = ["Sure, for how many?", "Done: your table is reserved."]',
            tail=f'[llm]\nbase_url = "{server.base_url}"\nmax_retries = 0\ncache_path = "off"',
        )
        scenario = load_scenario(path)
        out = tmp_path / "llm.jsonl"
        await build_full_runner(scenario, seed=2, transcript=TranscriptWriter(out)).run()
    assert server.answered
    for request in server.answered:
        prompt = system_text(request)
        assert "How real customers wrote in similar chats" in prompt
        examples = [
            line[2:]
            for line in prompt.split("similar chats", 1)[1].splitlines()
            if line[:2] == "- "
        ]
        assert len(examples) == 3 and all(e in real for e in examples)
    header = read_transcript(out).header
    assert header["grounding"]["method"] == method
    if method == "embeddings":
        assert server.embedding_requests
    else:
        assert not server.embedding_requests


def test_rag_is_for_customers_and_a_missing_library_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = library_from_slice(tmp_path, stop=5)
    path = _write(tmp_path, library, agent_extra='rag = { library = "lib" }')
    with pytest.raises(ScenarioError, match=r"agent\.rag.*only the customer"):
        load_scenario(path)
    path = _write(tmp_path, library)
    path.write_text(path.read_text().replace('library = "lib"', 'library = "nowhere"'))
    assert main(["watch", str(path), "--headless"]) == 2
    err = capsys.readouterr().err.strip()
    assert "customer.rag.library" in err and "is not a chat library" in err
    assert err.count("\n") == 0
