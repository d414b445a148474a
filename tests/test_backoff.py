"""The one backoff rule that the outage prober and the 429 pause share."""

from __future__ import annotations

import random

from convsim_core.backoff import Backoff
from convsim_core.batch.retry import RetryPolicy


def test_the_delay_doubles_from_base_up_to_the_ceiling() -> None:
    backoff = Backoff(base=0.5, ceiling=3.0)
    assert [backoff.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff.delay(10_000) == 3.0  # no overflow for a long outage


def test_jitter_stays_between_half_and_all_of_the_delay() -> None:
    random.seed(8)
    backoff = Backoff(base=1.0, ceiling=15.0)
    waits = [backoff.jittered(2) for _ in range(200)]
    assert all(2.0 <= wait <= 4.0 for wait in waits)
    assert len(set(waits)) > 100  # spread, not one instant for every client


def test_the_retry_policy_probes_on_its_jittered_backoff() -> None:
    policy = RetryPolicy(backoff=Backoff(base=1.0, ceiling=4.0))
    assert all(2.0 <= policy.delay(5) <= 4.0 for _ in range(50))
