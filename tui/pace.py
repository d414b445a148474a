"""How fast a live full simulation is shown: paced by typing delays, or flat out."""

from __future__ import annotations

import asyncio

import attrs

from convsim_core.pacing import ControlledPacer


@attrs.frozen
class Pace:
    """Pacing a live view starts with; the speed toggle flips between ``speed`` and flat out."""

    speed: float = 8.0
    """Multiple of real time when paced by the simulated typing delays."""
    max_wait: float = 1.2
    """Cap on one real wait, so a long simulated pause never freezes the view."""
    paced: bool = True
    start_paused: bool = False

    def describe(self, paced: bool) -> str:
        return f"typing x{self.speed:g}" if paced else "fastest"


DEMO_PACE = Pace(speed=8.0, max_wait=1.2)
"""Slow enough to follow by eye, fast enough that the demo ends in well under a minute."""
WATCH_PACE = Pace(speed=8.0, max_wait=1.5)


@attrs.define
class UiPacer(ControlledPacer):
    """A :class:`ControlledPacer` that always yields to the event loop between messages.

    Offline participants answer without awaiting anything, so flat out the runner would
    otherwise never let the UI draw until the whole conversation was over.
    """

    async def wait(self, simulated_delay: float) -> None:
        await super().wait(simulated_delay)
        await asyncio.sleep(0)

    @classmethod
    def for_pace(cls, pace: Pace) -> UiPacer:
        pacer = cls(speed=pace.speed if pace.paced else None, max_wait=pace.max_wait)
        if pace.start_paused:
            pacer.pause()
        return pacer
