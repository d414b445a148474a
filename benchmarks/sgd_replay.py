"""Replaying Schema-Guided Dialogue conversations as scripted scenarios (for bench_verdicts).

Each dialogue becomes a scenario with both sides ``scripted`` and two outcomes described the
way a user of convsim would describe them, written once and never fitted to the data:
``completed`` and ``failed``. The label of a dialogue is its true outcome (``none``: neither).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

import attrs

from convsim_core.builder import build_full_runner
from convsim_core.models import MessageDraft, Outcome, Outcomes, ParticipantRole
from convsim_core.runners.full import FullSimulationRunner
from convsim_core.scenario_models import (
    JudgeSpec,
    OutcomeKeywords,
    ParticipantSpec,
    Scenario,
    TerminationSpec,
)

_CLOSING_ACTS = frozenset({"GOODBYE", "THANK_YOU"})
DATA = Path("/work/shared/data/sgd-train-600.jsonl.gz")

OUTCOMES = Outcomes(
    (
        Outcome(
            "completed",
            "The agent confirms the booking, reservation, purchase, transfer or request went"
            " through.",
        ),
        Outcome(
            "failed",
            "The agent says the booking, reservation, purchase, transfer or request could not"
            " be completed.",
        ),
    )
)
KEYWORDS = {
    # What a user would type for the literal keyword judge: the obvious phrases.
    "completed": ("is confirmed", "has been booked", "successfully", "booking is confirmed"),
    "failed": ("could not book", "unable to book", "was not successful", "failed"),
}


@attrs.frozen
class Dialogue:
    id: str
    label: str
    turns: tuple[tuple[str, str], ...]
    """(speaker, utterance) with speaker "user" or "system"."""
    acts: tuple[frozenset[str], ...] = ()
    """The dialogue acts of each turn (only used to tell premature endings)."""

    def premature(self, messages: int) -> bool:
        """Whether a replay that stopped after ``messages`` messages was cut short.

        Cut short: a turn after the end still says something (an act other than a goodbye
        or thanks), so the chat could have gone on and its outcome changed.
        """
        return any(acts - _CLOSING_ACTS for acts in self.acts[messages:])

    @property
    def outcomes(self) -> Outcomes:
        return OUTCOMES

    def scenario(self, judge_kind: str) -> Scenario:
        return scenario(self, judge_kind)

    def runner(self, judge_kind: str) -> FullSimulationRunner:
        """Both sides scripted, the default termination rules."""
        return build_full_runner(scenario(self, judge_kind), seed=1)

    def messages(self) -> Iterator[tuple[ParticipantRole, str]]:
        return alternating(self)


def load(path: Path = DATA) -> list[Dialogue]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [_dialogue(json.loads(line)) for line in handle if line.strip()]


def _dialogue(row: dict[str, object]) -> Dialogue:
    turns = row["turns"]
    assert isinstance(turns, list)
    return Dialogue(
        id=str(row["id"]),
        label=str(row["label"]),
        turns=tuple((str(t[0]), str(t[1])) for t in turns),
        acts=tuple(frozenset(str(a) for a in t[2]) for t in turns),
    )


class _Labelled(Protocol):
    @property
    def label(self) -> str: ...


_D = TypeVar("_D", bound=_Labelled)


def split(dialogues: Sequence[_D]) -> tuple[list[_D], list[_D]]:
    """(development half, held-out half): every other dialogue of each label."""
    seen: dict[str, int] = {}
    dev: list[_D] = []
    held: list[_D] = []
    for dialogue in dialogues:
        count = seen.get(dialogue.label, 0)
        seen[dialogue.label] = count + 1
        (dev if count % 2 == 0 else held).append(dialogue)
    return dev, held


def scenario(dialogue: Dialogue, judge_kind: str) -> Scenario:
    """The dialogue as a scenario whose two sides replay it exactly."""
    role = {"user": ParticipantRole.CUSTOMER, "system": ParticipantRole.AGENT}
    first_speaker, first_text = dialogue.turns[0]
    customer = tuple(t for s, t in dialogue.turns[1:] if s == "user")
    agent = tuple(t for s, t in dialogue.turns[1:] if s == "system")
    keywords = tuple(
        OutcomeKeywords(name, KEYWORDS[name], ParticipantRole.AGENT) for name in OUTCOMES.names
    )
    return Scenario(
        name="sgd-replay",
        title=dialogue.id,
        initial_message=MessageDraft(content=first_text, sender=role[first_speaker]),
        outcomes=OUTCOMES,
        customer=ParticipantSpec(ParticipantRole.CUSTOMER, kind="scripted", turns=customer),
        agent=ParticipantSpec(ParticipantRole.AGENT, kind="scripted", turns=agent),
        max_messages=max(2, len(dialogue.turns) + 2),
        judge=JudgeSpec(kind=judge_kind, keywords=keywords),
        termination=TerminationSpec(),
    )


def alternating(dialogue: Dialogue) -> Iterator[tuple[ParticipantRole, str]]:
    role = {"user": ParticipantRole.CUSTOMER, "system": ParticipantRole.AGENT}
    for speaker, text in dialogue.turns:
        yield role[speaker], text
