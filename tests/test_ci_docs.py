"""docs/ci.md is what a new user copies: its first example must pass against the demo bot,
and its CI snippets must install convsim the way that works (it is not on PyPI)."""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path

import pytest

from channels.demo_bot import DemoBotServer
from tui.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def _first_test_command() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", DOC, re.DOTALL)
    assert block is not None
    text = block.group(1).replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("convsim test"))
    return shlex.split(line)[1:]


async def test_the_first_example_passes_against_the_demo_bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _first_test_command()
    ws = args.index("--ws")
    assert args[ws + 1] == "ws://127.0.0.1:8765/ws"
    args[1] = str(ROOT / args[1])  # the scenario, relative to the checkout
    monkeypatch.chdir(tmp_path)  # the reports land here
    async with DemoBotServer() as bot:
        args[ws + 1] = bot.ws_url
        assert await asyncio.to_thread(main, args) == 0
    assert (tmp_path / "convsim-junit.xml").is_file()
    assert (tmp_path / "convsim-summary.md").is_file()


def test_the_ci_snippets_install_from_the_repository_and_redirect_the_bot() -> None:
    assert "pip install convsim" not in DOC
    installs = re.findall(r"pip install \"git\+https://github.com/YOUR-ORG/convsim.git\"", DOC)
    assert len(installs) == 2  # GitHub Actions and GitLab CI
    assert "YOUR-ORG/convsim is a" in DOC and "placeholder" in DOC
    backgrounded = [line for line in DOC.splitlines() if "convsim bot --port" in line]
    assert backgrounded and all(">convsim-bot.log 2>&1 &" in line for line in backgrounded)
    for option in ("--socketio", "--directline", "--demo-bot [ws|webhook|socketio|directline]"):
        assert option in DOC
