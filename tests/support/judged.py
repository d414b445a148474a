"""Judging a scripted chat with the offline judge, message by message as the runner does."""

from __future__ import annotations

from datetime import UTC, datetime

from convsim_core.models import Conversation, Message, Outcome, Outcomes, ParticipantRole
from convsim_core.offline_judge import OfflineJudge, OutcomeWords

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def judged(
    outcomes: Outcomes,
    *lines: tuple[ParticipantRole, str],
    words: tuple[OutcomeWords, ...] = (),
) -> str | None:
    """The outcome the offline judge reaches after the last line (``None``: no outcome)."""
    judge = OfflineJudge(words)
    conversation = Conversation(())
    judgement = None
    for role, text in lines:
        conversation = conversation.with_message(Message(text, T0, role))
        judgement = judge.judge_latest(conversation, outcomes, judgement)
    assert judgement is not None
    return judgement.outcome.name if judgement.outcome else None


def pair(done: str, failed: str, *, success_name: str = "completed") -> Outcomes:
    """A scenario's two outcomes, ``completed`` (or ``success_name``) and ``failed``, as
    their descriptions."""
    return Outcomes((Outcome(success_name, done), Outcome("failed", failed)))


def judged_with(
    outcomes: Outcomes, *lines: tuple[ParticipantRole, str], keywords: tuple[str, ...] = ()
) -> str | None:
    """:func:`judged` with keywords for the ``completed`` outcome."""
    return judged(outcomes, *lines, words=(OutcomeWords("completed", keywords),))
