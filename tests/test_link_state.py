"""The WebSocket link's rules: reconnect budget, jittered backoff, outbox, with no sockets.

The rules take no time at all, so their delays are plain seconds; the tests through real
sockets below use the suite's time unit.

Then the same rules through the asyncio shell against real servers on 127.0.0.1: a bot that
keeps answering and dropping must never exhaust the budget; a bot that accepts connections
and drops them at once, never sending a frame, must.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
from collections.abc import AsyncIterator, Callable

import pytest
from websockets.asyncio.server import ServerConnection, serve

from channels.link_state import GiveUp, LinkState, Retry, jittered_delay
from channels.profile_parts import ReconnectPolicy
from convsim_core.channel import ChannelError, ChannelState
from tests.support.timeouts import MS, TIMEOUT
from tests.support.wire_bots import Hooks, WsBot
from tests.test_ws_channel import customer, demo_profile, open_session


class FixedRandom(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def link(attempts: int = 3, *, value: float = 1.0) -> LinkState:
    policy = ReconnectPolicy(attempts=attempts, backoff=1.0, max_backoff=8.0)
    return LinkState(policy, FixedRandom(value))


# -- the budget ------------------------------------------------------------------------------


def test_a_bot_that_never_sends_a_frame_runs_out_of_attempts() -> None:
    state = link(attempts=2)
    state.connection_up()
    assert state.connection_lost() == Retry(1.0, 1, 2)
    state.connection_up()  # accepted the connection, then dropped it again at once
    assert state.connection_lost() == Retry(2.0, 2, 2)
    state.connection_up()
    assert state.connection_lost() == GiveUp(2)
    assert state.attempt_failed() == GiveUp(2)  # and stays given up


def test_a_frame_from_the_bot_gives_the_whole_budget_back() -> None:
    state = link(attempts=1)
    state.connection_up()
    for _ in range(5):  # any number of drops, as long as the bot speaks in between
        state.frame_received()
        assert state.connection_lost() == Retry(1.0, 1, 1)
        state.connection_up()
    assert state.connection_lost() == GiveUp(1)  # no frame since the last reconnect


def test_failed_attempts_take_strikes_and_back_off() -> None:
    state = link(attempts=5)
    state.connection_up()
    actions = [state.connection_lost()]
    actions += [state.attempt_failed() for _ in range(5)]
    assert actions == [
        Retry(1.0, 1, 5),
        Retry(2.0, 2, 5),
        Retry(4.0, 3, 5),
        Retry(8.0, 4, 5),  # capped at max_backoff
        Retry(8.0, 5, 5),
        GiveUp(5),
    ]


# -- jitter ----------------------------------------------------------------------------------


def test_each_delay_is_between_half_and_all_of_the_policy_delay() -> None:
    policy = ReconnectPolicy(attempts=4, backoff=0.5, max_backoff=8.0)
    assert jittered_delay(policy, 3, FixedRandom(0.0)) == 1.0
    assert jittered_delay(policy, 3, FixedRandom(1.0)) == 2.0
    rng = random.Random(7)
    for attempt in range(1, 8):
        ceiling = policy.delay(attempt)
        for _ in range(50):
            assert ceiling / 2 <= jittered_delay(policy, attempt, rng) <= ceiling


def test_sessions_that_lose_the_same_bot_do_not_reconnect_in_step() -> None:
    """A bot restart drops every session of a batch at once; their first retries spread out."""
    policy = ReconnectPolicy(attempts=3, backoff=2.0, max_backoff=8.0)
    firsts = []
    for seed in range(200):
        state = LinkState(policy, random.Random(seed))
        state.connection_up()
        action = state.connection_lost()
        assert isinstance(action, Retry)
        firsts.append(action.delay)
    assert len({round(d, 3) for d in firsts}) > 150
    assert min(firsts) < 1.2 and max(firsts) > 1.8  # spread over the [1, 2] s window
    assert statistics.pstdev(firsts) > 0.2


# -- the outbox ------------------------------------------------------------------------------


def test_frames_queued_while_down_go_out_once_in_order_after_the_connect() -> None:
    state = link()
    state.queue("one")
    state.queue("two")
    assert state.next_frame() is None  # not connected yet
    state.connection_up()
    written = []
    while (frame := state.next_frame()) is not None:
        written.append(frame)
        state.frame_written()
    assert written == ["one", "two"] and state.unsent == 0


def test_a_frame_the_socket_accepted_is_never_written_again() -> None:
    state = link()
    state.connection_up()
    state.queue("accepted")
    assert state.next_frame() == "accepted"
    state.frame_written()
    state.queue("refused")  # the socket dropped before accepting this one
    assert state.next_frame() == "refused"
    state.connection_lost()
    state.queue("while down")
    assert state.next_frame() is None
    state.connection_up()
    written = []
    while (frame := state.next_frame()) is not None:
        written.append(frame)
        state.frame_written()
    assert written == ["refused", "while down"]  # "accepted" is not sent twice


# -- through the asyncio shell ---------------------------------------------------------------


async def test_a_bot_that_answers_before_each_drop_never_exhausts_the_budget() -> None:
    async with WsBot() as bot:
        profile = demo_profile(bot.url(), reconnect={"attempts": 1, "backoff": 20 * MS})
        channel, session, hooks = await open_session(profile)
        async with asyncio.timeout(TIMEOUT):
            for round_ in range(1, 4):
                await session.send(customer("drop"))  # echo (a frame), then gone
                await hooks.wait_for(reconnected(hooks, round_))
            await session.send(customer("still here"))
            texts = await hooks.texts_after(4)
        await channel.close()
    assert texts == ["echo: drop"] * 3 + ["echo: still here"]
    assert ChannelState.FAILED not in [state for state, _ in hooks.states]
    assert bot.connections == 4


def reconnected(hooks: Hooks, times: int) -> Callable[[], bool]:
    return lambda: sum(s is ChannelState.CONNECTED for s, _ in hooks.states) >= times


class AcceptAndDropBot:
    """Answers the first connection's first message, then drops every connection at once."""

    def __init__(self) -> None:
        self.connections = 0

    async def handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        if self.connections == 1:
            raw = await ws.recv()
            data = json.loads(raw)
            if data.get("type") == "start":
                raw = await ws.recv()
                data = json.loads(raw)
            reply = {"type": "message", "text": "hi", "final": True}
            await ws.send(json.dumps(reply | {"session_id": data.get("session_id")}))
            await asyncio.sleep(20 * MS)
        ws.transport.abort()


@pytest.fixture
async def dropper() -> AsyncIterator[tuple[AcceptAndDropBot, str]]:
    bot = AcceptAndDropBot()
    async with serve(bot.handle, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        yield bot, f"ws://127.0.0.1:{port}/ws"


async def test_a_bot_that_accepts_and_drops_without_a_frame_runs_out(
    dropper: tuple[AcceptAndDropBot, str],
) -> None:
    bot, url = dropper
    profile = demo_profile(url, reconnect={"attempts": 2, "backoff": 20 * MS})
    channel, session, hooks = await open_session(profile)
    async with asyncio.timeout(TIMEOUT):
        await session.send(customer("hello"))
        await hooks.wait_for(lambda: hooks.ended)
    await channel.close()
    assert hooks.texts == ["hi"]
    assert isinstance(hooks.failure, ChannelError)
    assert "gave up after 2 reconnect attempt(s)" in str(hooks.failure)
    assert bot.connections == 3  # the first, then exactly two reconnects
