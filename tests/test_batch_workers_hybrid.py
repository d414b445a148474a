"""Hybrid batches (a bot under test) on worker processes: every core by default, one outage
pause for the whole batch, callback servers of their own, and one process where it must be."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from channels.demo_bot import DemoBotServer
from convsim_core.batch import BatchPlan, ScenarioEntry, collect
from convsim_core.batch.workers import WorkerPoolExecutor
from convsim_core.scenario import load_scenario
from tests.support.outage import restart
from tests.support.ports import free_port
from tests.support.refund_scenario import refund_file as refund
from tests.support.timeouts import TIMEOUT
from tui.cli import main
from tui.wiring.batch_job import BatchJob
from tui.wiring.bots import BotTarget


@pytest.fixture(autouse=True)
def _two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default under test is one worker per core: make it two on any machine."""
    monkeypatch.setattr("tui.wiring.scale.default_workers", lambda: 2)


def callback(port: int) -> str:
    """A ``[bot]`` table: answers come back on convsim's callback server at ``port``."""
    return (
        '\n[bot]\nresponse_mode = "callback"\nsettle_seconds = 0.05\n'
        f"[bot.callback]\nport = {port}\n"
    )


def _run_id(partial: Path) -> str:
    return partial.name.split(".partial-")[0]


async def test_a_hybrid_batch_uses_every_worker_and_one_outage_pauses_them_all(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    folder = tmp_path / "out"
    # No reconnects of its own: a dropped conversation is lost, only the batch can retry it.
    scenario_file = refund(tmp_path, extra="\n[bot.reconnect]\nattempts = 0\n")
    scenario = load_scenario(scenario_file)
    runs = 16
    plan = BatchPlan((ScenarioEntry("refund", str(scenario_file), scenario.seed),), runs)
    job = BatchJob(
        plan,
        {"refund": scenario},
        folder,
        concurrency=4,
        resume=False,
        target=BotTarget(kind="ws", url=f"ws://127.0.0.1:{port}/ws"),
    )
    session = job.session()
    executor = session.executor
    assert isinstance(executor, WorkerPoolExecutor)  # the default, against a bot too

    def both_busy() -> bool:
        """Both workers up, through a conversation, and with conversations in flight."""
        workers = executor.workers
        return len(workers) == 2 and all(w.finished and w.running for w in workers)

    bot = DemoBotServer(port=port)
    await bot.start()
    batch = asyncio.create_task(job.execute(session))
    try:
        async with asyncio.timeout(TIMEOUT * 8):
            while not both_busy():  # noqa: ASYNC110 - polled state, no event
                await asyncio.sleep(0.02)
        bot = await restart(bot, port)  # away for a second, in the middle of conversations
        summary = await asyncio.wait_for(batch, TIMEOUT * 16)
    finally:
        batch.cancel()
        await bot.stop()
    assert summary.total.runs == runs and executor.counts.errors == 0
    assert [w.finished > 0 for w in executor.workers] == [True, True]
    planned = sorted(run.run_id for run in plan.planned_runs())
    records = collect([folder]).records
    assert sorted(r.run_id for r in records) == planned  # each exactly once
    assert all(r.finished and r.error is None for r in records), [
        (r.run_id, r.termination, r.error) for r in records if r.error
    ]
    # One pause for the batch: the parent's gate, whichever worker lost the bot first.
    assert executor.outages == 1
    logged = [r.getMessage() for r in caplog.records]
    assert sum("the bot is unreachable" in m for m in logged) == 1, logged
    assert any("resuming the batch" in m for m in logged), logged
    # Both workers held conversations through the pause and ran them again afterwards.
    partials = list(folder.glob("*.partial-*.jsonl"))
    assert {executor.statuses[_run_id(p)].worker for p in partials} == {0, 1}
    manifest = json.loads((folder / "batch.json").read_text())
    assert manifest["settings"]["workers"] == 2


async def test_callback_servers_on_free_ports_spread_over_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = refund(tmp_path, extra=callback(0))  # each worker listens on a port of its own
    folder = tmp_path / "out"
    async with DemoBotServer() as bot:
        argv = ["batch", str(scenario), "--webhook", bot.url, "--runs", "8", "-c", "4"]
        code = await asyncio.wait_for(
            asyncio.to_thread(main, [*argv, "--headless", "--out", str(folder)]), TIMEOUT * 12
        )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "one process" not in err
    assert json.loads((folder / "batch.json").read_text())["settings"]["workers"] == 2
    records = collect([folder]).records
    assert len(records) == 8 and all(r.finished and r.error is None for r in records)


async def test_a_fixed_callback_port_keeps_the_batch_in_one_process_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    scenario = refund(tmp_path, extra=callback(port))
    folder = tmp_path / "out"
    async with DemoBotServer() as bot:
        argv = ["batch", str(scenario), "--webhook", bot.url, "--runs", "3", "--headless"]
        code = await asyncio.wait_for(
            asyncio.to_thread(main, [*argv, "--out", str(folder)]), TIMEOUT * 8
        )
        first = capsys.readouterr().err
        refused = await asyncio.to_thread(
            main, [*argv, "--workers", "2", "--out", str(tmp_path / "two")]
        )
        second = capsys.readouterr().err
    assert code == 0, first
    said = [r.getMessage() for r in caplog.records if "one process" in r.getMessage()]
    assert len(said) == 1, said
    assert said[0].startswith("running in one process: the bot's answers come to the fixed")
    assert f"callback port 127.0.0.1:{port}" in said[0] and "port = 0" in said[0]
    assert json.loads((folder / "batch.json").read_text())["settings"]["workers"] == 1
    assert len(collect([folder]).records) == 3
    # Asked for two workers, it refuses up front in one line instead of failing to listen.
    assert refused == 2, second
    assert second.count("\n") == 1
    assert f"--workers 2: the bot's answers come to the fixed callback port 127.0.0.1:{port}" in (
        second
    )
    assert not (tmp_path / "two").exists() or not list((tmp_path / "two").glob("*.jsonl"))
