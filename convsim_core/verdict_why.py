"""Why a conversation got its verdict, in one line a person can check against the transcript.

An outcome names the message and the phrase or score that decided it; "no outcome" names the
outcomes that were possible and the nearest miss (which message came close and why it did not
count). Every place that shows a verdict (the outcome pane, ``convsim show``, summaries and
the HTML report) uses these lines so they always agree.
"""

from __future__ import annotations

from convsim_core.models import Judgement, Outcomes


def why(judgement: Judgement | None, outcomes: Outcomes | None = None) -> str:
    """One line: what decided the outcome, or why none was reached."""
    if judgement is None:
        return "not judged"
    failures = f"; {judgement.failures} judge answers unusable" if judgement.failures else ""
    if judgement.outcome is not None:
        head = judgement.outcome.name
        if judgement.message_index is not None:
            head += f" at message #{judgement.message_index + 1}"
        score = f" (score {judgement.score:.2f})" if judgement.score is not None else ""
        reason = judgement.rationale or (judgement.evidence and f"said {judgement.evidence}")
        if not reason:
            # "resolved at reached" read as a typo; with neither a message nor a reason, say
            # only that it was reached.
            reason = "" if judgement.message_index is not None else "reached"
        said = f": {reason}" if reason else ""
        return f"{head}{said}{score}{failures}"
    possible = (
        f"possible: {', '.join(outcomes.names)}" if outcomes is not None and outcomes.names else ""
    )
    miss = judgement.nearest_miss
    nearest = (
        f'nearest miss: {miss.outcome} at message #{miss.message_index + 1} "{_short(miss.text)}"'
        f" - {miss.reason}"
        if miss is not None
        else "nothing came close"
    )
    parts = ["no outcome", possible, nearest]
    return "; ".join(p for p in parts if p) + failures


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def miss_category(judgement: Judgement | None) -> str:
    """A short reason class for a chat with no outcome, for counting in summaries."""
    miss = judgement.nearest_miss if judgement is not None else None
    if miss is None:
        return "nothing came close"
    reason = miss.reason.rsplit(": ", 1)[-1]
    reason = reason.split(" (", 1)[0]
    return f"{miss.outcome}: {reason}"
