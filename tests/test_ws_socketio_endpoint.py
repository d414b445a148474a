"""``--ws`` pointed at a Socket.IO server: one line naming ``--socketio``, not Engine.IO frames.

Against the real python-socketio server of the Socket.IO tests: its open packet
(``0{"sid":...,"pingInterval":...}``) on a plain WebSocket, or its HTTP 400 for a handshake
without ``EIO=4``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from channels.engineio_sniff import SOCKETIO_ENDPOINT, is_engineio_open, is_engineio_refusal
from channels.factory import make_channel
from channels.profile import profile_for_url
from convsim_core.channel import ChannelState
from tests.support.refund_scenario import refund_toml
from tests.support.socketio_bots import RasaSocketBot
from tests.support.timeouts import TIMEOUT
from tests.support.wire_bots import Hooks
from tui.cli import main


@pytest.fixture
async def rasa() -> AsyncIterator[RasaSocketBot]:
    async with RasaSocketBot(path="chat") as bot:  # a path that does not say "socket.io"
        yield bot


def ws_url(bot: RasaSocketBot, tail: str) -> str:
    return "ws" + bot.url.removeprefix("http") + tail


@pytest.mark.parametrize(
    "tail", ["/chat/?EIO=4&transport=websocket", "/chat/"], ids=["open-packet", "refused"]
)
async def test_connect_ws_to_a_socketio_server_is_one_line_and_exit_2(
    rasa: RasaSocketBot, tmp_path: Path, capsys: pytest.CaptureFixture[str], tail: str
) -> None:
    scenario, out = tmp_path / "refund.toml", tmp_path / "run.jsonl"
    scenario.write_text(refund_toml(reconnect=True))
    url = ws_url(rasa, tail)
    argv = ["connect", str(scenario), "--ws", url, "--headless", "--out", str(out)]
    code = await asyncio.wait_for(asyncio.to_thread(main, argv), TIMEOUT * 4)
    seen = capsys.readouterr()
    assert code == 2
    assert seen.err.strip().splitlines() == [f"convsim: error: {url}: {SOCKETIO_ENDPOINT}"]
    assert "unreadable bot message" not in seen.out
    assert not rasa.received


async def test_the_websocket_channel_stops_at_the_open_packet(rasa: RasaSocketBot) -> None:
    """No pre-run check (e.g. it ran before the server was swapped): the channel fails at once."""
    url = ws_url(rasa, "/chat/?EIO=4&transport=websocket")
    channel = make_channel(profile_for_url(url, kind="ws", preset="plain-ws", environ={}))
    session = await channel.create_session()
    hooks = Hooks(session)
    async with asyncio.timeout(TIMEOUT):
        await hooks.wait_for(lambda: hooks.ended)
    failed = [detail for state, detail in hooks.states if state is ChannelState.FAILED]
    assert failed == [f"{url}: {SOCKETIO_ENDPOINT}"]
    assert str(hooks.failure) == f"{url}: {SOCKETIO_ENDPOINT}"  # the run ends with it
    assert hooks.texts == [] and hooks.errors == []  # no "unreadable" Engine.IO frames
    assert not any(state is ChannelState.RECONNECTING for state, _ in hooks.states)
    await channel.close()


def test_only_the_engineio_open_packet_and_refusals_are_recognised() -> None:
    assert is_engineio_open('0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":1}')
    assert not is_engineio_open('0{"sid":"a"}')  # a bot's own JSON that happens to start so
    assert not is_engineio_open("0{not json")
    assert not is_engineio_open(b'0{"sid":"a","pingInterval":1}')  # binary frames are not it
    assert not is_engineio_open('{"text": "0{sid pingInterval"}')
    assert is_engineio_refusal(b'{"code":0,"message":"Transport unknown"}')
    assert not is_engineio_refusal(b'{"error": "bad token"}')
