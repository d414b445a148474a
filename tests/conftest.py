"""Shared fixtures: keep tests off the user's home and off any real LLM endpoint."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Transcripts and caches go to a temp dir; a developer's API key never leaks into tests."""
    monkeypatch.setenv("CONVSIM_HOME", str(tmp_path / "convsim-home"))
    monkeypatch.setenv("CONVSIM_LLM_CACHE", str(tmp_path / "llm-cache.sqlite"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    yield


@pytest.fixture
def demo_transcript(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The built-in demo conversation (14 messages, seed 7), saved headless: a parent to branch."""
    from tui.cli import main

    path = tmp_path / "parent.jsonl"
    assert main(["demo", "--headless", "--out", str(path)]) == 0
    capsys.readouterr()
    return path
