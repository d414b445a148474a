"""A batch job run headless from the command line (``convsim batch --headless``, ``convsim test``).

Both commands say the same things around the run: what a resumed batch finds in its folder,
the progress line on stderr, and on Ctrl-C where the finished conversations are and how to
finish the rest. Reports and exit codes are each command's own.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

from convsim_core.batch.progress import ProgressPrinter
from tui.wiring.errors import UserError

if TYPE_CHECKING:
    from pathlib import Path

    from convsim_core.batch import BatchSession, BatchSummary
    from convsim_core.batch.retry import RetryPolicy
    from tui.wiring.batch_job import BatchJob


def announce_resume(job: BatchJob, session: BatchSession) -> None:
    """On ``--resume``: what the folder already holds and what is left to run."""
    resumed = session.resume_state
    if resumed.done or resumed.set_aside:
        print(
            f"resuming {job.folder}: {len(resumed.done)} finished, {len(resumed.todo)} to run"
            f" ({len(resumed.set_aside)} unfinished transcript(s) set aside)",
            file=sys.stderr,
        )


def finish_hint(command: str, folder: Path) -> str:
    """How to finish an interrupted or stopped batch (a line people copy)."""
    return f"finish with: convsim {command} --resume --out {folder}"


def run_with_progress(
    job: BatchJob,
    session: BatchSession,
    *,
    command: str,
    every: int | None,
    retry: RetryPolicy | None = None,
) -> BatchSummary | None:
    """Run the job with a progress line on stderr; None when Ctrl-C stopped it.

    On Ctrl-C the line that says how to finish the batch is printed here; any other error
    propagates (after the progress line is closed, unless the run was refused before it
    started) for the command to report.
    """
    executor = session.executor
    printer = ProgressPrinter(sys.stderr, executor.counts, every=every, workers=executor.workers)
    executor.listener = printer
    try:
        summary = asyncio.run(job.execute(session, retry=retry))
    except KeyboardInterrupt:
        printer.close()
        print(
            f"interrupted: finished conversations are in {job.folder}; "
            + finish_hint(command, job.folder),
            file=sys.stderr,
        )
        return None
    except UserError:
        raise  # refused before the first conversation (bot unreachable): one line, no bar
    except BaseException:
        printer.close()
        raise
    printer.close()
    return summary
