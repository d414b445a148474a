"""The open sessions of one wire channel, and the channel base that keeps them.

Every channel (WebSocket, webhook, Socket.IO, Direct Line) hands out sessions by id, routes
inbound frames to them, closes them all when it closes and refuses new ones afterwards. That
bookkeeping lives here once; each channel keeps only what its transport shares between sessions
(a multiplexed link, an HTTP client, a callback server).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from channels.codec import FrameCodec
from channels.inbox import InboxSession
from channels.profile import BotProfile
from channels.where import describe_profile
from convsim_core.channel import Channel, ChannelError


class _Closable(Protocol):
    session_id: str

    async def close(self) -> None: ...


S = TypeVar("S", bound=_Closable)


class SessionRegistry(Generic[S]):
    """Sessions by id, in the order they were opened.

    ``remember_finished`` keeps the ids of that many forgotten sessions, for a transport whose
    late replies for a finished conversation should be acknowledged rather than refused.
    """

    def __init__(self, *, remember_finished: int = 0) -> None:
        self._open: dict[str, S] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._keep = remember_finished
        self.closed = False

    def check_open(self) -> None:
        """``ChannelError`` once the channel was closed: it starts no new conversation."""
        if self.closed:
            raise ChannelError("the channel is closed")

    def add(self, session: S) -> None:
        self._open[session.session_id] = session

    def get(self, session_id: str) -> S | None:
        return self._open.get(session_id)

    def forget(self, session: S) -> None:
        """The session ended (closed, or failed and then closed); safe to call twice."""
        self._open.pop(session.session_id, None)
        if self._keep:
            self._finished[session.session_id] = None
            while len(self._finished) > self._keep:
                self._finished.popitem(last=False)

    def finished(self, session_id: str) -> bool:
        """Whether ``session_id`` is one of the remembered finished sessions."""
        return session_id in self._finished

    def take_all(self) -> list[S]:
        """Every open session, forgotten at once (a shared connection gave up on all of them)."""
        taken, self._open = list(self._open.values()), {}
        return taken

    def __iter__(self) -> Iterator[S]:
        """A snapshot: a session may close (and be forgotten) while the caller iterates."""
        return iter(list(self._open.values()))

    def __len__(self) -> int:
        return len(self._open)

    async def close(self) -> None:
        """Refuse new sessions, then close the open ones one by one."""
        self.closed = True
        for session in self:
            await session.close()


class WireChannel(Channel, Generic[S]):
    """A channel for one kind of bot profile whose sessions a :class:`SessionRegistry` keeps."""

    kind: ClassVar[str]
    """The ``[bot] kind`` this channel speaks; another profile is a programming error."""

    def __init__(self, profile: BotProfile, sessions: SessionRegistry[S] | None = None) -> None:
        if profile.kind != self.kind:
            raise ValueError(
                f"{type(self).__name__} needs a {self.kind} profile, got {profile.kind!r}"
            )
        self.profile = profile
        self.sessions: SessionRegistry[S] = SessionRegistry() if sessions is None else sessions

    def describe(self) -> dict[str, Any]:
        """Kind, URL without secrets, preset and profile file, for the transcript header."""
        return describe_profile(self.profile)

    async def close(self) -> None:
        """Close every session, then what they shared; safe to call twice."""
        await self.sessions.close()
        await self._release()

    async def _release(self) -> None:
        """Release what the sessions shared (a connection, an HTTP client, a server)."""


class FramedChannel(WireChannel[S]):
    """A wire channel whose frames one :class:`FrameCodec` of its profile writes and reads
    (WebSocket, webhook, Direct Line; Socket.IO wraps its frames in events of its own)."""

    def __init__(self, profile: BotProfile, sessions: SessionRegistry[S] | None = None) -> None:
        super().__init__(profile, sessions)
        self.codec = FrameCodec(profile)


C = TypeVar("C", bound="WireChannel[Any]")


class ChannelSession(InboxSession, Generic[C]):
    """A session of one wire channel: it leaves the channel's sessions when it closes, and
    speaks as the channel's profile says."""

    def __init__(self, channel: C, session_id: str) -> None:
        super().__init__(session_id, channel.sessions)
        self._channel = channel

    @property
    def _profile(self) -> BotProfile:
        return self._channel.profile
