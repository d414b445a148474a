"""A webhook URL with no bot behind it (HTTP 404): one infrastructure failure, no unreadable reply.

Issue 13: "a webhook 404 produces five notices and is called a malformed reply". A 404 says the
URL or route is wrong; the bot never read the message. Every path (the channel, headless
``connect``, batch and test summaries, replay; the TUI in tests/test_tui_connect.py) must say so
once, name the path and the status, and never count it as an unreadable bot reply. The server
is a real aiohttp app on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from channels.factory import make_channel
from channels.profile import profile_for_url
from convsim_core import TerminationReason
from convsim_core.batch.summary import summarize_folder
from convsim_core.models import Message, ParticipantRole
from convsim_core.persistence import read_transcript
from tests.support.no_bot import NoBotServer
from tests.support.refund_scenario import refund_toml
from tests.support.timeouts import MS, TIMEOUT
from tests.support.wire_bots import Hooks
from tui.cli import main


def _scenario(tmp_path: Path, expect: bool = False) -> Path:
    path = tmp_path / "refund.toml"
    text = refund_toml(response_timeout=20_000 * MS, reconnect=True)
    if expect:
        text += '\n[expect]\npass = ["resolved"]\n'
    path.write_text(text, encoding="utf-8")
    return path


async def _cli(argv: Sequence[str]) -> int:
    return await asyncio.wait_for(asyncio.to_thread(main, list(argv)), TIMEOUT * 3)


@pytest.mark.parametrize(("status", "phrase"), [(404, "Not Found"), (405, "Method Not Allowed")])
async def test_the_channel_fails_once_naming_path_and_status(status: int, phrase: str) -> None:
    async with NoBotServer(status) as server:
        url = f"{server.url}/webhooks/rest/webhook"
        channel = make_channel(profile_for_url(url, kind="webhook", preset="rasa-rest"))
        session = await channel.create_session()
        hooks = Hooks(session)
        await session.send(
            Message(content="hello", timestamp=datetime.now(UTC), sender=ParticipantRole.CUSTOMER)
        )
        async with asyncio.timeout(TIMEOUT):
            await hooks.wait_for(lambda: hooks.failure is not None)
        await channel.close()
    assert hooks.errors == [], "a wrong URL is no unreadable reply"
    text = str(hooks.failure)
    assert text.startswith(f"cannot reach {url}: ")
    assert f"POST /webhooks/rest/webhook answered HTTP {status} {phrase}" in text
    assert server.requests == [("POST", "/webhooks/rest/webhook")], "asked once, not per message"


async def test_headless_connect_is_one_error_with_the_unreachable_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = _scenario(tmp_path), tmp_path / "run.jsonl"
    async with NoBotServer() as server:
        url = f"{server.url}/webhook"
        code = await _cli(
            ["connect", str(scenario), "--webhook", url, "--headless", "--out", str(out)]
        )
    seen = capsys.readouterr()
    assert code == 2, seen.err  # as for an unreachable bot (convsim connect --help)
    assert "Unreadable" not in seen.out and "unreadable" not in seen.out
    assert "malformed" not in (seen.out + seen.err).lower()
    assert seen.out.count("answered HTTP 404") == 2  # the one notice and the summary's Error row
    assert (
        f"convsim: error: cannot reach {url}: POST /webhook answered HTTP 404 Not Found" in seen.err
    )
    assert "protocol error" not in seen.err and "Traceback" not in seen.err
    saved = read_transcript(out)
    assert saved.result is not None
    assert saved.result.termination_reason is TerminationReason.CHANNEL_ERROR
    assert saved.result.protocol_errors == ()
    assert "POST /webhook answered HTTP 404" in (saved.result.error or "")


async def test_batch_and_test_count_it_as_infrastructure_not_unreadable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = _scenario(tmp_path, expect=True)
    batch, tested = tmp_path / "batch", tmp_path / "test"
    async with NoBotServer() as server:
        url = f"{server.url}/webhook"
        common = ["--runs", "2", "--webhook", url]
        await _cli(["batch", str(scenario), *common, "--out", str(batch), "--headless"])
        await _cli(["test", str(scenario), *common, "--out", str(tested)])
    printed = capsys.readouterr().out
    assert "unreadable" not in printed.lower() and "protocol errors" not in printed
    for folder in (batch, tested):
        summary = summarize_folder(folder, write=False)
        runs = summary.total.runs  # `convsim test` keeps its retried tries on disk too
        assert runs >= 2 and summary.total.errors == runs
        assert summary.total.protocol_errors == 0 and summary.total.unreadable == 0
        assert summary.total.terminations == {"channel_error": runs}
        verdict = json.loads((folder / "summary.json").read_text())["verdicts"]
        faults = verdict[0]["faults"]
        assert faults["infrastructure"] == runs and faults["agent"] == 0, faults


async def test_a_batch_neither_pauses_nor_retries_a_wrong_url(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The outage pause (made for a bot that restarts) took a 404 for an outage: the probe found
    # the host up at once, so every conversation ran four times with two warnings each time.
    scenario, out = _scenario(tmp_path), tmp_path / "batch"
    async with NoBotServer() as server:
        args = ["batch", str(scenario), "--runs", "3", "--webhook", f"{server.url}/webhook"]
        code = await _cli([*args, "--out", str(out), "--headless"])
    assert code == 1
    assert not any("pausing new conversations" in r.getMessage() for r in caplog.records)
    assert sorted(p.name for p in out.glob("*.jsonl")) == [
        f"refund-demo-bot-000{i}.jsonl" for i in range(3)
    ], "no attempt set aside as .partial-N"
    assert len(server.requests) == 3  # one POST per conversation


def test_the_wrong_url_wording_is_what_the_batch_recognises() -> None:
    from channels.errors import WRONG_ENDPOINT, unreachable, wrong_endpoint
    from convsim_core.channel import names_a_wrong_url

    for status in WRONG_ENDPOINT:
        assert names_a_wrong_url(str(wrong_endpoint("http://h/x", "POST", status)))
    assert not names_a_wrong_url(str(unreachable("http://h/x", "connection refused")))
    assert not names_a_wrong_url("the bot answered HTTP 500: crash")


async def test_replay_against_a_wrong_url_is_one_line_not_every_turn_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from channels.demo_bot import DemoBotServer
    from tests.test_replay import record

    monkeypatch.chdir(tmp_path)  # the replay's own transcript goes under ./runs
    async with DemoBotServer() as bot:
        recorded = await record(tmp_path, bot)
    capsys.readouterr()
    async with NoBotServer() as server:
        url = f"{server.url}/webhook"
        code = await _cli(["replay", str(recorded), "--webhook", url, "--fast", "--headless"])
    seen = capsys.readouterr()
    assert code == 2, seen.err  # as for an unreachable bot (convsim replay --help)
    assert "changed" not in seen.out and "(no answer)" not in seen.out
    assert f"convsim: error: cannot reach {url}: POST /webhook answered HTTP 404" in seen.err
