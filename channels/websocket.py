"""WebSocket channel: a connection per session, or one shared connection multiplexed by session id.

Which one is the bot's choice (``[bot.websocket] session_mode``): a bot that keys conversations by
connection gets ``connection``; a bot that reads a session id from every frame (the demo bot)
gets ``multiplexed``, which also saves a handshake per conversation in batch runs.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

from channels.codec import Outgoing
from channels.profile import BotProfile, ProfileError
from channels.sessions import ChannelSession, FramedChannel
from channels.unroutable import UnroutableLog
from channels.where import wire_ids
from channels.ws_link import LinkEvents, WsLink
from convsim_core.channel import ChannelError, ChannelState, ProtocolError
from convsim_core.models import Message

logger = logging.getLogger(__name__)


class WebSocketSession(ChannelSession["WebSocketChannel"]):
    """One conversation; its frames travel on its own link or on the channel's shared one."""

    def __init__(self, channel: WebSocketChannel, session_id: str) -> None:
        super().__init__(channel, session_id)
        self._codec = channel.codec
        self._link: WsLink | None = None
        self._owns_link = False
        self.setup_frame: str | None = self._codec.encode_setup(self._outgoing(""))

    def _outgoing(
        self, text: str, timestamp: datetime | None = None, message: Message | None = None
    ) -> Outgoing:
        return Outgoing(
            text=text,
            session_id=self.session_id,
            timestamp=timestamp or datetime.now(UTC),
            choice=message.choice if message is not None else None,
        )

    def attach(self, link: WsLink, *, owns: bool) -> None:
        self._link, self._owns_link = link, owns

    def handle_frame(self, raw: str | bytes) -> None:
        """A frame on this session's own connection (``connection`` mode)."""
        self.deliver_from(lambda: self._codec.decode(raw))

    async def send(self, message: Message) -> None:
        """Hand the message to the link; if the link is down it is sent after the reconnect."""
        self._check_open()
        assert self._link is not None
        frame = self._codec.encode(self._outgoing(message.content, message.timestamp, message))
        self._record(message)  # before the await: a quick reply must come after it
        try:
            await self._link.send(frame)
        except ChannelError:
            self._unrecord(message)
            raise

    def describe(self) -> dict[str, str]:
        return wire_ids(self._channel.profile.request.body, self.session_id)

    async def _release(self) -> None:
        if self._owns_link and self._link is not None:
            await self._link.close()


class WebSocketChannel(FramedChannel[WebSocketSession]):
    """Reaches a WebSocket bot as its :class:`BotProfile` describes."""

    kind = "websocket"

    def __init__(self, profile: BotProfile) -> None:
        super().__init__(profile)
        self._shared: WsLink | None = None
        self._shared_lock = asyncio.Lock()
        self._unroutable = UnroutableLog()

    @property
    def multiplexed(self) -> bool:
        return self.profile.session_mode == "multiplexed"

    async def create_session(self) -> WebSocketSession:
        """Open (or join) a connection; ``ChannelError("cannot reach ...")`` if the bot is away."""
        self.sessions.check_open()
        session = WebSocketSession(self, uuid.uuid4().hex)
        if self.multiplexed:
            link = await self._shared_link()
            session.attach(link, owns=False)
        else:

            def failed(error: ChannelError) -> None:
                # Frames still waiting for a connection never reached the bot.
                session.undelivered += link.pending_frames
                session.fail(error)

            link = self._new_link(
                LinkEvents(
                    session.handle_frame,
                    session.report_state,
                    failed,
                    greeting=lambda: self._greeting([session]),
                )
            )
            await link.open()
            session.attach(link, owns=True)
        self.sessions.add(session)
        if session.setup_frame is not None:
            await link.send(session.setup_frame)
        return session

    async def _release(self) -> None:
        if self._shared is not None:
            await self._shared.close()
            self._shared = None

    def _new_link(self, events: LinkEvents) -> WsLink:
        profile = self.profile
        try:
            url, headers = profile.resolved_url(), profile.resolved_headers()
        except ProfileError as exc:  # the environment changed since the profile was loaded
            raise ChannelError(str(exc)) from exc
        return WsLink(profile, url=url, headers=headers, events=events)

    def _greeting(self, sessions: list[WebSocketSession]) -> list[str]:
        if not self.profile.request.resend_setup:
            return []
        return [s.setup_frame for s in sessions if s.setup_frame is not None and s.is_open]

    async def _shared_link(self) -> WsLink:
        async with self._shared_lock:
            if self._shared is None or self._shared.failed:
                link = self._new_link(
                    LinkEvents(
                        self._route_frame,
                        self._broadcast_state,
                        self._fail_all,
                        greeting=lambda: self._greeting(list(self.sessions)),
                    )
                )
                await link.open()
                self._shared = link
            return self._shared

    def _route_frame(self, raw: str | bytes) -> None:
        """A frame on the shared connection: find its session by the routing path."""
        try:
            document = self.codec.parse(raw)
            session_id = self.codec.session_of(document)
        except ProtocolError as error:
            # Unroutable: every session on the connection may be the one missing a reply.
            for session in self.sessions:
                session.report_protocol_error(error)
            if not self.sessions:
                self._unroutable.frame_dropped(str(error), f"[{error.excerpt}]")
            return
        target = self.sessions.get(session_id)
        if target is None:
            self._unroutable.frame_dropped(f"for unknown session {session_id!r}")
            return
        target.deliver_from(lambda: self.codec.interpret(document))

    def _broadcast_state(self, state: ChannelState, detail: str) -> None:
        for session in self.sessions:
            session.report_state(state, detail)

    def _fail_all(self, error: ChannelError) -> None:
        """The shared link gave up: its sessions fail; new sessions get a new link."""
        for session in self.sessions.take_all():
            session.fail(error)
