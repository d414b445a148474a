"""Every demo bot endpoint, round-tripped with ordinary clients against a real server.

Clients are ``websockets`` and ``aiohttp`` directly (not convsim's channels) so these tests pin
the wire protocol in docs/architecture.md itself. Expected replies come from a fresh
``DemoBotBrain``: the bot is deterministic per seed whatever the session id or protocol.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from channels.app_server import AppServer
from channels.demo_bot import DemoBotBrain, DemoBotServer
from channels.signing import sign
from tests.support.timeouts import MS, TIMEOUT

OPENING = "Hi, I was charged twice this month and I'd like to cancel my subscription."


def expected(*lines: str, seed: int = 0) -> list[list[str]]:
    brain = DemoBotBrain(seed=seed)
    return [brain.reply("any", line) for line in lines]


@attrs.frozen
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Recorder(AppServer):
    """A tiny HTTP server on 127.0.0.1 that records every request (callbacks, serviceUrl)."""

    def __init__(self, status: int = 200) -> None:
        super().__init__()
        self.status = status
        self.requests: list[Recorded] = []
        self._queue: asyncio.Queue[Recorded] = asyncio.Queue()

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        recorded = Recorded(
            request.method, request.path, dict(request.headers), await request.read()
        )
        self.requests.append(recorded)
        self._queue.put_nowait(recorded)
        return web.json_response({"id": f"ack-{len(self.requests)}"}, status=self.status)

    async def next(self) -> Recorded:
        return await asyncio.wait_for(self._queue.get(), TIMEOUT)


@pytest.fixture
async def bot() -> AsyncIterator[DemoBotServer]:
    async with DemoBotServer() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session:
        yield session


async def recv_json(ws: ClientConnection) -> dict[str, Any]:
    frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert isinstance(frame, str)
    data = json.loads(frame)
    assert isinstance(data, dict)
    return data


async def ws_turn(ws: ClientConnection) -> list[dict[str, Any]]:
    """Frames up to and including the one flagged final."""
    frames = []
    while True:
        frame = await recv_json(ws)
        frames.append(frame)
        if frame.get("final"):
            return frames


# -- health and lifecycle ---------------------------------------------------------------------


async def test_health_and_urls(bot: DemoBotServer, http: aiohttp.ClientSession) -> None:
    assert bot.url == f"http://127.0.0.1:{bot.port}"
    assert bot.ws_url == f"ws://127.0.0.1:{bot.port}/ws"
    async with http.get(f"{bot.url}/health") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
    async with http.get(f"{bot.url}/") as response:
        assert (await response.json())["endpoints"]["Rasa REST"] == (
            f"{bot.url}/webhooks/rest/webhook"
        )


async def test_stop_closes_open_websockets_and_frees_the_port() -> None:
    bot = DemoBotServer()
    await bot.start()
    port = bot.port
    async with connect(bot.ws_url) as ws:
        started = time.monotonic()
        await bot.stop()
        assert time.monotonic() - started < TIMEOUT
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    await bot.stop()  # twice is fine


async def test_a_busy_port_raises_oserror_and_leaves_nothing_running(bot: DemoBotServer) -> None:
    other = DemoBotServer(port=bot.port)
    with pytest.raises(OSError):
        await other.start()
    with pytest.raises(RuntimeError):
        _ = other.url


# -- WebSocket JSON ---------------------------------------------------------------------------


async def test_ws_json_turn_has_typing_frames_and_a_final_flag(bot: DemoBotServer) -> None:
    (replies,) = expected(OPENING)
    async with connect(bot.ws_url) as ws:
        await ws.send(json.dumps({"type": "start", "session_id": "s1"}))
        await ws.send(json.dumps({"type": "message", "session_id": "s1", "text": OPENING}))
        frames = await ws_turn(ws)
    typing = {"type": "typing", "session_id": "s1"}
    messages = [
        {"type": "message", "session_id": "s1", "text": text, "final": i == len(replies) - 1}
        for i, text in enumerate(replies)
    ]
    # A typing frame before every message; only the last message is final.
    assert frames == [frame for message in messages for frame in (typing, message)]
    assert bot.received_for("s1") == 1
    assert bot.ws_connections == 1


async def test_ws_json_without_typing_events() -> None:
    async with DemoBotServer(typing_events=False) as bot, connect(bot.ws_url) as ws:
        await ws.send(json.dumps({"type": "message", "session_id": "q", "text": "hello"}))
        frames = await ws_turn(ws)
    assert [f["type"] for f in frames] == ["message"] * len(frames)
    assert [f["text"] for f in frames] == expected("hello")[0]


async def test_ws_json_multiplexes_sessions_on_one_connection(bot: DemoBotServer) -> None:
    lines = {
        "a": ["I'd like to cancel my subscription", "a@example.com"],
        "b": ["Where is my order?", "B-2001"],
    }
    async with connect(bot.ws_url) as ws:
        got: dict[str, list[list[str]]] = {"a": [], "b": []}
        for step in range(2):
            for session in ("a", "b"):
                text = lines[session][step]
                await ws.send(json.dumps({"type": "message", "session_id": session, "text": text}))
            pending = {"a", "b"}
            current: dict[str, list[str]] = {"a": [], "b": []}
            while pending:
                frame = await recv_json(ws)
                if frame["type"] == "message":
                    current[frame["session_id"]].append(frame["text"])
                    if frame["final"]:
                        pending.discard(frame["session_id"])
            for session in ("a", "b"):
                got[session].append(current[session])
    assert got["a"] == expected(*lines["a"])
    assert got["b"] == expected(*lines["b"])
    assert dict(bot.received) == {"a": 2, "b": 2}


async def test_ws_json_bad_frames_get_an_error_frame_and_the_connection_survives(
    bot: DemoBotServer,
) -> None:
    async with connect(bot.ws_url) as ws:
        for bad in (
            "not json",
            "[1, 2]",
            '{"type": "bogus", "session_id": "x"}',
            '{"type": "message", "text": "no session"}',
            '{"type": "message", "session_id": "x", "text": 5}',
        ):
            await ws.send(bad)
            error = await recv_json(ws)
            assert error["type"] == "error" and error["error"], bad
        await ws.send(json.dumps({"type": "message", "session_id": "x", "text": "hi"}))
        frames = await ws_turn(ws)
    assert frames[-1]["text"] == expected("hi")[0][-1]
    assert bot.bad_requests == 5


# -- plain WebSocket --------------------------------------------------------------------------


async def test_plain_ws_is_one_session_per_connection(bot: DemoBotServer) -> None:
    first, second = expected("I need 2FA", "sam@example.org")
    async with connect(bot.plain_ws_url) as ws:
        got = []
        for line, count in (("I need 2FA", len(first)), ("sam@example.org", len(second))):
            await ws.send(line)
            got.append([await asyncio.wait_for(ws.recv(), TIMEOUT) for _ in range(count)])
    assert got == [first, second]
    async with connect(bot.plain_ws_url) as ws:
        await ws.send("sam@example.org")  # a new connection is a new conversation
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == expected("x")[0][0]  # greeting
    assert len(bot.received) == 2 and all(s.startswith("plain-") for s in bot.received)


# -- generic webhooks -------------------------------------------------------------------------


async def test_sync_webhook(bot: DemoBotServer, http: aiohttp.ClientSession) -> None:
    first, second = expected(OPENING, "Sure, my email is dana@example.com")
    for text, replies in ((OPENING, first), ("Sure, my email is dana@example.com", second)):
        async with http.post(
            f"{bot.url}/webhook", json={"session_id": "w1", "text": text}
        ) as response:
            assert response.status == 200
            assert await response.json() == {
                "session_id": "w1",
                "replies": [{"text": t} for t in replies],
            }
    assert bot.received_for("w1") == 2


@pytest.mark.parametrize("secret", [None, "s3cret"])
async def test_async_webhook_posts_each_reply_to_the_callback(
    secret: str | None, http: aiohttp.ClientSession
) -> None:
    (replies,) = expected(OPENING)
    async with DemoBotServer(secret=secret) as bot, Recorder() as callback:
        body = {"session_id": "cb", "text": OPENING, "callback_url": f"{callback.url}/hook"}
        async with http.post(f"{bot.url}/webhook/async", json=body) as response:
            assert response.status == 202
            assert await response.json() == {"status": "accepted"}
        posts = [await callback.next() for _ in replies]
    assert [p.json() for p in posts] == [
        {"session_id": "cb", "text": t, "final": i == len(replies) - 1}
        for i, t in enumerate(replies)
    ]
    for post in posts:
        assert post.method == "POST" and post.path == "/hook"
        assert post.headers["Content-Type"] == "application/json"
        signature = post.headers.get("X-Convsim-Signature")
        if secret is None:
            assert signature is None
        else:
            # Issue 16: t=<unix>,n=<nonce>,sha256=<HMAC of "t.n." + body> (replay-proof).
            assert signature is not None
            stamp, nonce, _ = signature.split(",")
            signed = f"{stamp[2:]}.{nonce[2:]}.".encode() + post.body
            digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
            assert signature == f"{stamp},{nonce},sha256={digest}"
            forged = hmac.new(b"wrong", signed, hashlib.sha256).hexdigest()
            assert signature != f"{stamp},{nonce},sha256={forged}"


async def test_async_webhook_survives_an_unreachable_callback(http: aiohttp.ClientSession) -> None:
    async with Recorder() as gone:
        dead_url = f"{gone.url}/hook"
    async with DemoBotServer() as bot:
        body = {"session_id": "dead", "text": "hi", "callback_url": dead_url}
        async with http.post(f"{bot.url}/webhook/async", json=body) as response:
            assert response.status == 202
        for _ in range(100):
            if bot.callback_failures:
                break
            await asyncio.sleep(20 * MS)
        assert bot.callback_failures == 1
        async with http.get(f"{bot.url}/health") as response:
            assert response.status == 200


# -- Rasa REST --------------------------------------------------------------------------------


async def test_rasa_rest(bot: DemoBotServer, http: aiohttp.ClientSession) -> None:
    (replies,) = expected("Where is my order A-1042?")
    body = {"sender": "rasa-user", "message": "Where is my order A-1042?"}
    async with http.post(f"{bot.url}/webhooks/rest/webhook", json=body) as response:
        assert response.status == 200
        assert await response.json() == [
            {"recipient_id": "rasa-user", "text": text} for text in replies
        ]


# -- Bot Framework ----------------------------------------------------------------------------


def activity(service_url: str, text: str, activity_id: str = "act-1") -> dict[str, Any]:
    return {
        "type": "message",
        "id": activity_id,
        "text": text,
        "from": {"id": "user-1", "name": "Dana"},
        "recipient": {"id": "bot-1", "name": "Support bot"},
        "conversation": {"id": "19:conv@thread"},
        "channelId": "convsim",
        "serviceUrl": service_url,
    }


async def test_bot_framework_posts_replies_before_answering_the_held_request(
    http: aiohttp.ClientSession,
) -> None:
    (replies,) = expected(OPENING)
    async with (
        DemoBotServer(reply_delay=50 * MS) as bot,
        Recorder() as service,
        http.post(f"{bot.url}/api/messages", json=activity(service.url, OPENING)) as response,
    ):
        assert response.status == 200
        # Held: by the time the bot answers, the typing and every reply are posted.
        posted = list(service.requests)
    assert len(posted) == 1 + len(replies)
    for post in posted:
        assert post.path == "/v3/conversations/19:conv@thread/activities/act-1"
    typing, *messages = (p.json() for p in posted)
    assert typing["type"] == "typing"
    assert [m["text"] for m in messages] == replies
    for i, message in enumerate(messages):
        assert message["type"] == "message"
        assert message["replyToId"] == "act-1"
        assert message["conversation"] == {"id": "19:conv@thread"}
        assert message["from"] == {"id": "bot-1", "name": "Support bot"}
        assert message["recipient"] == {"id": "user-1", "name": "Dana"}
        hint = "expectingInput" if i == len(messages) - 1 else "ignoringInput"
        assert message["inputHint"] == hint
    assert bot.received_for("19:conv@thread") == 1


async def test_bot_framework_without_holding_answers_202_at_once(
    http: aiohttp.ClientSession,
) -> None:
    (replies,) = expected("hello")
    async with (
        DemoBotServer(hold_response=False, typing_events=False, reply_delay=500 * MS) as bot,
        Recorder() as service,
    ):
        async with http.post(f"{bot.url}/api/messages", json=activity(service.url, "hello")) as r:
            assert r.status == 202
            assert service.requests == []
        posts = [await service.next() for _ in replies]
    assert [p.json()["text"] for p in posts] == replies


async def test_bot_framework_reports_an_unreachable_service_url(
    http: aiohttp.ClientSession,
) -> None:
    async with (
        Recorder(status=500) as service,
        DemoBotServer() as bot,
        http.post(f"{bot.url}/api/messages", json=activity(service.url, "hi")) as response,
    ):
        assert response.status == 502
        assert "500" in (await response.json())["error"]


async def test_bot_framework_acknowledges_other_activities_silently(
    http: aiohttp.ClientSession,
) -> None:
    async with DemoBotServer() as bot, Recorder() as service:
        update = {**activity(service.url, ""), "type": "conversationUpdate"}
        async with http.post(f"{bot.url}/api/messages", json=update) as response:
            assert response.status == 200
        assert service.requests == []
        assert dict(bot.received) == {}


# -- bad requests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/webhook", b"not json"),
        ("/webhook", b""),
        ("/webhook", b"[1, 2]"),
        ("/webhook", b'{"text": "missing session"}'),
        ("/webhook", b'{"session_id": 7, "text": "hi"}'),
        ("/webhook", b'{"session_id": "s"}'),
        ("/webhook", b"\xff\xfe"),
        ("/webhook/async", b'{"session_id": "s", "text": "hi"}'),
        ("/webhook/async", b'{"session_id": "s", "text": "hi", "callback_url": "ftp://x/y"}'),
        ("/webhook/async", b'{"session_id": "s", "text": "hi", "callback_url": "nowhere"}'),
        ("/webhooks/rest/webhook", b'{"message": "hi"}'),
        ("/webhooks/rest/webhook", b'{"sender": "s", "message": null}'),
        ("/api/messages", b'{"type": "message"}'),
        (
            "/api/messages",
            b'{"type": "message", "id": "1", "text": "hi", "conversation": "c",'
            b' "serviceUrl": "http://127.0.0.1:9"}',
        ),
        (
            "/api/messages",
            b'{"type": "message", "id": "1", "text": "hi",'
            b' "conversation": {"id": "c"}, "serviceUrl": "javascript:x"}',
        ),
        ("/api/messages", b'{"id": "1"}'),
    ],
)
async def test_bad_requests_get_400_with_a_json_error(
    bot: DemoBotServer, http: aiohttp.ClientSession, path: str, body: bytes
) -> None:
    headers = {"Content-Type": "application/json"}
    async with http.post(f"{bot.url}{path}", data=body, headers=headers) as response:
        assert response.status == 400
        error = (await response.json())["error"]
        assert isinstance(error, str) and error
    assert bot.bad_requests == 1
    assert dict(bot.received) == {}
    async with http.get(f"{bot.url}/health") as response:
        assert response.status == 200


async def test_with_a_secret_a_signed_request_must_match(http: aiohttp.ClientSession) -> None:
    body = json.dumps({"session_id": "sig", "text": "hello"}).encode()
    # Issue 16: the signature format carries a timestamp and nonce (see channels.signing).
    good = sign(b"k", body)
    bad = sign(b"other", body)
    async with DemoBotServer(secret="k") as bot:
        statuses = []
        for signature in (good, bad, None):
            headers = {"Content-Type": "application/json"}
            if signature is not None:
                headers["X-Convsim-Signature"] = signature
            async with http.post(f"{bot.url}/webhook", data=body, headers=headers) as response:
                statuses.append(response.status)
                if response.status == 401:
                    assert "X-Convsim-Signature" in (await response.json())["error"]
    assert statuses == [200, 401, 200]
    assert bot.received_for("sig") == 2
