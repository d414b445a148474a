"""Replaying the hand-written support dialogues as scenarios (for bench_verdicts).

``tests/data/support_dialogues.jsonl`` (CC0, see tests/data/README.md): 90 customer-support
chats in varied domains, 30 per class, each with the ``[[outcomes]]`` a user would write for its
scenario (``completed`` and ``failed``: description, keywords, optional ``said_by``). They were
written before the judge's code was read, so they measure it on wording it was not built on.

Unlike SGD, a side may send several messages in a row (a bot's bubbles, a customer's "hang
on" then "got it"), so the replay does not alternate turns: :class:`ReplayRunner` records the
script's messages in order through the full runner's own recording, judging and termination
rules, and stops where a termination rule fires.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs

from convsim_core import models
from convsim_core.builder import build_full_runner
from convsim_core.runners.full import FullSimulationRunner
from convsim_core.scenario_models import (
    JudgeSpec,
    OutcomeKeywords,
    ParticipantSpec,
    Scenario,
    TerminationSpec,
)
from convsim_core.termination import Termination

_HERE = Path(__file__).resolve().parent.parent / "tests" / "data"
DATA = _HERE / "support_dialogues.jsonl"
FRESH = _HERE / "support_dialogues_fresh.jsonl"
"""45 more: only measured until session 3, development data since (their misses were read)."""
FRESH2 = _HERE / "support_dialogues_fresh2.jsonl"
"""60 more: measured once blind in session 3, development data since (``--dataset fresh2``)."""
FRESH3 = _HERE / "support_dialogues_fresh3.jsonl"
"""The held-out support set: only ever measured, as a whole (``--dataset fresh3``)."""
_ROLE = {"customer": models.ParticipantRole.CUSTOMER, "agent": models.ParticipantRole.AGENT}


@attrs.define
class ReplayRunner(FullSimulationRunner):
    """The full runner playing a fixed script in its own order (a side may speak twice)."""

    script: tuple[tuple[models.ParticipantRole, str], ...] = attrs.field(default=(), kw_only=True)
    """Every message after the initial one, in order."""

    async def _converse(self, first: models.Message) -> Termination:
        # The full runner alternates sides in this loop; the script says who speaks instead.
        termination = await self._record(first)
        for role, text in self.script:
            if termination is not None:
                return termination
            last = self.conversation.messages[-1]
            delay = self._delay.seconds(role, text, last.content)
            self._current_timestamp += timedelta(seconds=delay)
            termination = await self._record(models.Message(text, self._current_timestamp, role))
        if termination is not None:
            return termination
        return Termination(models.TerminationReason.PARTICIPANT_FINISHED, "the script finished")


@attrs.frozen
class SupportDialogue:
    id: str
    label: str
    turns: tuple[tuple[str, str], ...]
    """(speaker, text) with speaker "customer" or "agent"."""
    outcomes: models.Outcomes
    keywords: tuple[OutcomeKeywords, ...]
    ends_after: int
    """Turns that carry something; the rest is only thanks and farewells."""
    domain: str = ""

    def premature(self, messages: int) -> bool:
        """Whether a replay that stopped after ``messages`` messages was cut short."""
        return messages < self.ends_after

    def scenario(self, judge_kind: str) -> Scenario:
        customer = tuple(t for s, t in self.turns[1:] if s == "customer") or ("(none)",)
        agent = tuple(t for s, t in self.turns if s == "agent") or ("(none)",)
        return Scenario(
            name="support-replay",
            title=self.id,
            initial_message=models.MessageDraft(
                content=self.turns[0][1], sender=_ROLE[self.turns[0][0]]
            ),
            outcomes=self.outcomes,
            customer=ParticipantSpec(
                models.ParticipantRole.CUSTOMER, kind="scripted", turns=customer
            ),
            agent=ParticipantSpec(models.ParticipantRole.AGENT, kind="scripted", turns=agent),
            max_messages=max(2, len(self.turns) + 2),
            judge=JudgeSpec(kind=judge_kind, keywords=self.keywords),
            termination=TerminationSpec(),
        )

    def runner(self, judge_kind: str) -> ReplayRunner:
        """The dialogue replayed message by message with the scenario's default rules."""
        plain = build_full_runner(self.scenario(judge_kind), seed=1)
        fields = {
            str(a.alias): getattr(plain, a.name)
            for a in attrs.fields(FullSimulationRunner)
            if a.init
        }
        script = tuple((_ROLE[s], t) for s, t in self.turns[1:])
        return ReplayRunner(**fields, script=script)

    def messages(self) -> Iterator[tuple[models.ParticipantRole, str]]:
        for speaker, text in self.turns:
            yield _ROLE[speaker], text


def load(path: Path = DATA) -> list[SupportDialogue]:
    with path.open(encoding="utf-8") as handle:
        return [_dialogue(json.loads(line)) for line in handle if line.strip()]


def _dialogue(row: dict[str, object]) -> SupportDialogue:
    turns = row["turns"]
    outcomes = row["outcomes"]
    assert isinstance(turns, list) and isinstance(outcomes, list)
    return SupportDialogue(
        id=str(row["id"]),
        label=str(row["label"]),
        turns=tuple((str(t[0]), str(t[1])) for t in turns),
        outcomes=models.Outcomes(
            tuple(models.Outcome(str(o["name"]), str(o["description"])) for o in outcomes)
        ),
        keywords=tuple(_keywords(o) for o in outcomes),
        ends_after=int(str(row["ends_after"])),
        domain=str(row.get("domain", "")),
    )


def _keywords(outcome: dict[str, object]) -> OutcomeKeywords:
    said_by = outcome.get("said_by")
    phrases = outcome.get("keywords") or []
    assert isinstance(phrases, list)
    return OutcomeKeywords(
        str(outcome["name"]),
        tuple(str(p) for p in phrases),
        _ROLE[str(said_by)] if said_by else None,
    )
