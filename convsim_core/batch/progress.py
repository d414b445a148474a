"""A plain-text progress bar for headless batches.

On a terminal it redraws one line in place (at most ``refresh`` times a second, so a
thousand conversations finishing at once cost one redraw); in a log or a CI pipe it prints a
line every ``every`` finished conversations instead, because carriage returns make logs unreadable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TextIO

from convsim_core.batch.status import BatchCounts, RunState, RunStatus, WorkerInfo

_BAR = 24


def format_workers(workers: Sequence[WorkerInfo]) -> str:
    """Each worker process's (or Ray actor's) share: ``w0 running 3 done 12``."""
    return ", ".join(
        f"w{w.index} running {w.running} done {w.finished}"
        + (f" restarted {w.restarts}" if w.restarts else "")
        for w in workers
    )


def format_progress(
    counts: BatchCounts,
    elapsed: float,
    *,
    width: int = _BAR,
    workers: Sequence[WorkerInfo] = (),
) -> str:
    total = counts.total or 1
    finished = counts.finished + counts.stopped
    filled = round(width * finished / total)
    bar = "#" * filled + "-" * (width - filled)
    outcomes = " ".join(f"{name} {n}" for name, n in counts.outcomes.most_common())
    parts = [
        f"[{bar}] {finished}/{counts.total}",
        f"running {counts.running}",
    ]
    if outcomes:
        parts.append(outcomes)
    parts.append(f"errors {counts.errors}")
    if counts.unreadable:
        parts.append(f"unreadable {counts.unreadable}")
    if counts.protocol_errors:
        parts.append(f"protocol errors {counts.protocol_errors}")
    if counts.stopped:
        parts.append(f"stopped {counts.stopped}")
    if counts.skipped:
        parts.append(f"resumed past {counts.skipped}")
    if workers:
        parts.append(format_workers(workers))
    minutes, seconds = divmod(int(elapsed), 60)
    parts.append(f"{minutes:02d}:{seconds:02d}")
    return " | ".join(parts)


class ProgressPrinter:
    """Batch listener that writes progress to ``stream``; call :meth:`close` at the end."""

    def __init__(
        self,
        stream: TextIO,
        counts: BatchCounts,
        *,
        tty: bool | None = None,
        every: int | None = None,
        refresh: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        workers: Sequence[WorkerInfo] = (),
    ) -> None:
        self.stream = stream
        self.counts = counts
        self.workers = workers
        """The executor's live worker list (empty for one process)."""
        self.tty = stream.isatty() if tty is None else tty
        self.every = every or max(1, min(100, counts.total // 20 or 1))
        self.min_interval = 1.0 / refresh
        self.clock = clock
        self.started = clock()
        self._last_draw = -1e9
        self._last_reported = 0
        self._width = 0
        self._last_line = ""

    def __call__(self, status: RunStatus) -> None:
        if status.state is RunState.RUNNING and status.messages:
            return  # a message: nothing the bar shows changed
        if self.tty:
            now = self.clock()
            if now - self._last_draw >= self.min_interval:
                self._draw(now)
            return
        finished = self.counts.finished + self.counts.stopped - self.counts.skipped
        if finished - self._last_reported >= self.every:
            self._last_reported = finished
            self._print(
                format_progress(self.counts, self.clock() - self.started, workers=self.workers)
            )

    def _draw(self, now: float) -> None:
        self._last_draw = now
        line = format_progress(self.counts, now - self.started, workers=self.workers)
        pad = max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()

    def close(self) -> None:
        """Print the final state (and end the in-place line on a terminal)."""
        line = format_progress(self.counts, self.clock() - self.started, workers=self.workers)
        if self.tty:
            pad = max(0, self._width - len(line))
            self.stream.write("\r" + line + " " * pad + "\n")
            self.stream.flush()
        elif _without_clock(line) != _without_clock(self._last_line):
            self._print(line)

    def _print(self, line: str) -> None:
        self._last_line = line
        self.stream.write(line + "\n")
        self.stream.flush()


def _without_clock(line: str) -> str:
    return line.rpartition(" | ")[0]
