"""``convsim test``: exit codes, JUnit/Markdown, retries, --until-decided, --resume, budgets.

Suites are built here: offline full simulations whose agent always refunds (pass), always
replaces (fail) or does either by seed (borderline), and hybrid ones against the real demo
bot on 127.0.0.1. Fixed seeds make every count below exact.
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from channels.demo_bot import DemoBotServer
from convsim_core.batch.folder import transcript_files
from tests.support.ports import free_port as _closed_port
from tests.support.refund_scenario import refund_toml
from tui.cli import main

REFUND = "A full refund of $20 has been issued."
REPLACE = "A replacement is on its way to you."

SUITE = """
name = "{name}"
title = "Broken order"
max_messages = 12
seed = {seed}

[initial_message]
sender = "customer"
content = "Hi, my order arrived broken. Can you help?"

[customer.offline]
satisfied_when = ["refund of", "replacement is on its way"]

[agent.offline]
greeting = []
steps = [{{ say = "Sorry to hear that! Let me sort it out." }}]
resolution = {resolution}

[[outcomes]]
name = "refunded"
keywords = ["full refund of"]
said_by = "agent"

[[outcomes]]
name = "replaced"
keywords = ["replacement is on its way"]
said_by = "agent"

[expect]
pass = ["refunded"]
min_pass_rate = {rate}
{extra}
"""


def scenario(
    folder: Path,
    file: str,
    resolution: list[str],
    *,
    name: str = "broken-order",
    rate: float = 1.0,
    extra: str = "",
    seed: int = 1,
) -> Path:
    path = folder / file
    text = SUITE.format(
        name=name, seed=seed, resolution=json.dumps(resolution), rate=rate, extra=extra
    )
    path.write_text(text, encoding="utf-8")
    return path


def transcripts(folder: Path) -> list[str]:
    """The recorded conversations (an outage pause sets its first try aside as ``.partial``)."""
    return sorted(p.stem for p in transcript_files(folder))


def verdicts(folder: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return {v["scenario"]: v for v in data["verdicts"]}


# -- exit codes, JUnit, Markdown -----------------------------------------------------------------


def test_a_passing_suite_exits_0_and_writes_readable_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = scenario(tmp_path, "good.toml", [REFUND], extra='must_say = ["full refund"]')
    out, junit, md = tmp_path / "out", tmp_path / "junit.xml", tmp_path / "summary.md"
    reports = ["--junit", str(junit), "--markdown", str(md)]
    code = main(["test", str(good), "--runs", "4", "--out", str(out), *reports])
    assert code == 0
    printed = capsys.readouterr().out
    assert "broken-order  PASS" in printed
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    assert root.attrib["tests"] == "1" and root.attrib["failures"] == "0"
    (suite,) = root.findall("testsuite")
    assert suite.attrib["errors"] == "0" and "timestamp" in suite.attrib
    (case,) = suite.findall("testcase")
    assert case.attrib["name"] == "broken-order"
    assert case.attrib["classname"] == "convsim.broken-order"
    assert float(case.attrib["time"]) >= 0
    assert case.find("failure") is None and case.find("error") is None
    props = {p.attrib["name"]: p.attrib["value"] for p in suite.iter("property")}
    assert props["batch_folder"] == str(out) and len(props["config_hash"]) == 12
    text = md.read_text(encoding="utf-8")
    assert "| broken-order | ✅ pass | 4/4 (100%) |" in text
    summary = verdicts(out)["broken-order"]
    assert summary["verdict"] == "pass" and summary["pass^k"] == 1.0
    # k defaults to min(3, counted runs): pass^4 of 4 runs would only restate "all passed".
    assert summary["k"] == 3 and summary["wilson_95"][0] == pytest.approx(0.5101, abs=1e-4)
    csv_head, csv_row = (out / "summary.csv").read_text(encoding="utf-8").splitlines()[:2]
    assert "verdict" in csv_head.split(",") and ",pass," in csv_row


def test_a_failing_suite_exits_1_and_names_each_failing_conversation(tmp_path: Path) -> None:
    good = scenario(tmp_path, "good.toml", [REFUND], name="good")
    bad = scenario(
        tmp_path, "bad.toml", [REPLACE], name="bad", extra='must_not_say = ["sort it out"]'
    )
    out, junit, md = tmp_path / "out", tmp_path / "junit.xml", tmp_path / "summary.md"
    args = ["test", str(good), str(bad), "--runs", "3", "--out", str(out)]
    assert main([*args, "--junit", str(junit), "--markdown", str(md)]) == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.attrib["tests"], suite.attrib["failures"], suite.attrib["errors"]) == (
        "2",
        "1",
        "0",
    )
    cases = {c.attrib["name"]: c for c in suite.findall("testcase")}
    assert cases["good"].find("failure") is None
    failure = cases["bad"].find("failure")
    assert failure is not None
    assert failure.attrib["type"] == "expectations"
    assert failure.attrib["message"].startswith("pass rate 0/3 (0%")
    assert failure.text is not None
    for run_id in ("bad-0000", "bad-0001", "bad-0002"):
        line = next(line for line in failure.text.splitlines() if line.startswith(run_id))
        assert "outcome replaced" in line
        assert "the agent said 'sort it out' (message 1)" in line
        assert f"transcript {out / run_id}.jsonl" in line
    assert "❌ fail" in md.read_text(encoding="utf-8")


def _bot_scenario(folder: Path) -> Path:
    path = folder / "bot.toml"
    text = refund_toml() + '\n[expect]\npass = ["resolved"]\nfail = ["escalated"]\n'
    path.write_text(text, encoding="utf-8")
    return path


async def test_against_the_demo_bot_pass_unreachable_and_channel_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bot_scenario(tmp_path)
    async with DemoBotServer() as bot:
        ok = await asyncio.to_thread(
            main,
            ["test", str(path), "--runs", "2", "--ws", bot.ws_url, "--out", str(tmp_path / "ok")],
        )
        assert ok == 0
        # Reachable, but every conversation is a channel error (a wrong webhook path: 404).
        junit = tmp_path / "broken.xml"
        broken = await asyncio.to_thread(
            main,
            [
                *["test", str(path), "--runs", "2", "--retries", "1", "--out", str(tmp_path / "b")],
                *["--webhook", f"{bot.url}/no-such-path", "--junit", str(junit)],
            ],
        )
    assert broken == 3
    # Each conversation was tried twice (--retries 1) and every try is kept on disk.
    assert transcripts(tmp_path / "b") == [
        "refund-demo-bot-0000",
        "refund-demo-bot-0000-retry1",
        "refund-demo-bot-0001",
        "refund-demo-bot-0001-retry1",
    ]
    verdict = verdicts(tmp_path / "b")["refund-demo-bot"]
    assert verdict["verdict"] == "error" and verdict["faults"]["infrastructure"] == 4
    case = ET.parse(junit).getroot().find("testsuite/testcase")
    assert case is not None
    error = case.find("error")
    assert error is not None and error.attrib["type"] == "run_failed"
    assert error.text is not None and "answered HTTP 404" in error.text
    capsys.readouterr()
    # Nobody listening: the run itself failed, with one line saying why.
    port = _closed_port()
    args = ["test", str(path), "--ws", f"ws://127.0.0.1:{port}/ws", "--out", str(tmp_path / "u")]
    assert await asyncio.to_thread(main, args) == 3
    assert f"convsim: error: cannot reach ws://127.0.0.1:{port}/ws" in capsys.readouterr().err


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text(
        SUITE.format(
            name="plain", seed=1, resolution=json.dumps([REFUND]), rate=1.0, extra=""
        ).split("[expect]")[0],
        encoding="utf-8",
    )
    assert main(["test", str(plain), "--out", str(tmp_path / "o")]) == 2
    assert "no [expect] table" in capsys.readouterr().err
    assert main(["test", "no-such.toml"]) == 2
    with pytest.raises(SystemExit) as exited:
        main(["test", str(plain), "--retries", "-1"])
    assert exited.value.code == 2


# -- --until-decided ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "verdict", "needed"),
    [
        ([REFUND], "pass", 8),  # clear pass: the SPRT accepts after 8 straight passes
        ([REPLACE], "fail", 8),  # clear fail
        ([REFUND, REPLACE], "pass", 27),  # borderline (~50% against 50%): nearly every run
    ],
)
def test_until_decided_stops_early_only_on_clear_cases(
    tmp_path: Path, resolution: list[str], verdict: str, needed: int
) -> None:
    path = scenario(tmp_path, "s.toml", resolution, rate=0.5)
    out = tmp_path / "out"
    code = main(
        ["test", str(path), "--runs", "30", "--until-decided", "-c", "1", "--out", str(out)]
    )
    assert code == (0 if verdict == "pass" else 1)
    assert len(transcripts(out)) == needed
    summary = verdicts(out)["broken-order"]
    assert summary["verdict"] == verdict and summary["decided_after"] == needed


# -- --resume and the configuration hash ----------------------------------------------------------


def test_resume_refuses_a_changed_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = scenario(tmp_path, "s.toml", [REFUND])
    out = tmp_path / "out"
    assert main(["test", str(path), "--runs", "2", "--out", str(out)]) == 0
    header = json.loads((out / "broken-order-0000.jsonl").read_text().splitlines()[0])
    manifest = json.loads((out / "batch.json").read_text())
    config = manifest["settings"]["config"]
    assert header["batch"]["config_hash"] == config["scenarios"]["broken-order"]["hash"]
    assert len(header["config_hash"]) == 12  # without the bot: also in single-run transcripts
    assert json.loads((out / "summary.json").read_text())["config_hashes"] == [config["hash"]]
    # Same configuration: resuming is fine (nothing left to run).
    assert main(["test", str(path), "--runs", "2", "--resume", "--out", str(out)]) == 0
    scenario(tmp_path, "s.toml", [REFUND, "Refunded: a full refund of $20 is on its way."])
    capsys.readouterr()
    assert main(["test", str(path), "--runs", "2", "--resume", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "was run with a different configuration (changed: scenario 'broken-order')" in err


# -- the baseline gate ----------------------------------------------------------------------------


def test_baseline_fails_only_on_a_significant_drop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = scenario(tmp_path, "good.toml", [REFUND])
    base = tmp_path / "base"
    assert main(["test", str(good), "--runs", "12", "--out", str(base)]) == 0
    # The same scenario (same name), now refunding only about half of the time.
    worse = scenario(tmp_path, "worse.toml", [REFUND, REPLACE])
    junit = tmp_path / "gate.xml"
    args = ["test", str(worse), "--runs", "12", "--baseline", str(base), "--junit", str(junit)]
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "new")]) == 1
    printed = capsys.readouterr().out
    assert "12/12 (100%) -> " in printed and "REGRESSED" in printed
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None and failure.attrib["message"].startswith("pass rate dropped")
    # Against itself nothing dropped; 12 runs a side are too few to see a 20-point drop.
    same = ["test", str(good), "--runs", "12", "--baseline", str(base)]
    assert main([*same, "--out", str(tmp_path / "same")]) == 0
    printed = capsys.readouterr().out
    assert "warning: broken-order: 12 OLD and 12 NEW runs detect a 20-point drop" in printed
    # The same gate on two finished folders.
    assert main(["report", str(base), str(tmp_path / "new"), "--fail-on-regression"]) == 1
    assert main(["report", str(base), str(tmp_path / "same"), "--fail-on-regression"]) == 0
    assert main(["report", str(base), "--fail-on-regression"]) == 2


async def test_baseline_warns_when_the_targets_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bot_scenario(tmp_path)
    base = tmp_path / "base"
    # A full simulation of the bot scenario: the simulated agent never refunds (exit 1).
    assert (
        await asyncio.to_thread(main, ["test", str(path), "--runs", "2", "--out", str(base)]) == 1
    )
    async with DemoBotServer() as bot:
        args = ["test", str(path), "--runs", "2", "--ws", bot.ws_url, "--baseline", str(base)]
        code = await asyncio.to_thread(main, [*args, "--out", str(tmp_path / "new")])
    assert code == 0
    printed = capsys.readouterr().out
    expected = "warning: OLD and NEW ran against different targets"
    assert f"{expected} (OLD: full simulation; NEW: ws {bot.ws_url})" in printed


def test_a_bad_bot_url_is_a_usage_error_not_a_failed_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bot_scenario(tmp_path)
    assert (
        main(["test", str(path), "--ws", "http://not-a-ws-url", "--out", str(tmp_path / "o")]) == 2
    )
    assert "convsim: error:" in capsys.readouterr().err


def test_a_baseline_that_is_no_batch_folder_is_refused_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = scenario(tmp_path, "good.toml", [REFUND])
    (tmp_path / "empty").mkdir()
    out = tmp_path / "out"
    args = ["test", str(good), "--baseline", str(tmp_path / "empty"), "--out", str(out)]
    assert main(args) == 2
    assert "--baseline: " in capsys.readouterr().err and not out.exists()
