"""The channel interface: how convsim reaches a real agent (a person, a bot over the wire).

Implementations live in the top-level ``channels`` package so the core never touches sockets.
"""

from __future__ import annotations

import abc
import enum
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from convsim_core.models import Conversation, Message


class ChannelState(enum.StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    CLOSED = "closed"


class ChannelError(Exception):
    """The channel cannot carry the conversation any more (unreachable, dropped for good)."""


_WRONG_URL = re.compile(r"\banswered HTTP (?:404|405|410)\b")


def names_a_wrong_url(error: str) -> bool:
    """Whether a channel error says a server answered but no bot is at the URL (HTTP 404, 405,
    410: ``channels.errors.wrong_endpoint``). Waiting cannot fix that, unlike an outage."""
    return _WRONG_URL.search(error) is not None


class ProtocolError(Exception):
    """One inbound frame could not be understood; the conversation may continue.

    ``answered`` is False when no answer came at all (the connection dropped after the request
    was sent, no response in time): then "the bot answered, but..." would be untrue.
    """

    def __init__(self, message: str, excerpt: str = "", *, answered: bool = True) -> None:
        super().__init__(message)
        self.excerpt = excerpt
        self.answered = answered


class Session(abc.ABC):
    """One conversation with a real agent."""

    session_id: str

    @abc.abstractmethod
    async def get_conversation(self) -> Conversation:
        """Get the conversation history so far."""

    @abc.abstractmethod
    async def send(self, message: Message) -> None:
        """Send a message to the real agent."""

    @abc.abstractmethod
    def subscribe(self) -> AsyncIterator[Message]:
        """Subscribe to incoming messages from the agent.

        Declared without ``async`` so implementations can be async generators.
        """

    async def close(self) -> None:  # noqa: B027 - optional hook, most sessions need none
        """Release the session's resources; safe to call twice."""

    def describe(self) -> dict[str, str]:
        """The ids the agent saw for this conversation (``sender``, ``conversation.id``...),
        recorded in the transcript header so it can be found in the bot's own logs."""
        return {}

    undelivered: int = 0
    """Messages ``send()`` accepted that never reached the bot (the channel gave up first).

    The transcript records a customer message when it is sent; when the channel fails, the
    runner says in the result how many of the last ones the bot never got.
    """

    # Hooks the hybrid runner sets; a channel reports through the ``_report_*`` helpers.
    on_state_change: Callable[[ChannelState, str], None] | None = None
    on_protocol_error: Callable[[ProtocolError], None] | None = None
    on_turn_complete: Callable[[], None] | None = None
    """Called when the bot marks its turn complete explicitly (a flag in its frames)."""

    def _report_state(self, state: ChannelState, detail: str = "") -> None:
        if self.on_state_change is not None:
            self.on_state_change(state, detail)

    def _report_protocol_error(self, error: ProtocolError) -> None:
        if self.on_protocol_error is not None:
            self.on_protocol_error(error)

    def _report_turn_complete(self) -> None:
        if self.on_turn_complete is not None:
            self.on_turn_complete()


class Channel(abc.ABC):
    @abc.abstractmethod
    async def create_session(self) -> Session:
        """Create a new conversation session."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release shared resources (HTTP client, callback server); safe to call twice."""

    def describe(self) -> dict[str, Any]:
        """Where the agent is (kind, URL without secrets, preset, profile file), for the
        transcript header; empty when there is nothing to say (a person in play mode)."""
        return {}
