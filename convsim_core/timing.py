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
        return round((reading + think + typing) * (low + (high - low) * random()), 3)
