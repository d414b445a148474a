"""Compare a replayed conversation with its recording, turn by turn (no I/O here).

A turn is one customer message and every agent message up to the next customer message; the
agent's opening, when the bot spoke first, is turn 0 without a customer message. A turn
changed when the agent's words differ once whitespace is normalised.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

import attrs

from convsim_core.models import Message, ParticipantRole

CUSTOMER = ParticipantRole.CUSTOMER


@attrs.frozen
class Turn:
    number: int
    customer: str | None
    recorded: tuple[str, ...]
    new: tuple[str, ...]
    replayed: bool = True
    """False after the replay broke off: its customer message was never sent."""

    @property
    def recorded_text(self) -> str:
        return "\n".join(self.recorded)

    @property
    def new_text(self) -> str:
        return "\n".join(self.new)

    @property
    def changed(self) -> bool:
        return self.replayed and _normal(self.recorded_text) != _normal(self.new_text)


@attrs.frozen
class ReplayComparison:
    path: Path
    turns: tuple[Turn, ...]
    recorded_outcome: str | None
    new_outcome: str | None
    new_transcript: Path | None = None
    error: str | None = None
    """The replay broke off (bot unreachable, connection lost): nothing to compare after it."""

    @property
    def changed_turns(self) -> tuple[Turn, ...]:
        return tuple(turn for turn in self.turns if turn.changed)

    @property
    def not_replayed(self) -> tuple[Turn, ...]:
        return tuple(turn for turn in self.turns if not turn.replayed)

    @property
    def outcome_changed(self) -> bool:
        return self.recorded_outcome != self.new_outcome

    @property
    def changed(self) -> bool:
        return bool(self.changed_turns) or self.outcome_changed or self.error is not None


def split_turns(messages: Sequence[Message]) -> list[tuple[str | None, list[str]]]:
    turns: list[tuple[str | None, list[str]]] = []
    for message in messages:
        if message.sender is CUSTOMER:
            turns.append((message.content, []))
        else:
            if not turns:
                turns.append((None, []))
            turns[-1][1].append(message.content)
    return turns


def compare(
    path: Path,
    recorded: Sequence[Message],
    new: Sequence[Message],
    *,
    recorded_outcome: str | None,
    new_outcome: str | None,
    new_transcript: Path | None = None,
    error: str | None = None,
) -> ReplayComparison:
    old_turns, new_turns = split_turns(recorded), split_turns(new)
    if old_turns and new_turns and (old_turns[0][0] is None) != (new_turns[0][0] is None):
        # One bot opened the chat and the other did not: line the customer turns up anyway.
        if old_turns[0][0] is None:
            new_turns.insert(0, (None, []))
        else:
            old_turns.insert(0, (None, []))
    start = 0 if old_turns and old_turns[0][0] is None else 1
    turns = []
    for offset in range(max(len(old_turns), len(new_turns))):
        old = old_turns[offset] if offset < len(old_turns) else (None, [])
        fresh = new_turns[offset] if offset < len(new_turns) else (None, [])
        # Past the break the recorded customer message was never sent: nothing to compare.
        replayed = error is None or offset < len(new_turns)
        turns.append(
            Turn(start + offset, old[0] or fresh[0], tuple(old[1]), tuple(fresh[1]), replayed)
        )
    return ReplayComparison(
        path, tuple(turns), recorded_outcome, new_outcome, new_transcript, error
    )


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """``(op, text)`` pieces: ``=`` kept, ``-`` only in the recording, ``+`` only in the new."""
    a, b = old.split(), new.split()
    pieces: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("+", " ".join(b[j1:j2])))
    return pieces


def _normal(text: str) -> str:
    return " ".join(text.split())
