"""``convsim test`` against a real 127.0.0.1 webhook bot that crashes on every second
conversation: a run whose retries are used up must not vanish from the verdict."""

from __future__ import annotations

import asyncio
import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.timeouts import MS
from tests.test_test_cli import REFUND, REPLACE, scenario, verdicts
from tui.cli import main

FLAKY = f"""
name = "flaky"
title = "Broken order"
max_messages = 12
seed = 1

[initial_message]
sender = "customer"
content = "Hi, my order arrived broken. Can you help?"

[customer]
kind = "offline"

[customer.offline]
satisfied_when = ["refund of"]

[[outcomes]]
name = "refunded"
keywords = ["full refund of"]
said_by = "agent"

[termination]
terminal_outcomes = ["refunded"]
settle_seconds = {50 * MS}
response_timeout = {1000 * MS}
inactivity_timeout = {1000 * MS}
typing_delay = false

[expect]
pass = ["refunded"]
"""


class CrashingBot:
    """Generic JSON webhook bot: the 2nd, 4th, ... conversation (by session) gets HTTP 500."""

    def __init__(self) -> None:
        self.sessions: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> CrashingBot:
        app = web.Application()
        app.router.add_post("/webhook", self._webhook)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=100 * MS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site.port
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    async def _webhook(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        number = self.sessions.setdefault(body["session_id"], len(self.sessions))
        if number % 2 == 1:
            return web.Response(status=500, text="crash")
        reply = {"replies": [{"text": "A full refund of $20 has been issued. Have a great day!"}]}
        return web.json_response(reply)


async def test_a_bot_answering_500_on_every_second_conversation_is_no_pass(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(FLAKY, encoding="utf-8")
    out, junit, md = tmp_path / "out", tmp_path / "j.xml", tmp_path / "m.md"
    async with CrashingBot() as bot:
        args = ["test", str(path), "--runs", "6", "-c", "1", "--webhook", bot.url]
        reports = ["--out", str(out), "--junit", str(junit), "--markdown", str(md)]
        code = await asyncio.to_thread(main, [*args, *reports])
    assert code == 3
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    (verdict,) = summary["verdicts"]
    assert verdict["verdict"] == "error" and verdict["excluded"]
    reasons = {f["reason"] for f in verdict["infrastructure_faults"]}
    assert reasons and all(
        r.startswith("protocol error: the bot answered HTTP 500: crash") for r in reasons
    )
    root = ET.parse(junit).getroot()
    assert root.attrib["errors"] == "1" and root.attrib["failures"] == "0"
    error = root.find("testsuite/testcase/error")
    assert error is not None
    assert "planned runs have no counted result after their retries" in error.attrib["message"]
    assert "HTTP 500" in (error.text or "")
    assert "the bot did not answer in time" not in (error.text or "")


def test_report_paths_that_cannot_be_written_are_refused_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(FLAKY, encoding="utf-8")
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    out = tmp_path / "out"
    bad = [
        ["--junit", str(tmp_path)],  # a folder
        ["--markdown", str(tmp_path / "afile" / "x.md")],  # under a file
    ]
    for report in bad:
        capsys.readouterr()
        assert main(["test", str(path), "--offline", "--out", str(out), *report]) == 2
        err = capsys.readouterr().err
        assert err.startswith("convsim: error: cannot write the ") and err.count("\n") == 1
        assert "Traceback" not in err and not out.exists()


def test_a_scenario_missing_from_the_baseline_is_judged_by_its_own_expectations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = scenario(tmp_path, "good.toml", [REFUND], name="old-one")
    base = tmp_path / "base"
    assert main(["test", str(good), "--runs", "2", "--out", str(base)]) == 0
    new = scenario(tmp_path, "new.toml", [REPLACE], name="new-one")
    junit = tmp_path / "j.xml"
    capsys.readouterr()
    args = ["test", str(new), "--runs", "2", "--baseline", str(base), "--junit", str(junit)]
    assert main([*args, "--out", str(tmp_path / "new")]) == 1
    assert "new-one: not in the baseline; judged by its own expectations" in capsys.readouterr().out
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None and "not in the baseline" in failure.attrib["message"]
    # The same two folders have no scenario in common: the gate compared nothing.
    report = ["report", str(base), str(tmp_path / "new"), "--fail-on-regression"]
    assert main(report) == 2
    err = capsys.readouterr().err
    assert "OLD and NEW have no scenario with counted runs in common" in err
    assert err.count("convsim: error:") == 1


def test_an_unreachable_bot_still_gets_junit_and_markdown_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(FLAKY, encoding="utf-8")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/webhook"
    junit, md = tmp_path / "j.xml", tmp_path / "m.md"
    args = ["test", str(path), "--webhook", url, "--out", str(tmp_path / "out")]
    assert main([*args, "--junit", str(junit), "--markdown", str(md)]) == 3
    assert f"convsim: error: cannot reach {url}" in capsys.readouterr().err
    root = ET.parse(junit).getroot()
    assert root.attrib["tests"] == "1" and root.attrib["errors"] == "1"
    case = root.find("testsuite/testcase")
    assert case is not None and case.attrib["name"] == "flaky"
    error = case.find("error")
    assert error is not None and f"cannot reach {url}" in error.attrib["message"]
    text = md.read_text(encoding="utf-8")
    assert "0/1 scenarios passed" in text and "⚠️ error" in text
    assert f"the run failed: cannot reach {url}" in text


def test_k_defaults_to_3_and_runs_needed_shows_only_with_until_decided(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = scenario(tmp_path, "s.toml", [REFUND, REPLACE], rate=0.3)
    junit = tmp_path / "j.xml"
    plain_args = ["test", str(path), "--runs", "6", "--junit", str(junit)]
    assert main([*plain_args, "--out", str(tmp_path / "a")]) == 0
    plain = verdicts(tmp_path / "a")["broken-order"]
    assert plain["k"] == 3 and plain["decided_after"] is None
    assert 0 < plain["pass^k"] < plain["pass@k"] < 1  # says more than "all" or "any"
    case = ET.parse(junit).getroot().find("testsuite/testcase")
    assert case is not None
    out = case.findtext("system-out") or ""
    assert "pass^3" in out and "decided" not in out and "undecided" not in out
    capsys.readouterr()
    args = ["test", str(path), "--runs", "6", "--k", "2", "--until-decided", "-c", "1"]
    assert main([*args, "--out", str(tmp_path / "b"), "--junit", str(junit)]) == 0
    sequential = verdicts(tmp_path / "b")["broken-order"]
    assert sequential["k"] == 2 and sequential["decided_after"] is not None
    case = ET.parse(junit).getroot().find("testsuite/testcase")
    assert case is not None
    assert "pass^2" in (case.findtext("system-out") or "")
    assert main(["report", str(tmp_path / "b")]) == 0
    assert "pass^k" in capsys.readouterr().out


def test_decided_after_one_run_reads_as_one_run(tmp_path: Path) -> None:
    path = scenario(tmp_path, "s.toml", [REPLACE])  # every run must pass: one failure decides
    md = tmp_path / "m.md"
    args = ["test", str(path), "--runs", "5", "--until-decided", "-c", "1", "--markdown", str(md)]
    assert main([*args, "--out", str(tmp_path / "o")]) == 1
    text = md.read_text(encoding="utf-8")
    assert "pass@1 0.00; decided after 1 run</summary>" in text
    assert "1 runs" not in text
