"""Wall clocks for the live view; injected so snapshots can freeze the elapsed time."""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

Clock = Callable[[], float]
"""Monotonic seconds; only differences between two readings are shown."""


def monotonic_clock() -> float:
    return time.monotonic()


@attrs.frozen
class FrozenClock:
    """A clock that never moves: elapsed time always reads 0:00 in snapshots."""

    value: float = 0.0

    def __call__(self) -> float:
        return self.value
