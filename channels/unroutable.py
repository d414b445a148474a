"""Frames convsim cannot route to a conversation: counted, and logged a few times per window.

A bot that sends 3,000 frames for a session that has ended used to produce 3,000 warning lines;
now the first few are shown and the rest are summed up in one line when the window ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from convsim_core.textsafe import one_line

logger = logging.getLogger("channels.websocket")

SHOWN_PER_WINDOW = 5
WINDOW_SECONDS = 10.0


class UnroutableLog:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._window_start = -WINDOW_SECONDS
        self._shown = 0
        self._held = 0
        self.dropped = 0

    def frame_dropped(self, why: str, detail: str = "") -> None:
        self.dropped += 1
        now = self._clock()
        if now - self._window_start >= WINDOW_SECONDS:
            if self._held:
                logger.warning(
                    "%d more unroutable frame(s) dropped in the last %g s",
                    self._held,
                    WINDOW_SECONDS,
                )
            self._window_start = now
            self._shown = 0
            self._held = 0
        if self._shown < SHOWN_PER_WINDOW:
            self._shown += 1
            suffix = " (further ones are counted)" if self._shown == SHOWN_PER_WINDOW else ""
            logger.warning("unroutable frame dropped: %s%s", one_line(f"{why} {detail}"), suffix)
        else:
            self._held += 1
