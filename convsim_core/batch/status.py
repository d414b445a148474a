"""The live state of a batch: one status per conversation, running totals, worker processes.

Mutated only by the executor (or the worker pool in the parent) and read by every view: the
progress line, the dashboard, the summary at the end. Kept apart from the executor so views
import the state without the machinery.
"""

from __future__ import annotations

import enum
from collections import Counter
from pathlib import Path

import attrs

from convsim_core.batch.plan import PlannedRun


class RunState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    ERROR = "error"
    STOPPED = "stopped"
    SKIPPED = "skipped"
    """Finished by an earlier attempt (resume)."""
    NOT_RUN = "not_run"
    """Left out by the run policy: its scenario was decided, or a budget ran out."""


@attrs.define(slots=True)
class RunStatus:
    """Live state of one conversation; mutated only by the executor, read by views."""

    run: PlannedRun
    folder: Path
    """Shared by every run of the batch (one path object per run would grow with the batch)."""
    state: RunState = RunState.PENDING
    messages: int = 0
    outcome: str | None = None
    termination: str | None = None
    error: str | None = None
    started: float | None = None
    finished: float | None = None
    worker: int | None = None
    """The worker process (or Ray actor) running it; None in a single-process batch."""

    @property
    def path(self) -> Path:
        """The conversation's transcript."""
        return self.folder / self.run.file_name


@attrs.define(kw_only=True)
class BatchCounts:
    """Running totals, kept incrementally so a progress view never walks every run.

    Keyword-only: eleven counts of one type, where a positional call would swap two silently.
    """

    total: int = 0
    pending: int = 0
    running: int = 0
    done: int = 0
    errors: int = 0
    stopped: int = 0
    skipped: int = 0
    not_run: int = 0
    """Left out by the run policy (not part of ``total``)."""
    outcomes: Counter[str] = attrs.field(factory=Counter)
    protocol_errors: int = 0
    """Bot replies convsim could not read, over all finished conversations."""
    unreadable: int = 0
    """Conversations that ended with ``unreadable_replies`` (also counted in ``errors``)."""

    @property
    def finished(self) -> int:
        return self.done + self.errors + self.skipped


@attrs.define
class WorkerInfo:
    """One worker process's (or Ray actor's) live state, for progress views."""

    index: int
    capacity: int
    pid: int | None = None
    alive: bool = False
    running: int = 0
    finished: int = 0
    restarts: int = 0
    peak_rss_kb: int | None = None
    """The process's peak resident memory, reported when it exits cleanly."""
    cpu_seconds: float | None = None
    """CPU time the process spent from being ready to exiting cleanly (benchmarks read it)."""
