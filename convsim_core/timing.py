"""Typing delays: how long a person would take to read, think and type a reply.

Full simulations never sleep on these; they only move the simulated clock forward (and pace
the UI when asked). Seeded so the same seed gives the same timestamps.
"""

from __future__ import annotations

import abc
import random

import attrs

from convsim_core.models import ParticipantRole


class TypingDelay(abc.ABC):
    @abc.abstractmethod
    def seconds(self, role: ParticipantRole, reply: str, read: str) -> float:
        """Seconds between reading ``read`` and sending ``reply``."""


class NoDelay(TypingDelay):
    def seconds(self, role: ParticipantRole, reply: str, read: str) -> float:
        return 0.0


@attrs.define
class HumanTypingDelay(TypingDelay):
    """Reading at ``reading_wpm``, a think pause, typing at a per-role speed, all jittered."""

    seed: int = 0
    reading_wpm: float = 240.0
    customer_typing_cps: float = 5.0
    agent_typing_cps: float = 8.0
    think_seconds: tuple[float, float] = (1.0, 4.0)
    jitter: float = 0.2
    _rng: random.Random = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def seconds(self, role: ParticipantRole, reply: str, read: str) -> float:
        # random.uniform(a, b) spelled out (a + (b - a) * random()): the same numbers, and
        # this runs for every message of every full simulation.
        random = self._rng.random
        low, high = self.think_seconds
        reading = len(read.split()) / self.reading_wpm * 60.0
        think = low + (high - low) * random()
        cps = (
            self.customer_typing_cps if role is ParticipantRole.CUSTOMER else self.agent_typing_cps
        )
        typing = len(reply) / cps
        low, high = 1 - self.jitter, 1 + self.jitter
        return _round_ms((reading + think + typing) * (low + (high - low) * random()))


def _round_ms(seconds: float) -> float:
    """``round(seconds, 3)``, the same float, for a third of its cost where that is safe.

    ``round(x, 3)`` rounds x's exact value to three decimals through a decimal string. Away
    from a half millisecond, rounding ``x * 1000`` to a whole number lands on the same side
    (its error is far below 0.0001 for any delay under 10**9 s), and dividing that by 1000 is
    the nearest float to the decimal result, which is what ``round`` returns; the rest (and
    NaN, negative numbers, huge ones) goes to ``round``.
    """
    scaled = seconds * 1000.0
    whole = (scaled + 0.5) // 1.0
    if 0.0 <= scaled < 1e12 and -0.4999 < scaled - whole < 0.4999:
        return whole / 1000.0
    return round(seconds, 3)
