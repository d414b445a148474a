"""Item 2 of issue 16: control characters from outside are shown harmless, kept exact on disk."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest

from channels.callback_server import CallbackServer, Verdict
from channels.profile import CallbackSpec
from convsim_core.logsafe import SafeFormatter, StormGuard
from convsim_core.persistence import read_transcript
from convsim_core.textsafe import one_line, printable
from tests.support.timeouts import MS, TIMEOUT
from tests.support.wire_bots import WsBot
from tui.cli import main
from tui.widgets.transcript import message_body

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07hidden\x1b[8m text\u202eevil\r"

SCENARIO = f"""
name = "hostile"
title = "A hostile bot"
max_messages = 4
initial_message = "hello \\u001b[2J there"

[customer]
kind = "scripted"
turns = ["bye"]

[[outcomes]]
name = "done"
description = "never"
keywords = ["zzz-never"]

[termination]
response_timeout = {3000 * MS}
inactivity_timeout = {3000 * MS}
max_wall_time = {20_000 * MS}
typing_delay = false
"""


def test_printable_and_one_line() -> None:
    shown = printable(HOSTILE)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\r" not in shown
    assert shown.startswith("\\x1b]0;pwned\\x07\\x1b[2J")
    assert "\\u202eevil\\r" in shown
    assert printable("two\nlines\tand tab") == "two\nlines\tand tab"
    assert one_line("a\nb\r\x00") == "a\\nb\\r\\x00"
    plain = "Ünïcode, emoji 👍 and quotes 'ok'"
    assert printable(plain) is plain


async def test_connect_headless_neutralises_a_bot_reply_and_keeps_it_in_the_transcript(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "hostile.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "run.jsonl"
    async with WsBot() as bot:
        argv = ["connect", str(scenario), "--ws", bot.url(), "--headless", "--out", str(out)]
        code = await asyncio.wait_for(asyncio.to_thread(main, argv), TIMEOUT * 3)
    seen = capsys.readouterr()
    assert code == 0, seen.err
    assert "\x1b" not in seen.out + seen.err  # not a tty: no colour, and no bot escapes
    assert "echo: hello \\x1b[2J there" in seen.out
    saved = read_transcript(out)
    assert saved.messages[1].content == "echo: hello \x1b[2J there"  # the exact text on disk


def test_show_neutralises_escapes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.jsonl"
    import json

    lines = [
        {"schema_version": 1, "type": "header", "scenario": "x\x1b]0;t\x07", "seed": 1},
        {
            "schema_version": 1,
            "type": "message",
            "content": HOSTILE,
            "timestamp": "2026-01-01T00:00:00+00:00",
            "sender": "agent",
            "index": 0,
        },
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b]0;pwned" in out


def test_tui_message_body_is_neutralised() -> None:
    body = message_body(HOSTILE)
    assert "\x1b" not in str(body) and "\\x1b" in str(body)


def test_the_log_formatter_keeps_one_record_on_one_line() -> None:
    record = logging.LogRecord(
        "channels.x", logging.WARNING, __file__, 1, "rejected %s", ("/cb\nWARNING forged",), None
    )
    text = SafeFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert text == "WARNING channels.x: rejected /cb\\nWARNING forged"


def test_the_storm_guard_holds_back_repeats_and_says_how_many() -> None:
    now = [0.0]
    guard = StormGuard(burst=3, window=10, clock=lambda: now[0])

    def record() -> logging.LogRecord:
        return logging.LogRecord("a", logging.ERROR, __file__, 1, "accept failed %s", (1,), None)

    passed = [r for r in (record() for _ in range(1000)) if guard.filter(r)]
    assert len(passed) == 3
    now[0] = 11.0
    after = record()
    assert guard.filter(after)
    assert "997 similar message(s) held back" in after.getMessage()


async def test_a_callback_path_cannot_forge_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    server = CallbackServer(
        CallbackSpec(path="/callback"),
        max_body_bytes=1000,
        secret=b"s3cret",
        handler=lambda body, cid: Verdict(200),
    )
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            forged = "/v3/conversations/x%0aCRITICAL%20forged%1b[2J/activities"
            async with http.post(server.base_url + forged, data=b"{}") as response:
                assert response.status == 401
    finally:
        await server.stop()
    warnings = [r for r in caplog.records if "rejected callback" in r.getMessage()]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "\n" not in message and "\x1b" not in message
    assert "x\\nCRITICAL forged\\x1b[2J" in message


async def test_the_tui_transcript_shows_escapes_not_terminal_commands() -> None:
    from datetime import UTC, datetime, timedelta

    from convsim_core.models import Message, ParticipantRole
    from tests.test_tui_transcript import TranscriptApp
    from tui.testing import wait_until

    start = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    app = TranscriptApp(max_live=2)
    async with app.run_test(size=(100, 30)) as pilot:
        for index in range(5):  # some end up archived (compact lines), some live bubbles
            sender = ParticipantRole.AGENT if index % 2 else ParticipantRole.CUSTOMER
            text = f"reply {index} {HOSTILE}"
            app.view.add_message(index, Message(text, start + timedelta(seconds=index), sender))
            await pilot.pause()
        await wait_until(pilot, lambda: app.view.archived_count == 3)
        screen = app.export_screenshot()
        shown = [m.content for _, m in app.view.messages_shown()]
    assert all(HOSTILE in text for text in shown)  # the model keeps the exact text
    assert "\x1b" not in screen and "\x07" not in screen
    assert "x1b]0;pwned" in screen
