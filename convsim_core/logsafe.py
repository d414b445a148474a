"""Logging that neither prints what an outsider wrote as-is nor floods the disk.

:class:`SafeFormatter` escapes control characters in every message (a callback path with
``%0a`` cannot forge a log line). :class:`StormGuard` lets a message template repeat a few
times per window and then counts instead of printing, saying how many it held back when the
window closes: at the open-file limit an accept loop that fails 5,000 times a second writes a
handful of lines, not 95 MB.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from convsim_core.textsafe import one_line, printable


class SafeFormatter(logging.Formatter):
    """A formatter whose message (and exception text) never carries terminal controls."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: object) -> str:
        return printable(super().formatException(ei))  # type: ignore[arg-type]


class StormGuard(logging.Filter):
    """At most ``burst`` records per message template and ``window`` seconds; then a count."""

    def __init__(
        self,
        *,
        burst: int = 10,
        window: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 1000,
    ) -> None:
        super().__init__()
        self.burst = burst
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._seen: dict[tuple[str, int, str], list[float | int]] = {}
        """key -> [window start, records passed, records held back]."""

    def filter(self, record: logging.LogRecord) -> bool:
        now = self._clock()
        key = (record.name, record.levelno, str(record.msg))
        entry = self._seen.get(key)
        if entry is None or now - entry[0] >= self.window:
            held = int(entry[2]) if entry is not None else 0
            if len(self._seen) >= self._max_keys:
                self._seen.clear()
            self._seen[key] = [now, 1, 0]
            if held:
                record.msg = f"{record.msg} [{held} similar message(s) held back before this]"
            return True
        if entry[1] < self.burst:
            entry[1] = int(entry[1]) + 1
            if entry[1] == self.burst:
                record.msg = f"{record.msg} [repeating: further ones counted, not shown]"
            return True
        entry[2] = int(entry[2]) + 1
        return False


def console_handler(level: int) -> logging.Handler:
    """The stderr handler ``convsim`` logs through: safe text, no storms."""
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(SafeFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(StormGuard())
    return handler
