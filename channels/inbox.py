"""What every wire session shares: the conversation record and the ordered inbox of replies.

The transports (websocket, webhook, callback server, Socket.IO, Direct Line) only call
:meth:`InboxSession.deliver` (or :meth:`deliver_from`), :meth:`fail` and :meth:`finish`; ordering,
de-duplication, the moment a turn-complete flag is reported and the order of the steps of
``close()`` live here once. A transport releases its own resources in :meth:`_release`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from channels.codec import Inbound
from convsim_core.channel import ChannelError, ChannelState, ProtocolError, Session
from convsim_core.models import Conversation, Message, ParticipantRole

if TYPE_CHECKING:
    from channels.sessions import SessionRegistry

logger = logging.getLogger(__name__)
_AGENT = ParticipantRole.AGENT


@attrs.frozen
class _Item:
    message: Message | None
    turn_complete: bool = False


_WAKE = _Item(message=None)
"""Queued when the session ends so a waiting subscriber looks at the end state."""


class InboxSession(Session):
    """A session whose agent messages arrive from a transport callback into an ordered queue."""

    def __init__(self, session_id: str, registry: SessionRegistry[Any] | None = None) -> None:
        self.session_id = session_id
        self._registry = registry
        """The channel's sessions, which this one leaves when it closes."""
        self._messages: list[Message] = []
        self._inbox: asyncio.Queue[_Item] = asyncio.Queue()
        self._end: ChannelError | bool | None = None
        """None while open; a ChannelError once the channel failed; True once closed."""
        self._seen_ids: set[str] = set()
        self._closing = False
        self._hook: Callable[[ProtocolError], None] | None = None
        self._early_errors: list[ProtocolError] = []

    @property
    def on_protocol_error(self) -> Callable[[ProtocolError], None] | None:
        return self._hook

    @on_protocol_error.setter
    def on_protocol_error(self, hook: Callable[[ProtocolError], None] | None) -> None:
        """Errors seen before anyone listened (a failed session-start message) come now."""
        self._hook = hook
        if hook is not None:
            early, self._early_errors = self._early_errors, []
            for error in early:
                hook(error)

    @property
    def is_open(self) -> bool:
        return self._end is None

    def _check_open(self) -> None:
        if isinstance(self._end, ChannelError):
            raise ChannelError(str(self._end))
        if self._end is not None:
            raise ChannelError(f"session {self.session_id} is closed")

    def _record(self, message: Message) -> None:
        self._messages.append(message)

    def _unrecord(self, message: Message) -> None:
        """Take back a customer message the transport refused outright."""
        for index in range(len(self._messages) - 1, -1, -1):
            if self._messages[index] is message:
                del self._messages[index]
                return

    async def close(self) -> None:
        """End the conversation: the subscriber stops, the channel forgets it, the transport
        lets go of it; CLOSED is reported only if it had not failed. Safe to call twice."""
        if self._closing:  # even a failed session is closed once only
            return
        self._closing = True
        was_open = self.is_open
        self.finish()
        if self._registry is not None:
            self._registry.forget(self)
        await self._release()
        if was_open:
            self.report_state(ChannelState.CLOSED, "session closed")

    async def _release(self) -> None:
        """What the transport holds for this session alone (a connection, tasks)."""

    # -- called by transports ---------------------------------------------------------------

    def deliver(self, inbound: Inbound) -> None:
        """Queue the replies of one frame, in order, each stamped with its arrival time."""
        if not self.is_open:
            logger.debug("session %s: dropped a reply that came after the end", self.session_id)
            return
        reply_id = inbound.message_id
        if reply_id is not None:
            if reply_id in self._seen_ids:
                logger.info("session %s: dropped repeated reply %s", self.session_id, reply_id)
                return
            self._seen_ids.add(reply_id)
        last = len(inbound.texts) - 1
        for index, text in enumerate(inbound.texts):
            extras = inbound.extras_at(index)
            message = Message(content=text, timestamp=datetime.now(UTC), sender=_AGENT)
            if extras is not None:
                message = attrs.evolve(
                    message, attachments=extras.attachments, quick_replies=extras.quick_replies
                )
            self._messages.append(message)
            self._inbox.put_nowait(_Item(message, inbound.turn_complete and index == last))
        if not inbound.texts and inbound.turn_complete:
            self._inbox.put_nowait(_Item(message=None, turn_complete=True))

    def deliver_from(self, read: Callable[[], Inbound | None]) -> ProtocolError | None:
        """Deliver what ``read()`` makes of a frame; its ``ProtocolError`` is reported instead.

        Returns that error, for a transport that also answers it (a callback gets a 400).
        """
        try:
            inbound = read()
        except ProtocolError as error:
            self.report_protocol_error(error)
            return error
        if inbound is not None:
            self.deliver(inbound)
        return None

    def report_protocol_error(self, error: ProtocolError) -> None:
        logger.warning("session %s: protocol error: %s [%s]", self.session_id, error, error.excerpt)
        if self._hook is None:
            self._early_errors.append(error)
            return
        self._report_protocol_error(error)

    def report_state(self, state: ChannelState, detail: str = "") -> None:
        self._report_state(state, detail)

    def fail(self, error: ChannelError) -> None:
        """The channel cannot go on: ``subscribe()`` raises once queued replies are read."""
        if self._end is None:
            self._end = error
            self._inbox.put_nowait(_WAKE)

    def finish(self) -> None:
        """The session was closed: ``subscribe()`` ends once queued replies are read."""
        if self._end is None:
            self._end = True
            self._inbox.put_nowait(_WAKE)

    # -- the Session interface --------------------------------------------------------------

    async def get_conversation(self) -> Conversation:
        return Conversation(messages=tuple(self._messages))

    async def subscribe(self) -> AsyncIterator[Message]:
        """Agent messages in arrival order; one subscriber at a time.

        A turn-complete flag is reported right after the flagged message was handed over (when
        the subscriber asks for the next one), so the runner never hears "turn over" before it has
        seen the turn's last message.
        """
        while True:
            if self._inbox.empty() and self._end is not None:
                if isinstance(self._end, ChannelError):
                    raise ChannelError(str(self._end)) from self._end
                return
            item = await self._inbox.get()
            if item.message is not None:
                yield item.message
            if item.turn_complete:
                self._report_turn_complete()
