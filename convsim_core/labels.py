"""People's outcome labels for the transcripts of a folder: ``<folder>/labels.csv``.

The format is the one ``convsim judge --labels`` reads (AGREEMENTS.md): UTF-8 CSV, header
``conversation_id,outcome`` plus ``labeller,labelled_at,note`` (readers ignore extra columns);
``conversation_id`` is the transcript's stem, ``outcome`` an outcome name or ``none``. Rows are
only ever appended, so a review is never lost: the last row for a conversation wins.
"""

from __future__ import annotations

import csv
import getpass
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import attrs

LABELS_NAME = "labels.csv"
HEADER = ("conversation_id", "outcome", "labeller", "labelled_at", "note")
NO_OUTCOME = "none"


@attrs.frozen
class Label:
    conversation_id: str
    outcome: str
    labeller: str = ""
    labelled_at: str = ""
    note: str = ""


def labels_path(folder: Path) -> Path:
    return folder / LABELS_NAME


def read_labels(folder: Path) -> dict[str, Label]:
    """Every conversation's latest label (last row wins); an absent file is no labels."""
    path = labels_path(folder)
    if not path.is_file():
        return {}
    labels: dict[str, Label] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            conversation = (row.get("conversation_id") or "").strip()
            outcome = (row.get("outcome") or "").strip()
            if conversation and outcome:
                labels[conversation] = Label(
                    conversation,
                    outcome,
                    row.get("labeller") or "",
                    row.get("labelled_at") or "",
                    row.get("note") or "",
                )
    return labels


def append_label(
    folder: Path, conversation_id: str, outcome: str | None, *, note: str = ""
) -> Label:
    """Record a person's label (``None``: no outcome reached) at the end of the file."""
    label = Label(
        conversation_id,
        outcome or NO_OUTCOME,
        _who(),
        datetime.now(UTC).isoformat(timespec="seconds"),
        note,
    )
    path = labels_path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    new = not path.exists() or path.stat().st_size == 0
    if new:
        writer.writerow(HEADER)
    writer.writerow(attrs.astuple(label))
    # One append of whole lines: a crash leaves the earlier rows intact.
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
    return label


def _who() -> str:
    try:
        return os.environ.get("CONVSIM_LABELLER") or getpass.getuser()
    except (KeyError, OSError):
        return ""
