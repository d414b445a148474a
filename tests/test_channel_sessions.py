"""What every wire channel shares: the session registry, the close sequence, the kind check."""

from __future__ import annotations

import pytest

from channels.codec import Inbound
from channels.directline import DirectLineChannel
from channels.inbox import InboxSession
from channels.profile import profile_for_url
from channels.sessions import SessionRegistry
from channels.socketio import SocketIOChannel
from channels.webhook import WebhookChannel
from channels.websocket import WebSocketChannel
from convsim_core.channel import ChannelError, ChannelState, ProtocolError
from convsim_core.models import Message


class _Session(InboxSession):
    """An inbox session whose transport only counts how often it was released."""

    def __init__(self, session_id: str, registry: SessionRegistry[_Session]) -> None:
        super().__init__(session_id, registry)
        self.released = 0
        self.states: list[tuple[ChannelState, str]] = []
        self.on_state_change = lambda state, detail: self.states.append((state, detail))

    async def send(self, message: Message) -> None:
        self._check_open()
        self._record(message)

    async def _release(self) -> None:
        self.released += 1


def _registry(*ids: str, remember_finished: int = 0) -> SessionRegistry[_Session]:
    registry: SessionRegistry[_Session] = SessionRegistry(remember_finished=remember_finished)
    for session_id in ids:
        registry.add(_Session(session_id, registry))
    return registry


async def test_close_forgets_releases_and_reports_closed_once() -> None:
    registry = _registry("a", "b")
    session = registry.get("a")
    assert session is not None
    await session.close()
    await session.close()
    assert registry.get("a") is None and [s.session_id for s in registry] == ["b"]
    assert session.released == 1
    assert session.states == [(ChannelState.CLOSED, "session closed")]


async def test_a_failed_session_is_released_but_not_reported_closed() -> None:
    registry = _registry("a")
    session = registry.get("a")
    assert session is not None
    session.fail(ChannelError("gone"))
    await session.close()
    assert session.released == 1 and session.states == [] and len(registry) == 0


async def test_closing_the_registry_closes_every_session_and_refuses_new_ones() -> None:
    registry = _registry("a", "b", "c")
    sessions = list(registry)
    await registry.close()  # each close forgets itself while the registry iterates
    assert len(registry) == 0 and all(s.released == 1 for s in sessions)
    with pytest.raises(ChannelError, match="the channel is closed"):
        registry.check_open()


def test_finished_ids_are_remembered_up_to_the_limit_oldest_first_out() -> None:
    registry = _registry("a", "b", "c", remember_finished=2)
    for session_id in ("a", "b", "c"):
        found = registry.get(session_id)
        assert found is not None
        registry.forget(found)
    assert [registry.finished(i) for i in ("a", "b", "c")] == [False, True, True]
    assert not _registry("x").finished("x")


def test_take_all_empties_the_registry() -> None:
    registry = _registry("a", "b")
    assert [s.session_id for s in registry.take_all()] == ["a", "b"]
    assert len(registry) == 0 and registry.get("a") is None


def test_deliver_from_reports_an_unreadable_frame_and_returns_its_error() -> None:
    session = _Session("a", _registry())
    errors: list[ProtocolError] = []
    session.on_protocol_error = errors.append
    bad = ProtocolError("not JSON", "{oops")

    def unreadable() -> Inbound | None:
        raise bad

    assert session.deliver_from(unreadable) is bad and errors == [bad]
    assert session.deliver_from(lambda: None) is None
    assert session.deliver_from(lambda: Inbound(texts=("hi",))) is None
    assert session._inbox.qsize() == 1


@pytest.mark.parametrize(
    ("channel", "kind", "url"),
    [
        (WebSocketChannel, "websocket", "ws://127.0.0.1:9/ws"),
        (WebhookChannel, "webhook", "http://127.0.0.1:9/webhook"),
        (SocketIOChannel, "socketio", "http://127.0.0.1:9"),
        (DirectLineChannel, "directline", "http://user:pw@127.0.0.1:9/v3/directline"),
    ],
)
def test_every_wire_channel_checks_its_kind_and_describes_its_bot(
    channel: type[WebSocketChannel | WebhookChannel | SocketIOChannel | DirectLineChannel],
    kind: str,
    url: str,
) -> None:
    profile = profile_for_url(url, kind=kind, environ={"DIRECTLINE_SECRET": "s"})
    described = channel(profile).describe()
    assert described["kind"] == kind and described["url"] == url.replace("user:pw@", "")
    other, other_url = ("websocket", "ws://h:9") if kind == "webhook" else ("webhook", "http://h:9")
    wrong = profile_for_url(other_url, kind=other, environ={})
    with pytest.raises(ValueError, match=f"{channel.__name__} needs a {kind} profile"):
        channel(wrong)
