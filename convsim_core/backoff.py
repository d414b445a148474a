"""Exponential backoff: one rule for every wait that doubles after each failure.

The batch's outage prober (:class:`~convsim_core.batch.retry.RetryPolicy`) and the rate
limiter's 429 pause (:class:`~convsim_core.batch.ratelimit.BatchRateLimiter`) both wait
``base`` seconds after a first failure, twice as long after each further one, and never more
than ``ceiling``; the prober adds jitter so clients that failed together do not retry together.
"""

from __future__ import annotations

import random

import attrs

_MAX_DOUBLINGS = 30
"""Past this, ``base * 2**n`` is beyond any ceiling (and a float power cannot overflow)."""


@attrs.frozen
class Backoff:
    base: float
    """Seconds to wait after the first failure."""
    ceiling: float
    """The longest wait."""

    def delay(self, failures_before: int) -> float:
        """The wait after ``failures_before`` earlier failures (0: the first wait, ``base``)."""
        return min(self.ceiling, self.base * 2.0 ** min(failures_before, _MAX_DOUBLINGS))

    def jittered(self, failures_before: int) -> float:
        """Half to all of :meth:`delay`, at random (websockets' idea: spread the reconnecting
        clients, so a bot's restart is not met by every client at the same instant)."""
        return self.delay(failures_before) * (0.5 + random.random() / 2)
