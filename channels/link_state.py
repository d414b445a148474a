"""The WebSocket link's rules without sockets: reconnect budget, jittered backoff, the outbox.

Events in, actions out, as python-websockets keeps its protocol apart from asyncio:
:class:`LinkState` is told that a frame arrived, that the connection is up or was lost, that a
frame was written, and answers with what to do next (:class:`Retry` after a delay, or
:class:`GiveUp`; the next frame to write). :class:`~channels.ws_link.WsLink` only moves bytes
and sleeps. Tested without sockets or sleeps in ``tests/test_link_state.py``.

The rules:

- **Budget.** Each reconnect attempt takes a strike; ``policy.attempts`` strikes and the link
  gives up. Only a frame *from the bot* gives the strikes back: a bot that accepts connections
  and drops them at once has proved nothing, so it still runs out instead of looping forever.
- **Backoff with jitter.** Attempt ``n`` waits a random time in ``[d/2, d]`` where ``d`` is the
  policy's capped exponential delay, so the sessions of a batch that lost the same bot do not
  all reconnect at the same instants (websockets' ``backoff()`` randomises the same way).
- **Outbox.** A frame stays queued until a socket accepted it, then it is gone for good: a
  frame is never written twice (no duplicate customer messages after a reconnect), and the
  frames written while the link was down go out once, in order, after the next connect.
"""

from __future__ import annotations

import random
from collections import deque

import attrs

from channels.profile_parts import ReconnectPolicy


@attrs.frozen
class Retry:
    """Wait ``delay`` seconds, then make reconnect attempt ``attempt`` of ``attempts``."""

    delay: float
    attempt: int
    attempts: int


@attrs.frozen
class GiveUp:
    """The budget is spent: the link has failed for good."""

    attempts: int


def jittered_delay(policy: ReconnectPolicy, attempt: int, rng: random.Random) -> float:
    """The policy's delay for ``attempt``, scaled by a random factor in [0.5, 1.0]."""
    ceiling = policy.delay(attempt)
    return ceiling * (0.5 + 0.5 * rng.random())


@attrs.define
class LinkState:
    """One link's connection, reconnect budget and unsent frames."""

    policy: ReconnectPolicy
    rng: random.Random = attrs.field(factory=random.Random)
    connected: bool = False
    strikes: int = 0
    """Reconnect attempts made since the bot last sent a frame."""
    _outbox: deque[str] = attrs.field(factory=deque)

    # -- the connection ---------------------------------------------------------------------

    def connection_up(self) -> None:
        """A socket is open (first connect or reconnect). The strikes stay: see the module."""
        self.connected = True

    def connection_lost(self) -> Retry | GiveUp:
        """The socket closed or dropped: what to do about it."""
        self.connected = False
        return self._next_attempt()

    def attempt_failed(self) -> Retry | GiveUp:
        """A reconnect attempt could not connect."""
        return self._next_attempt()

    def frame_received(self) -> None:
        """The bot sent a frame: it is really back, so the reconnect budget is full again."""
        self.strikes = 0

    def _next_attempt(self) -> Retry | GiveUp:
        attempts = self.policy.attempts
        if self.strikes >= attempts:
            return GiveUp(attempts)
        self.strikes += 1
        return Retry(jittered_delay(self.policy, self.strikes, self.rng), self.strikes, attempts)

    # -- the outbox -------------------------------------------------------------------------

    def queue(self, frame: str) -> None:
        """A frame to write, now if the link is up, else after the next connect."""
        self._outbox.append(frame)

    def next_frame(self) -> str | None:
        """The oldest frame still to write, or None (nothing queued, or the link is down)."""
        return self._outbox[0] if self.connected and self._outbox else None

    def frame_written(self) -> None:
        """The socket accepted :meth:`next_frame`'s frame; it is never written again."""
        self._outbox.popleft()

    @property
    def unsent(self) -> int:
        return len(self._outbox)
