"""``convsim report OLD NEW --fail-on-regression``: the baseline gate on two batch folders.

Kept apart from ``report.py`` so the gate (shared with ``convsim test --baseline``) reads in
one place: verdict pass rates compared with Fisher's exact test, Holm-adjusted, drops only.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from convsim_core.batch import BatchFolderError, BatchSummary, read_manifest
from convsim_core.batch.gate import describe_target, format_gate, regression_gate
from tui.numbers import NumberRule

SHARE = NumberRule(above=0, maximum=0.99)
"""A share of runs, e.g. ``--min-drop 0.2`` for a 20-point drop."""


def _target(folders: Sequence[Path]) -> str | None:
    for folder in folders:
        try:
            return describe_target(read_manifest(folder).settings)
        except BatchFolderError:
            continue
    return None


def regression_exit(
    groups: Sequence[Sequence[Path]],
    summaries: Sequence[BatchSummary],
    *,
    alpha: float,
    min_drop: float,
    quiet_stdout: bool = False,
) -> int:
    """Print the gate; 1 when a scenario's pass rate dropped significantly, else 0.

    ``quiet_stdout`` (``--json``) prints it to stderr, so stdout stays one JSON document.
    """
    out = sys.stderr if quiet_stdout else sys.stdout
    old, new = summaries
    if not new.verdicts:
        print(
            "warning: no scenario of NEW has an [expect] table; nothing to gate",
            file=sys.stderr,
        )
    gate = regression_gate(
        old.verdicts,
        new.verdicts,
        alpha=alpha,
        min_drop=min_drop,
        old_target=_target(groups[0]),
        new_target=_target(groups[1]),
    )
    print(file=out)
    print(format_gate(gate), file=out)
    if not gate.rows:
        # A gate that compared nothing must not pass: the folders are the wrong pair.
        print(
            "convsim: error: --fail-on-regression: OLD and NEW have no scenario with counted"
            " runs in common; nothing was compared",
            file=sys.stderr,
        )
        return 2
    if gate.failed:
        names = ", ".join(r.scenario for r in gate.regressions)
        print(f"regression: {names}", file=sys.stderr)
        return 1
    return 0
