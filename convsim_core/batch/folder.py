"""The transcripts of a batch folder: which conversations are finished, which were cut short.

A conversation counts as done only when its transcript ends with a result line that is not
``stopped`` (a runner writes ``stopped`` when the batch is interrupted). Anything else is set
aside as ``ID.partial-N.jsonl`` (kept for inspection, ignored by reports) and run again.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import attrs

from convsim_core.batch.plan import PlannedRun
from convsim_core.models import TerminationReason

logger = logging.getLogger(__name__)

_PARTIAL = re.compile(r"\.partial-\d+\.jsonl$")


class TranscriptState(enum.StrEnum):
    MISSING = "missing"
    COMPLETE = "complete"
    PARTIAL = "partial"
    """No result line: the process died mid-conversation."""
    STOPPED = "stopped"
    """A result line saying the run was stopped: the batch was interrupted."""


def is_partial_name(path: Path) -> bool:
    return bool(_PARTIAL.search(path.name))


def transcript_files(folder: str | Path) -> Iterator[Path]:
    """The conversation transcripts of a folder (set-aside partial ones excluded), sorted."""
    for path in sorted(Path(folder).glob("*.jsonl")):
        if not is_partial_name(path):
            yield path


def transcript_state(path: Path) -> TranscriptState:
    """Look at the last line only: cheap enough to check thousands of files on resume."""
    try:
        last = _last_line(path)
    except FileNotFoundError:
        return TranscriptState.MISSING
    if last is None:
        return TranscriptState.PARTIAL
    try:
        data = json.loads(last)
    except (json.JSONDecodeError, RecursionError):
        return TranscriptState.PARTIAL  # a crash in the middle of writing the last line
    if not isinstance(data, dict) or data.get("type") != "result":
        return TranscriptState.PARTIAL
    if data.get("termination_reason") == TerminationReason.STOPPED.value:
        return TranscriptState.STOPPED
    return TranscriptState.COMPLETE


def termination_of(path: Path) -> TerminationReason | None:
    """The termination reason on the transcript's result line, if it has a readable one."""
    try:
        last = _last_line(path)
        data = json.loads(last) if last else None
    except (OSError, json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return TerminationReason(str(data.get("termination_reason")))
    except ValueError:
        return None


_TAIL_BLOCK = 64 * 1024


def _last_line(path: Path) -> str | None:
    """The last non-blank line, read backwards from the end one block at a time.

    A finished transcript's result line can be long, and a resume looks at thousands of files:
    reading only the tail keeps that cost independent of the conversations' length.
    """
    with path.open("rb") as handle:
        position = handle.seek(0, os.SEEK_END)
        tail = b""
        while position > 0:
            step = min(_TAIL_BLOCK, position)
            position -= step
            handle.seek(position)
            tail = handle.read(step) + tail
            content = tail.rstrip()
            cut = max(content.rfind(b"\n"), content.rfind(b"\r"))
            if cut >= 0:
                return content[cut + 1 :].decode("utf-8", errors="replace")
        content = tail.rstrip()
        return content.decode("utf-8", errors="replace") if content else None


def set_aside(path: Path) -> Path:
    """Rename an unfinished transcript to the first free ``ID.partial-N.jsonl``."""
    stem = path.name.removesuffix(".jsonl")
    n = 1
    while (target := path.with_name(f"{stem}.partial-{n}.jsonl")).exists():
        n += 1
    os.replace(path, target)
    return target


@attrs.frozen
class ResumeState:
    todo: tuple[PlannedRun, ...]
    done: tuple[PlannedRun, ...]
    set_aside: tuple[Path, ...]


def prepare_resume(
    folder: str | Path,
    runs: Iterable[PlannedRun],
    *,
    retry: frozenset[TerminationReason] = frozenset(),
) -> ResumeState:
    """Split planned runs into finished and to-do, setting unfinished transcripts aside.

    A finished conversation whose termination reason is in ``retry`` (``--retry-errors``:
    channel and participant errors) is set aside and run again too.
    """
    folder = Path(folder)
    todo: list[PlannedRun] = []
    done: list[PlannedRun] = []
    moved: list[Path] = []
    for run in runs:
        path = folder / run.file_name
        state = transcript_state(path)
        if state is TranscriptState.COMPLETE and retry and termination_of(path) in retry:
            moved.append(set_aside(path))
            logger.info("set aside %s to run it again (it ended in an error)", path.name)
            todo.append(run)
            continue
        if state is TranscriptState.COMPLETE:
            done.append(run)
            continue
        if state is not TranscriptState.MISSING:
            moved.append(set_aside(path))
            logger.info("set aside %s transcript %s", state.value, path.name)
        todo.append(run)
    return ResumeState(tuple(todo), tuple(done), tuple(moved))
