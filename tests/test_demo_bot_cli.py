"""``convsim bot``: starts the demo bot, prints every URL, stops cleanly, explains a busy port."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from websockets.asyncio.client import connect

from channels.signing import verify
from tests.support.timeouts import MS, TIMEOUT
from tests.test_demo_bot_protocols import Recorder, expected, ws_turn
from tui.cli import build_parser, main

REPO = Path(__file__).resolve().parent.parent
URL_LINE = re.compile(r"^\s+([A-Za-z ]+): ((?:ws|http)://\S+)$", re.MULTILINE)


async def wait_for_output(capsys: pytest.CaptureFixture[str], marker: str) -> str:
    seen = ""
    for _ in range(int(TIMEOUT / (20 * MS))):
        seen += capsys.readouterr().out
        if marker in seen:
            return seen
        await asyncio.sleep(20 * MS)
    raise AssertionError(f"{marker!r} never printed; got:\n{seen}")


async def test_convsim_bot_prints_every_url_serves_them_and_stops_when_cancelled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = build_parser().parse_args(["bot", "--port", "0"])
    task = asyncio.create_task(args.handler(args))
    try:
        out = await wait_for_output(capsys, "Press Ctrl-C to stop.")
    except BaseException:
        task.cancel()
        raise
    urls = dict(URL_LINE.findall(out))
    port = int(re.search(r":(\d+)/ws$", urls["WebSocket"]).group(1))  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    assert urls == {
        "WebSocket": f"ws://127.0.0.1:{port}/ws",
        "Plain WebSocket": f"ws://127.0.0.1:{port}/ws/plain",
        "Webhook": f"{base}/webhook",
        "Async webhook": f"{base}/webhook/async",
        "Rasa REST": f"{base}/webhooks/rest/webhook",
        "Bot Framework": f"{base}/api/messages",
        "Rasa SocketIO": f"{base}/socket.io/",
        "Chainlit SocketIO": f"{base}/ws/socket.io/",
        "Direct Line": f"{base}/v3/directline",
        "Health": f"{base}/health",
    }
    async with aiohttp.ClientSession() as http:
        async with http.get(urls["Health"]) as response:
            assert await response.json() == {"status": "ok"}
        body = {"session_id": "cli", "text": "hello"}
        async with http.post(urls["Webhook"], json=body) as response:
            assert [r["text"] for r in (await response.json())["replies"]] == expected("hello")[0]
    async with connect(urls["WebSocket"]) as ws:
        await ws.send(json.dumps({"type": "message", "session_id": "w", "text": "hello"}))
        assert (await ws_turn(ws))[-1]["final"] is True

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "Demo bot stopped." in capsys.readouterr().out
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_secret_env_signs_async_callbacks_with_that_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_BOT_TEST_SECRET", "from-the-env")
    args = build_parser().parse_args(["bot", "--port", "0", "--secret-env", "DEMO_BOT_TEST_SECRET"])
    task = asyncio.create_task(args.handler(args))
    try:
        out = await wait_for_output(capsys, "Press Ctrl-C to stop.")
        assert "$DEMO_BOT_TEST_SECRET" in out and "from-the-env" not in out
        async_url = dict(URL_LINE.findall(out))["Async webhook"]
        async with Recorder() as callback, aiohttp.ClientSession() as http:
            body = {"session_id": "s", "text": "hi", "callback_url": callback.url}
            async with http.post(async_url, json=body) as response:
                assert response.status == 202
            post = await callback.next()
        assert verify(b"from-the-env", post.body, post.headers["X-Convsim-Signature"])
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_ctrl_c_shuts_the_real_command_down_cleanly() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tui",
        "bot",
        "--port",
        "0",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        banner = ""
        while "Press Ctrl-C to stop." not in banner:
            line = await asyncio.wait_for(proc.stdout.readline(), TIMEOUT * 4)
            assert line, f"convsim bot exited early: {banner}"
            banner += line.decode()
        health = dict(URL_LINE.findall(banner))["Health"]
        async with aiohttp.ClientSession() as http, http.get(health) as response:
            assert response.status == 200
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip().endswith("Demo bot stopped.")
    assert "Traceback" not in err.decode()


def test_busy_port_is_a_one_line_error_with_exit_code_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["bot", "--port", str(port)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("convsim: error: cannot listen on 127.0.0.1:")
    assert "already in use" in lines[0]
    assert "Press Ctrl-C" not in captured.out


def test_missing_secret_env_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEMO_BOT_TEST_NO_SUCH_SECRET", raising=False)
    assert main(["bot", "--port", "0", "--secret-env", "DEMO_BOT_TEST_NO_SUCH_SECRET"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "DEMO_BOT_TEST_NO_SUCH_SECRET" in line


@pytest.mark.parametrize("argv", [["--port", "70000"], ["--reply-delay", "-1"]])
def test_nonsense_options_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bot", *argv])
    assert exit_info.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("convsim: error:") and "convsim bot --help" in line
