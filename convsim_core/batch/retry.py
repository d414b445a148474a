"""A short bot outage pauses the batch and retries, instead of recording every run as failed.

A bot restarted 25 s into a 120-conversation batch left 109 runs as ``channel_error``. Now a
conversation that ends because the bot could not be reached is not recorded: its transcript is
set aside, new conversations wait while one prober checks the bot with jittered exponential
backoff, and the conversation runs again, at most ``attempts`` times; the pause is bounded by
``max_pause``, after which whatever still fails is recorded as the error it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import attrs

from convsim_core.backoff import Backoff
from convsim_core.channel import names_a_wrong_url
from convsim_core.models import ConversationResult, TerminationReason

logger = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[bool]]
"""Whether the bot answers again (e.g. a TCP connect or a health check); must not raise."""

INFRASTRUCTURE_ERRORS = frozenset({TerminationReason.CHANNEL_ERROR})
"""What a pause can fix: the bot or the network was not there."""

RESUME_RETRYABLE = frozenset({TerminationReason.CHANNEL_ERROR, TerminationReason.PARTICIPANT_ERROR})
"""What ``--resume --retry-errors`` runs again: conversations that ended in an error rather than
an outcome (an unreachable bot, an LLM failure)."""


PROBE_BACKOFF = Backoff(base=1.0, ceiling=15.0)
"""One second after the bot is first missed, doubling up to 15 s."""


@attrs.frozen
class RetryPolicy:
    attempts: int = 3
    """Runs of one conversation after the first that may be retried."""
    backoff: Backoff = PROBE_BACKOFF
    """Between probes of an unreachable bot (jittered)."""
    max_pause: float = 120.0
    """Longest the batch waits for the bot in one outage."""
    probe: Probe | None = None

    def delay(self, attempt: int) -> float:
        return self.backoff.jittered(attempt)


def is_infrastructure_error(result: ConversationResult) -> bool:
    """An error a pause may fix. Not a URL with no bot behind it (a webhook's 404): every retry
    would get the same answer, and the probe, which finds the host up, would end each pause at
    once, so a batch of N logged N "unreachable ... answers again" pairs and ran every
    conversation four times."""
    if result.termination_reason not in INFRASTRUCTURE_ERRORS:
        return False
    return not names_a_wrong_url(result.error or "")


class Gate(Protocol):
    """What an executor's conversations wait on: :class:`OutageGate` in the process that
    probes the bot, or a worker process's view of its parent's gate."""

    @property
    def given_up(self) -> bool: ...

    async def wait_open(self) -> None: ...

    def report_failure(self, detail: str) -> None: ...


class OutageGate:
    """Open while the bot is believed reachable; new conversations wait while it is closed."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self._open = asyncio.Event()
        self._open.set()
        self._recovering: asyncio.Task[None] | None = None
        self.outages = 0
        self.given_up = False
        """The bot stayed away for a whole ``max_pause``: stop pausing, record errors as such."""

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    async def wait_open(self) -> None:
        await self._open.wait()

    def report_failure(self, detail: str) -> None:
        """A conversation lost the bot: close the gate and start probing (once per outage)."""
        if not self._open.is_set() or self.given_up:
            return
        self.outages += 1
        logger.warning(
            "the bot is unreachable (%s); pausing new conversations and retrying for up to %g s",
            detail,
            self.policy.max_pause,
        )
        self._open.clear()
        self._recovering = asyncio.get_running_loop().create_task(self._recover())

    async def _recover(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.max_pause
        attempt = 0
        try:
            while loop.time() < deadline:
                await asyncio.sleep(min(self.policy.delay(attempt), deadline - loop.time()))
                attempt += 1
                if self.policy.probe is None or await self.policy.probe():
                    logger.warning("the bot answers again; resuming the batch")
                    return
            self.given_up = True
            logger.warning(
                "the bot is still unreachable after %g s; recording the remaining conversations"
                " as they end (finish later with --resume --retry-errors)",
                self.policy.max_pause,
            )
        finally:
            self._open.set()

    async def close(self) -> None:
        task, self._recovering = self._recovering, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
