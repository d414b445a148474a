"""Paths built from data (a manifest, a scenario, a transcript header) stay in their folder.

A crafted ``batch.json`` whose scenario key is ``../../x`` must not make ``--resume`` write
``x-0000.jsonl`` two folders up; a copy path of ``/etc/passwd`` must not be read as a scenario.
"""

from __future__ import annotations

import os
from pathlib import Path


class OutsideFolderError(ValueError):
    """A path from data would leave the folder it belongs to."""


def inside(folder: str | Path, relative: str | Path) -> Path:
    """``folder / relative``, refused when it would point outside ``folder`` (links resolved)."""
    folder = Path(folder)
    text = str(relative)
    if not text or "\x00" in text or Path(text).is_absolute():
        raise OutsideFolderError(f"{text!r} is not a path inside {folder}")
    candidate = folder / text
    root = os.path.realpath(folder)
    real = os.path.realpath(candidate)
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        raise OutsideFolderError(f"{text!r} points outside {folder}")
    return candidate


def is_plain_name(name: str) -> bool:
    """A single file-name component: no separators, not ``.``/``..``, no NUL, not empty."""
    return (
        bool(name)
        and name not in (".", "..")
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
    )
