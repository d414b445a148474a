"""Small text helpers shared by the panes (durations, clock times, role labels)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from convsim_core.models import ParticipantRole


def format_duration(seconds: float) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` above; negative values read as zero."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_clock(timestamp: datetime, tz: tzinfo | None = None) -> str:
    """The time of day of a message; ``tz=None`` shows it in the local time zone."""
    return timestamp.astimezone(tz).strftime("%H:%M:%S")


def role_label(role: ParticipantRole) -> str:
    return "Customer" if role is ParticipantRole.CUSTOMER else "Agent"


def humanize(value: str) -> str:
    """``closing_phrase`` -> ``closing phrase``."""
    return value.replace("_", " ")


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with an ellipsis, so a cut value never looks whole."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…" if width > 0 else ""


def clip(text: str, width: int) -> str:
    """``text`` on one line (each run of whitespace one space), then :func:`fit` to ``width``."""
    return fit(" ".join(text.split()), width)


def fit_id(run_id: str, width: int) -> str:
    """A conversation id cut in the middle: its number (``-0003``) tells the rows apart."""
    if len(run_id) <= width:
        return run_id
    tail = run_id[run_id.rfind("-") :] if "-" in run_id else ""
    if not tail or len(tail) > width // 2:
        return fit(run_id, width)
    return run_id[: width - len(tail) - 1] + "…" + tail
