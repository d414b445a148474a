"""Socket.IO channel vs a raw python-socketio client; Direct Line stream vs polling latency.

    python -m benchmarks.bench_socketio [--messages 1000] [--rounds 5] [--dl-messages 40]

The servers run in a separate process so the client side is measured alone: a python-socketio
echo server speaking Rasa's events (``user_uttered`` -> ``bot_uttered``) and the Direct Line 3.0
test server (``tests/support/directline_server.py``: REST, stream WebSocket, watermarks).

Socket.IO: each round measures a raw ``socketio.AsyncClient`` (emit, await the reply event) and
:class:`~channels.socketio.SocketIOChannel` (rasa-socketio preset) back to back over the
WebSocket transport; the median round is reported per round trip with the channel/raw ratio
(target: <= 1.25x). Direct Line: the time from ``send`` to the reply for the same echo bot, over
the stream and by polling (at the default 1 s interval and at 0.2 s).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import statistics
import time
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import socketio  # type: ignore[import-untyped]

from benchmarks.bench_channels import BATCH, RoundTrip, _through_channel
from channels.factory import make_channel, profile_for_url
from convsim_core.models import Message, ParticipantRole
from tests.support.directline_server import SECRET, DirectLineServer
from tests.support.socketio_bots import EchoSocketServer

TARGET_RATIO = 1.25
THINK_SECONDS = 0.05
"""The second Direct Line bot answers this long after the POST returned, as most real bots do."""
TEXT = "Hello, I would like to cancel my subscription please."


async def _serve(ports: Any) -> None:
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    echo = EchoSocketServer()
    await echo.start()
    directline = DirectLineServer(keepalive=5.0)
    await directline.start()
    thinking = DirectLineServer(keepalive=5.0, reply_delay=THINK_SECONDS)
    await thinking.start()
    ports.put((echo.port, directline.port, thinking.port))
    await asyncio.Event().wait()


def _server_process(ports: Any) -> None:
    asyncio.run(_serve(ports))


async def _raw_socketio(url: str) -> AsyncGenerator[RoundTrip, None]:
    client = socketio.AsyncClient(reconnection=False, handle_sigint=False)
    replies: asyncio.Queue[Any] = asyncio.Queue()

    async def on_reply(data: Any) -> None:
        replies.put_nowait(data)

    client.on("bot_uttered", on_reply)
    await client.connect(url, transports=["websocket"], wait_timeout=10)
    try:

        async def run(n: int) -> None:
            for _ in range(n):
                await client.emit("user_uttered", {"message": TEXT, "session_id": "raw"})
                reply = await replies.get()
                assert reply["text"] == f"echo: {TEXT}"

        yield run
    finally:
        await client.disconnect()


async def socketio_round_trips(port: int, messages: int, rounds: int) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}"
    base = {"socketio": {"transports": ["websocket"]}}
    profile = profile_for_url(url, kind="socketio", preset="rasa-socketio", base=base)
    clients = {
        "raw python-socketio": _raw_socketio(url),
        "SocketIOChannel": _through_channel(make_channel(profile)),
    }
    runs = {name: await anext(client) for name, client in clients.items()}
    for run in runs.values():
        await run(max(50, messages // 10))
    results: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        spent = dict.fromkeys(runs, 0.0)
        batches = max(1, messages // BATCH)
        for _batch in range(batches):
            for name, run in runs.items():  # interleaved: load spikes hit both alike
                start = time.perf_counter()
                await run(BATCH)
                spent[name] += time.perf_counter() - start
        for name, seconds in spent.items():
            results[name].append(seconds / (batches * BATCH) * 1e6)
    for client in clients.values():
        await client.aclose()
    return {name: statistics.median(values) for name, values in results.items()}


async def directline_latency(port: int, messages: int, poll_interval: float | None) -> float:
    """Median milliseconds from send() to the reply (stream when ``poll_interval`` is None)."""
    os.environ["DIRECTLINE_SECRET"] = SECRET
    directline: dict[str, Any] = {"stream": poll_interval is None}
    if poll_interval is not None:
        directline["poll_interval"] = poll_interval
    profile = profile_for_url(
        f"http://127.0.0.1:{port}/v3/directline",
        kind="directline",
        base={"directline": directline},
    )
    channel = make_channel(profile)
    session = await channel.create_session()
    stream = session.subscribe()
    latencies = []
    try:
        for index in range(messages):
            message = Message(
                content=f"{TEXT} {index}",
                timestamp=datetime.now(UTC),
                sender=ParticipantRole.CUSTOMER,
            )
            start = time.perf_counter()
            await session.send(message)
            reply = await anext(stream)
            latencies.append((time.perf_counter() - start) * 1e3)
            assert reply.content == f"echo: {message.content}"
    finally:
        await channel.close()
    return statistics.median(latencies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="Socket.IO round trips/round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (the median is reported)")
    parser.add_argument("--dl-messages", type=int, default=40, help="Direct Line messages/mode")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=_server_process, args=(ports,), daemon=True)
    server.start()
    try:
        sio_port, dl_port, think_port = ports.get(timeout=30)
        figures = asyncio.run(socketio_round_trips(sio_port, args.messages, args.rounds))
        few = max(5, args.dl_messages // 4)
        latency: dict[str, list[float]] = {}
        for port in (dl_port, think_port):
            latency.setdefault("stream", []).append(
                asyncio.run(directline_latency(port, args.dl_messages, None))
            )
            latency.setdefault("polling every 1.0 s", []).append(
                asyncio.run(directline_latency(port, few, 1.0))
            )
            latency.setdefault("polling every 0.2 s", []).append(
                asyncio.run(directline_latency(port, few, 0.2))
            )
    finally:
        server.terminate()
        server.join()
    raw, ours = figures["raw python-socketio"], figures["SocketIOChannel"]
    ratio = ours / raw
    print(f"Socket.IO: {args.messages} round trips x {args.rounds} rounds (median), 127.0.0.1")
    print(f"  raw python-socketio  {raw:8.1f} us/rt")
    print(f"  SocketIOChannel      {ours:8.1f} us/rt  {ratio:.2f}x")
    print(f"  target <= {TARGET_RATIO}x raw: {'met' if ratio <= TARGET_RATIO else 'NOT met'}")
    think_ms = THINK_SECONDS * 1000
    print(f"Direct Line: median send -> reply (bot answers at once / after {think_ms:.0f} ms)")
    for mode, (instant, slow) in latency.items():
        print(f"  {mode:<20} {instant:8.1f} ms / {slow:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
