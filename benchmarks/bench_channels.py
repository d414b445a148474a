"""Per-message round trip through the channels vs a raw client, against the same loopback bot.

    python -m benchmarks.bench_channels [--messages 2000] [--rounds 5]

A demo-like echo bot (aiohttp: a multiplexed JSON WebSocket at ``/ws`` and the sync generic JSON
webhook at ``/webhook``) runs in a separate process so the client side is measured alone. Each
round measures four clients back to back on the same bot: a raw ``websockets`` client, the
:class:`~channels.websocket.WebSocketChannel`, a raw aiohttp keep-alive POST and the
:class:`~channels.webhook.WebhookChannel`; the median round is reported as microseconds per round
trip and the channel/raw ratio (target: <= 1.25x).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import statistics
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import attrs
from aiohttp import web
from websockets.asyncio.client import connect

from channels.factory import make_channel, profile_for_url
from convsim_core.channel import Channel, Session
from convsim_core.models import Message, ParticipantRole

TARGET_RATIO = 1.25
BATCH = 50
TEXT = "Hello, I would like to cancel my subscription please."


# -- the bot (own process) ---------------------------------------------------------------------


async def _ws_echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for frame in ws:
        if frame.type is not aiohttp.WSMsgType.TEXT:
            continue
        data = json.loads(frame.data)
        reply = {
            "type": "message",
            "session_id": data["session_id"],
            "text": f"echo: {data['text']}",
            "final": True,
        }
        await ws.send_str(json.dumps(reply))
    return ws


async def _webhook_echo(request: web.Request) -> web.Response:
    data = await request.json()
    replies = [{"text": f"echo: {data['text']}"}]
    return web.json_response({"session_id": data["session_id"], "replies": replies})


async def _serve(ports: Any) -> None:
    app = web.Application()
    app.router.add_get("/ws", _ws_echo)
    app.router.add_post("/webhook", _webhook_echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ports.put(site.port)
    await asyncio.Event().wait()


def _bot_process(ports: Any) -> None:
    asyncio.run(_serve(ports))


# -- the clients -------------------------------------------------------------------------------

RoundTrip = Callable[[int], Awaitable[None]]
"""Runs ``n`` sequential round trips."""


def _message() -> Message:
    return Message(content=TEXT, timestamp=datetime.now(UTC), sender=ParticipantRole.CUSTOMER)


async def _raw_ws(url: str) -> AsyncGenerator[RoundTrip, None]:
    async with connect(url) as ws:

        async def run(n: int) -> None:
            for _ in range(n):
                frame = {"type": "message", "session_id": "raw", "text": TEXT}
                await ws.send(json.dumps(frame))
                reply = json.loads(await ws.recv())
                assert reply["type"] == "message" and reply["text"].startswith("echo")

        yield run


async def _raw_http(url: str) -> AsyncGenerator[RoundTrip, None]:
    async with aiohttp.ClientSession() as http:

        async def run(n: int) -> None:
            for _ in range(n):
                body = json.dumps({"session_id": "raw", "text": TEXT}).encode()
                headers = {"Content-Type": "application/json"}
                async with http.post(url, data=body, headers=headers) as response:
                    reply = json.loads(await response.read())
                assert reply["replies"][0]["text"].startswith("echo")

        yield run


async def _through_channel(channel: Channel) -> AsyncGenerator[RoundTrip, None]:
    session: Session = await channel.create_session()
    stream = session.subscribe()
    try:

        async def run(n: int) -> None:
            for _ in range(n):
                await session.send(_message())
                reply = await anext(stream)
                assert reply.content.startswith("echo")

        yield run
    finally:
        await channel.close()


@attrs.frozen
class Figures:
    wall_us: float
    """Wall time per round trip (the bot's time included)."""
    cpu_us: float
    """This process's CPU time per round trip: the client side alone (the bot runs elsewhere)."""


async def _measure(
    clients: dict[str, AsyncGenerator[RoundTrip, None]], messages: int, rounds: int
) -> dict[str, Figures]:
    """Median over rounds; within a round the clients take turns in batches of BATCH round
    trips, so a burst of load on the machine hits all of them alike."""
    runs = {name: await anext(client) for name, client in clients.items()}
    for run in runs.values():  # warm up connections, caches and code paths
        await run(max(50, messages // 10))
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        spent = {name: [0.0, 0.0] for name in runs}
        for _batch in range(max(1, messages // BATCH)):
            for name, run in runs.items():
                wall_start, cpu_start = time.perf_counter(), time.process_time()
                await run(BATCH)
                spent[name][0] += time.perf_counter() - wall_start
                spent[name][1] += time.process_time() - cpu_start
        done = max(1, messages // BATCH) * BATCH
        for name, (wall_s, cpu_s) in spent.items():
            wall[name].append(wall_s / done * 1e6)
            cpu[name].append(cpu_s / done * 1e6)
    for client in clients.values():
        await client.aclose()
    return {
        name: Figures(statistics.median(wall[name]), statistics.median(cpu[name])) for name in runs
    }


async def bench(port: int, messages: int, rounds: int) -> dict[str, Figures]:
    ws_url = f"ws://127.0.0.1:{port}/ws"
    http_url = f"http://127.0.0.1:{port}/webhook"
    ws_channel = make_channel(profile_for_url(ws_url, kind="ws", preset="demo-ws"))
    http_channel = make_channel(profile_for_url(http_url, kind="webhook", preset="generic-json"))
    clients = {
        "raw websockets": _raw_ws(ws_url),
        "WebSocketChannel": _through_channel(ws_channel),
        "raw aiohttp POST": _raw_http(http_url),
        "WebhookChannel": _through_channel(http_channel),
    }
    return await _measure(clients, messages, rounds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="round trips per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (the median is reported)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    bot = context.Process(target=_bot_process, args=(ports,), daemon=True)
    bot.start()
    try:
        port = ports.get(timeout=30)
        results = asyncio.run(bench(port, args.messages, args.rounds))
    finally:
        bot.terminate()
        bot.join()
    print(f"{args.messages} round trips x {args.rounds} rounds (median round), 127.0.0.1")
    print(f"  {'':<18} {'wall us/rt':>10} {'ratio':>6}   {'client CPU us/rt':>16} {'ratio':>6}")
    ok = True
    for raw, channel in (
        ("raw websockets", "WebSocketChannel"),
        ("raw aiohttp POST", "WebhookChannel"),
    ):
        base, ours = results[raw], results[channel]
        wall_ratio, cpu_ratio = ours.wall_us / base.wall_us, ours.cpu_us / base.cpu_us
        ok &= wall_ratio <= TARGET_RATIO
        print(f"  {raw:<18} {base.wall_us:10.1f} {'':>6}   {base.cpu_us:16.1f}")
        print(
            f"  {channel:<18} {ours.wall_us:10.1f} {wall_ratio:5.2f}x"
            f"   {ours.cpu_us:16.1f} {cpu_ratio:5.2f}x"
        )
    print(f"wall-time target <= {TARGET_RATIO}x raw: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
