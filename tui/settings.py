"""View settings every screen gets from the app; snapshots and tests pin them."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

import attrs

from tui.clock import Clock, monotonic_clock
from tui.widgets.transcript import DEFAULT_MAX_LIVE


@attrs.frozen
class ViewSettings:
    clock: Clock = monotonic_clock
    """Wall clock for elapsed time; a frozen clock makes snapshots deterministic."""
    tz: tzinfo | None = None
    """Time zone for message times; None is the local zone."""
    autostart: bool = True
    """Start the conversation as soon as the screen shows (off: wait for r)."""
    max_live: int = DEFAULT_MAX_LIVE
    cursor_blink: bool = True
    animations: bool = True
    """Off: no animations at all (snapshots), whatever TEXTUAL_ANIMATIONS says."""
    freeze_gc: bool = True
    """Freeze start-up objects out of the garbage collector (off in tests: it is global)."""
    show_transcript_path: bool = True
    """Say where the transcript is written (off in snapshots: the file name has the time)."""
    runs_root: Path | None = None
    """Where transcripts are written and listed; None: $CONVSIM_HOME or ./runs."""
