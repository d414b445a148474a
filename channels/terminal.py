"""Play mode's channel: the agent is a person typing in the TUI, so there is no wire at all.

The TUI calls :meth:`TerminalSession.submit` with what the person typed; the hybrid runner reads
it from :meth:`TerminalSession.subscribe` exactly as it would read a bot's replies, and hands the
simulated customer's messages to :meth:`TerminalSession.send`. Keeping play mode on the same
runner as real bots means a person can rehearse a scenario under the same timing rules.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import attrs

from convsim_core.channel import Channel, ChannelError, ChannelState, Session
from convsim_core.models import Conversation, Message, ParticipantRole

logger = logging.getLogger(__name__)

_ids = itertools.count(1)


@attrs.frozen
class _Submitted:
    message: Message
    final: bool


@attrs.frozen
class _End:
    pass


class TerminalSession(Session):
    """One play-mode chat: a queue of the person's messages and a record of both sides."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self._inbox: asyncio.Queue[_Submitted | _End] = asyncio.Queue()
        self._messages: list[Message] = []
        self._ended = False
        self.on_customer_message: Callable[[Message], None] | None = None
        """Optional: told about each customer message as it is sent (the runner's events say
        the same; this is for UIs that watch the session rather than the runner)."""

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def customer_messages(self) -> tuple[Message, ...]:
        return tuple(m for m in self._messages if m.sender is ParticipantRole.CUSTOMER)

    async def submit(self, text: str, *, final: bool = False) -> None:
        """The person's next agent message; ``final=True`` also says "my turn is done"."""
        if self._ended:
            raise ChannelError("the chat has ended; nothing more can be sent")
        if not text.strip():
            raise ValueError("an agent message needs some text")
        message = Message(content=text, timestamp=datetime.now(UTC), sender=ParticipantRole.AGENT)
        self._messages.append(message)
        self._inbox.put_nowait(_Submitted(message, final))

    async def end(self) -> None:
        """The person ends the chat: ``subscribe()`` finishes once it has delivered the rest."""
        if not self._ended:
            self._ended = True
            self._inbox.put_nowait(_End())

    async def send(self, message: Message) -> None:
        if self._ended:
            # The customer finished typing just as the person left: nobody reads it, but it is
            # no failure either; the runner sees subscribe() end and finishes normally.
            logger.debug("customer message after the chat ended: %r", message.content)
            return
        self._messages.append(message)
        if self.on_customer_message is not None:
            self.on_customer_message(message)

    async def subscribe(self) -> AsyncIterator[Message]:
        while True:
            item = await self._inbox.get()
            if isinstance(item, _End):
                return
            if item.final:
                # Before the yield: a consumer that stops after this message still hears it.
                self._report_turn_complete()
            yield item.message

    async def get_conversation(self) -> Conversation:
        # The ignore works around mypy's attrs plugin on ``converter=tuple`` (core models too).
        return Conversation(messages=tuple(self._messages))  # type: ignore[arg-type,unused-ignore]

    async def close(self) -> None:
        if not self._ended:
            await self.end()
        self._report_state(ChannelState.CLOSED)


class TerminalChannel(Channel):
    """Creates play-mode sessions; closing the channel ends every session still open."""

    def __init__(self) -> None:
        self.sessions: list[TerminalSession] = []

    async def create_session(self) -> TerminalSession:
        session = TerminalSession(f"terminal-{next(_ids)}")
        self.sessions.append(session)
        return session

    async def close(self) -> None:
        for session in self.sessions:
            await session.close()
