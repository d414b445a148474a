"""The command line's side of :mod:`convsim_core.outputs`: a bad output is a usage error."""

from __future__ import annotations

from pathlib import Path

from convsim_core.outputs import OutputError, check_output_file, check_output_folder
from tui.wiring.errors import UserError


def check_out(path: Path, *, what: str = "the transcript") -> Path:
    """``--out FILE`` of connect/watch/demo, ``--html FILE`` of report: exit 2 before the run."""
    try:
        return check_output_file(path, what=what)
    except OutputError as exc:
        raise UserError(str(exc)) from None


def check_out_folder(path: Path, *, what: str = "the batch") -> Path:
    """``batch --out DIR``: exit 2 before the first conversation."""
    try:
        return check_output_folder(path, what=what)
    except OutputError as exc:
        raise UserError(str(exc)) from None
