"""Refuse an output that cannot be written before a run starts, not after it ended.

A conversation against a real bot costs minutes and cannot be replayed exactly; finding out
afterwards that ``--out`` named a folder, a read-only place or a path under a file loses it.
These checks try what the run will do (create the folder, create a file in it) and undo it,
because permission bits alone lie (root, read-only mounts, ``/proc``).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from convsim_core.textsafe import one_line


class OutputError(ValueError):
    """An output path that cannot be written; the message is one line for the user."""


def check_output_file(path: str | Path, *, what: str = "the transcript") -> Path:
    """Make sure ``path`` can be created (or overwritten) as a file; returns it."""
    path = Path(path)
    shown = one_line(str(path))
    if path.is_dir():
        raise OutputError(
            f"cannot write {what} to {shown}: it is a folder (give a file name inside it)"
        )
    _make_folder(path.parent, what=what, shown=shown)
    if path.exists():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        except OSError as exc:
            raise OutputError(f"cannot write {what} to {shown}: {_reason(exc)}") from None
        return path
    _probe(path.parent, what=what, shown=shown)
    return path


def check_output_folder(path: str | Path, *, what: str = "the batch") -> Path:
    """Make sure ``path`` is (or can be made) a folder files can be created in; returns it."""
    path = Path(path)
    shown = one_line(str(path))
    if path.exists() and not path.is_dir():
        raise OutputError(f"cannot write {what} to {shown}: it is a file, not a folder")
    _make_folder(path, what=what, shown=shown)
    _probe(path, what=what, shown=shown)
    return path


def _make_folder(folder: Path, *, what: str, shown: str) -> None:
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(
                    f"cannot write {what} to {shown}: {one_line(str(parent))} is a file"
                )
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write {what} to {shown}: {_reason(exc)}") from None


def _probe(folder: Path, *, what: str, shown: str) -> None:
    probe = folder / f".convsim-write-test-{uuid.uuid4().hex[:8]}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise OutputError(f"cannot write {what} to {shown}: {_reason(exc)}") from None
    with contextlib.suppress(OSError):
        probe.unlink()


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
