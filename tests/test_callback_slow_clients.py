"""Item 3 of issue 16: half-sent requests cannot pile up in the callback server.

Loopback only and a bounded number of clients: 300 connections each send a request line, a
``Content-Length: 100000`` header (or no end of headers at all) and one byte, then wait. The
server keeps at most ``max_connections`` of them, closes each within its header or body time,
writes a handful of log lines, and still answers a good callback afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

import aiohttp
import pytest

from channels.callback_server import CallbackServer, Verdict
from channels.profile import CallbackSpec
from channels.signing import SIGNATURE_HEADER, sign
from tests.support.timeouts import TIMEOUT

SECRET = b"s3cret"
CLIENTS = 300
CAP = 40
UNIT = TIMEOUT / 10  # 0.5 s by default; scaled with CONVSIM_TEST_TIMEOUT


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
async def test_half_sent_requests_are_bounded_and_cut(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    delivered: list[bytes] = []

    def handler(body: bytes, _cid: str | None) -> Verdict:
        delivered.append(body)
        return Verdict(200)

    server = CallbackServer(
        CallbackSpec(path="/callback"),
        max_body_bytes=200_000,
        secret=SECRET,
        handler=handler,
        max_connections=CAP,
        header_timeout=UNIT,
        body_timeout=UNIT,
    )
    await server.start()
    port = server.port
    assert port is not None
    before = open_descriptors()
    writers: list[asyncio.StreamWriter] = []
    readers: list[asyncio.StreamReader] = []
    peak = 0
    try:
        for number in range(CLIENTS):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            if number % 2:  # headers complete, body of 100,000 announced, one byte sent
                writer.write(
                    b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nx"
                )
            else:  # headers never finished
                writer.write(b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Le")
            readers.append(reader)
            writers.append(writer)
            peak = max(peak, server.open_connections)
        await asyncio.sleep(0)
        peak = max(peak, server.open_connections)
        assert peak <= CAP
        # Every connection is closed by the server within its allowance (EOF or reset).
        async with asyncio.timeout(UNIT * 6 + TIMEOUT):
            for reader in readers:
                with contextlib.suppress(ConnectionError):
                    while await reader.read(65536):
                        pass
        assert server.open_connections == 0
        assert server.guard.refused + server.guard.timed_out >= CLIENTS
        assert server.guard.timed_out >= CAP // 2
    finally:
        for writer in writers:
            writer.close()
        for writer in writers:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
    try:
        # The server still works, and the flood cost no descriptors.
        body = b'{"session_id":"s","text":"hi"}'
        async with aiohttp.ClientSession() as http:
            headers = {SIGNATURE_HEADER: sign(SECRET, body)}
            async with http.post(server.callback_url, data=body, headers=headers) as response:
                assert response.status == 200
        assert delivered == [body]
    finally:
        await server.stop()
    assert open_descriptors() <= before + 2
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) <= 6, [r.getMessage() for r in lines]
    assert any("closed connections" in r.getMessage() for r in lines)


async def test_a_replayed_signed_callback_is_refused() -> None:
    delivered: list[bytes] = []

    def handler(body: bytes, _cid: str | None) -> Verdict:
        delivered.append(body)
        return Verdict(200)

    server = CallbackServer(
        CallbackSpec(path="/callback"), max_body_bytes=1000, secret=SECRET, handler=handler
    )
    await server.start()
    body = b'{"session_id":"s","text":"only once"}'
    headers = {SIGNATURE_HEADER: sign(SECRET, body)}
    stale = {SIGNATURE_HEADER: sign(SECRET, body, timestamp=1_000_000_000)}
    try:
        async with aiohttp.ClientSession() as http:
            statuses = []
            for sent in (headers, headers, stale):
                async with http.post(server.callback_url, data=body, headers=sent) as response:
                    statuses.append((response.status, (await response.json()).get("error")))
    finally:
        await server.stop()
    assert statuses[0] == (200, None)
    assert statuses[1][0] == 401 and "replayed" in statuses[1][1]
    assert statuses[2][0] == 401 and "timestamp" in statuses[2][1]
    assert delivered == [body]


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHILD = """
import asyncio, logging, os, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (96, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
from channels.callback_server import CallbackServer, Verdict
from channels.profile import CallbackSpec
from convsim_core.logsafe import console_handler
logging.basicConfig(level=logging.WARNING, handlers=[console_handler(logging.WARNING)])

async def main():
    unit = float(sys.argv[1])
    server = CallbackServer(CallbackSpec(path="/callback"), max_body_bytes=200000, secret=None,
                            handler=lambda body, cid: Verdict(200), header_timeout=unit,
                            body_timeout=unit)
    await server.start()
    print("port", server.port, server.guard.max_connections, flush=True)
    peak = 0
    for _ in range(30):  # three units, a look every tenth of one
        peak = max(peak, len(os.listdir("/proc/self/fd")))
        await asyncio.sleep(unit / 10)
    print("peak", peak, flush=True)
    await server.stop()

asyncio.run(main())
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
async def test_near_the_open_file_limit_the_server_caps_itself_and_stays_quiet() -> None:
    import subprocess
    import sys

    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(UNIT),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert child.stdout is not None
    first = (await asyncio.wait_for(child.stdout.readline(), TIMEOUT * 2)).split()
    port, cap = int(first[1]), int(first[2])
    assert cap == 24  # a quarter of the 96 descriptors the process may open
    writers = []
    for _ in range(300):
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nx")
            writers.append(writer)
    out, err = await asyncio.wait_for(child.communicate(), TIMEOUT * 4)
    for writer in writers:
        writer.close()
    peak = int(out.split()[-1])
    assert peak < 96  # never at the limit, so accept() never fails
    lines = err.decode().splitlines()
    assert len(lines) <= 6, lines
    assert "Traceback" not in err.decode()
