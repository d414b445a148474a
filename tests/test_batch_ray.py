"""``convsim batch --ray``: a batch on a local Ray cluster (started here, on 127.0.0.1) against
the demo bot, then resumed. Skipped when Ray (the ``ray`` extra) is not installed."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from channels.demo_bot import DemoBotServer
from convsim_core.batch import collect
from convsim_core.batch.folder import TranscriptState, transcript_state
from convsim_core.persistence import read_transcript
from tests.support.timeouts import MS
from tests.test_batch_channels import FAST_SCENARIO
from tui.cli import main

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.timeout(300_000 * MS)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    """One local cluster for the module (starting Ray takes seconds): 2 CPUs, 127.0.0.1."""
    context = ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.WARNING,
        _node_ip_address="127.0.0.1",
    )
    try:
        yield context
    finally:
        ray.shutdown()


def _check(folder: Path, runs: int) -> None:
    records = collect([folder]).records
    assert len(records) == runs and all(r.finished for r in records)
    for record in records:
        transcript = read_transcript(record.path)
        assert transcript.header["runner"] == "HybridSimulationRunner"
        assert transcript.result is not None and transcript.result.error is None
        assert any(m.sender.value == "agent" for m in transcript.messages), "the bot answered"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["total"]["runs"] == runs and summary["total"]["outcomes"] == {"resolved": runs}


async def test_a_ray_batch_against_the_demo_bot_resumes(
    ray_cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "wire.toml"
    scenario.write_text(FAST_SCENARIO, encoding="utf-8")
    out = tmp_path / "out"
    async with DemoBotServer() as bot:
        first = [str(scenario), "--ws", bot.ws_url, "--runs", "6", "-c", "4", "--ray"]
        args = ["batch", *first, "--workers", "2", "--out", str(out), "--headless"]
        assert await asyncio.to_thread(main, args) == 0
        _check(out, 6)
        assert len(bot.received) == 6
        manifest = json.loads((out / "batch.json").read_text())
        assert manifest["settings"]["ray"] == "default"
        # Two conversations lost: one never written, one cut short.
        (out / "wire-0001.jsonl").unlink()
        cut = out / "wire-0004.jsonl"
        cut.write_text("".join(cut.read_text().splitlines(keepends=True)[:-1]))
        capsys.readouterr()
        resume = ["batch", "--resume", "--out", str(out), "--ray", "--headless"]
        assert await asyncio.to_thread(main, resume) == 0
    assert "4 finished, 2 to run (1 unfinished transcript(s) set aside)" in capsys.readouterr().err
    _check(out, 6)
    assert len(bot.received) == 8
    assert transcript_state(out / "wire-0004.jsonl") is TranscriptState.COMPLETE
    assert not list(out.glob("*.tmp"))
