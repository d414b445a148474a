"""Pacers decide how much real time passes before a simulated message is shown.

Full simulations run as fast as possible by default; the UI swaps in a :class:`ControlledPacer`
for pause, step and real-time speed without the runner knowing about any of it.
"""

from __future__ import annotations

import abc
import asyncio

import attrs


class Pacer(abc.ABC):
    @abc.abstractmethod
    async def wait(self, simulated_delay: float) -> None:
        """Return when the next message may be delivered."""


class NoPacing(Pacer):
    async def wait(self, simulated_delay: float) -> None:
        return None


@attrs.define
class RealTimePacing(Pacer):
    speed: float = 1.0

    async def wait(self, simulated_delay: float) -> None:
        if simulated_delay > 0 and self.speed > 0:
            await asyncio.sleep(simulated_delay / self.speed)


@attrs.define
class ControlledPacer(Pacer):
    """Pause, resume, single-step and speed control, driven by the UI."""

    speed: float | None = None
    """Multiple of real time when pacing by typing delays; None means as fast as possible."""
    max_wait: float = 3.0
    """Cap on one real wait so a long typing delay does not freeze a paced demo."""
    _running: asyncio.Event = attrs.field(init=False, factory=asyncio.Event)
    _steps: int = attrs.field(init=False, default=0)

    def __attrs_post_init__(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._steps = 0
        self._running.set()

    def step(self) -> None:
        """Let exactly one more message through while paused."""
        self._steps += 1
        self._running.set()

    async def wait(self, simulated_delay: float) -> None:
        if self.speed and simulated_delay > 0:
            await asyncio.sleep(min(simulated_delay / self.speed, self.max_wait))
        await self._running.wait()
        if self._steps:
            self._steps -= 1
            if self._steps == 0:
                self._running.clear()
