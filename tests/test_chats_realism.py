"""`convsim realism`: real chats score above RAG-grounded customers, and those above templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convsim_core.builder import build_full_runner
from convsim_core.chats.importers import read_chats
from convsim_core.chats.library import ChatLibrary
from convsim_core.chats.realism import classifier_accuracy, ks_distance, measure
from convsim_core.persistence import TranscriptWriter
from convsim_core.scenario import load_scenario
from tests.chat_fixtures import library_from_slice, reserve_table, write_sgd
from tui.cli import main


def test_measures_on_simple_cases() -> None:
    assert ks_distance([1, 2, 3], [1, 2, 3]) == 0.0
    assert ks_distance([1, 1, 1], [9, 9, 9]) == 1.0
    same = [f"text number {i} about the weather" for i in range(40)]
    assert classifier_accuracy(same, list(same)) <= 0.6
    other = [f"zebra giraffe lion {i}" for i in range(40)]
    assert classifier_accuracy(same, other) > 0.95


async def test_real_chats_score_above_grounded_and_grounded_above_templates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = library_from_slice(tmp_path, stop=120)
    runs = tmp_path / "runs"
    for name, rag in (("templated", ""), ("grounded", 'rag = { library = "lib", k = 4 }')):
        path = tmp_path / f"{name}.toml"
        path.write_text(reserve_table(title=name, max_messages=10, rag=rag), encoding="utf-8")
        scenario = load_scenario(path)
        for seed in range(25):
            out = runs / name / f"{name}-{seed:04d}.jsonl"
            await build_full_runner(scenario, seed=seed, transcript=TranscriptWriter(out)).run()
    held_out = read_chats(write_sgd(tmp_path / "held.jsonl", 120, 160)).chats
    real = [c.customer_texts for c in ChatLibrary.open(library).chats()]
    real_score = measure([c.customer_texts for c in held_out], real).score

    assert main(["realism", str(runs), "--library", str(library), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert set(rows) == {"templated", "grounded"}
    assert rows["grounded"]["conversations"] == 25
    assert real_score > rows["grounded"]["score"] > rows["templated"]["score"]
    assert main(["realism", str(runs), "--library", str(library)]) == 0
    table = capsys.readouterr().out
    assert "grounded" in table and "clf acc" in table
    assert main(["realism", str(tmp_path / "none"), "--library", str(library)]) == 2


def test_files_that_are_not_transcripts_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = library_from_slice(tmp_path, stop=40)
    runs = tmp_path / "runs"
    runs.mkdir()
    held = read_chats(write_sgd(tmp_path / "held.jsonl", 40, 45)).chats
    for index, chat in enumerate(held):
        lines = [json.dumps({"schema_version": 1, "type": "header", "scenario": "real"})]
        lines += [
            json.dumps(
                {
                    "schema_version": 1,
                    "type": "message",
                    "content": turn.text,
                    "timestamp": "2026-01-01T00:00:00+00:00",
                    "sender": turn.role.value,
                }
            )
            for turn in chat.turns
        ]
        (runs / f"real-{index}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (runs / "zz.jsonl").write_text("garbage\n", encoding="utf-8")
    assert main(["realism", str(runs), "--library", str(library)]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "zz.jsonl" in captured.err
    assert "real" in captured.out


async def test_realism_scores_llm_customers_with_and_without_rag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The LLM path end to end (the local OpenAI-compatible server plays the model): a grounded
    customer's prompt carries real turns, and realism scores both kinds of run per scenario."""
    from typing import Any

    from tests.support.openai_server import OpenAIServer, isolated_llm, system_text

    library = library_from_slice(tmp_path, stop=120)

    def reply(request: dict[str, Any]) -> str:
        if len(request["messages"]) > 6:
            return "[END]"
        examples = [
            line[2:]
            for line in system_text(request).splitlines()
            if line.startswith("- ") and "similar chats" in system_text(request)
        ]
        return examples[-1] if examples else "I would like to book a table for four, please."

    runs = tmp_path / "runs"
    with isolated_llm(monkeypatch, None):
        async with OpenAIServer(responder=reply) as server:
            for name, rag in (("llm-plain", ""), ("llm-grounded", 'rag = { library = "lib" }')):
                text = reserve_table(
                    title=name,
                    max_messages=10,
                    customer="llm",
                    rag=rag,
                    tail=f'[llm]\nbase_url = "{server.base_url}"\nmax_retries = 0\n'
                    'cache_path = "off"',
                )
                path = tmp_path / f"{name}.toml"
                path.write_text(text, encoding="utf-8")
                scenario = load_scenario(path)
                assert scenario.customer.kind == "llm"
                for seed in range(6):
                    out = runs / name / f"{name}-{seed:04d}.jsonl"
                    runner = build_full_runner(
                        scenario, seed=seed, transcript=TranscriptWriter(out)
                    )
                    await runner.run()
    assert main(["realism", str(runs), "--library", str(library), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert set(rows) == {"llm-plain", "llm-grounded"}
    assert all(0.0 <= row["score"] <= 1.0 for row in rows.values())
    # The grounded "model" answered with the real turns it was shown: closer to real chats.
    assert rows["llm-grounded"]["nearest"] > rows["llm-plain"]["nearest"]
