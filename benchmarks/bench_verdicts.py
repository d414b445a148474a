"""Verdict quality on real human-written dialogues, and what the judge costs per message.

    python -m benchmarks.bench_verdicts [--dataset sgd|support|fresh|fresh2|fresh3|all]
                                        [--data FILE] [--passes N] [--only dev] [--show-misses dev]

Two datasets, each replayed as scripted scenarios through the real full runner with the default
termination rules, once with the offline judge and once with the literal keyword judge (the
baseline):

- ``sgd``: the 600 Schema-Guided Dialogue conversations (``/work/shared/data/sgd-train-600``,
  CC BY-SA 4.0; :mod:`benchmarks.sgd_replay`), booking and travel, one pair of outcomes
  written once for all of them;
- ``support``: 90 hand-written customer-support chats (``tests/data/support_dialogues.jsonl``,
  CC0; :mod:`benchmarks.support_replay`): refunds, deliveries, passwords, subscriptions,
  billing, telecom, banking, insurance, appointments, food delivery, travel, each with the
  outcomes a user would write for its scenario, several messages in a row where a bot sends
  bubbles;
- ``fresh``: 45 more support chats (``tests/data/support_dialogues_fresh.jsonl``, CC0),
  measured as a whole. Written to be unseen, they became development data in session 3: the
  judge's general-English frames were written while reading their misses (``--show-misses
  dev`` prints them), so they no longer measure generalisation;
- ``fresh2``: 60 more support chats (``tests/data/support_dialogues_fresh2.jsonl``, CC0),
  measured as a whole. Held out from everyone writing the judge until measured once in
  session 3 (75% / 65% / 75%), then development data like ``fresh``: the judge's
  dialogue-level rules (the last word wins, pending is not done, ...) were written from the
  causes of their misses;
- ``fresh3``: 60 more support chats (``tests/data/support_dialogues_fresh3.jsonl``, CC0, 32
  new domains), held out from everyone writing the judge: only ever measured, as a whole, no
  misses shown.

Reports, per dataset, for the development half, the held-out half (never looked at while
writing the judge) and all: accuracy per true class, the confusion matrix and premature endings
(a chat that ended while a later turn still had something to say: for SGD any dialogue act but
a goodbye or thanks; for the support set a turn before its hand-marked ``ends_after``). Then
the judges' cost per message, measured on the same messages in the same run.

Targets: >= 90% per class, 0 premature endings.

``--only dev`` measures the development halves alone (work on the rules without looking at the
held-out figures); ``--show-misses dev`` prints each wrong verdict of a development half with
its transcript and why the judge decided as it did. Misses are only ever shown for the
development half: the held-out half is for measuring.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from benchmarks import sgd_replay, support_replay
from benchmarks.sgd_replay import split
from convsim_core.builder import build_services
from convsim_core.judging import OutcomeJudge
from convsim_core.models import Conversation, ConversationResult, Message, Outcomes, ParticipantRole
from convsim_core.offline_judge import forget_readings
from convsim_core.runners.base import Runner
from convsim_core.scenario_models import Scenario
from convsim_core.usage import UsageMeter
from convsim_core.verdict_why import why

CLASSES = ("completed", "failed", "none")
KINDS = ("offline", "keyword")
TARGET = 0.90
DATASETS = ("sgd", "support", "fresh", "fresh2", "fresh3")
UNSEEN = frozenset({"fresh3"})
"""Datasets measured whole and only measured: no development half, no misses shown (a set
held out from everyone writing the judge stays here while it measures unseen wording)."""
WHOLE = frozenset({"fresh", "fresh2"})
"""Datasets measured whole, without a held-out half: development data since session 3 (the
offline judge's generalisation rules were written reading their misses; ``fresh2`` after one
blind measurement)."""


class Replayable(Protocol):
    """A dialogue with its true label that replays as a scenario (SGD or the support set)."""

    @property
    def id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def turns(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def outcomes(self) -> Outcomes: ...

    def premature(self, messages: int) -> bool: ...
    def scenario(self, judge_kind: str) -> Scenario: ...
    def runner(self, judge_kind: str) -> Runner: ...
    def messages(self) -> Iterator[tuple[ParticipantRole, str]]: ...


async def verdicts(
    dialogues: Sequence[Replayable], kind: str, *, show_misses: bool = False
) -> tuple[collections.Counter[tuple[str, str]], int, int]:
    """(confusion counts (true, judged), premature endings, ended before the last message)."""
    confusion: collections.Counter[tuple[str, str]] = collections.Counter()
    premature = early = 0
    for dialogue in dialogues:
        result = await dialogue.runner(kind).run()
        outcome = result.conversation.outcome
        judged = outcome.name if outcome else "none"
        confusion[(dialogue.label, judged)] += 1
        count = len(result.conversation.messages)
        premature += dialogue.premature(count)
        early += count < len(dialogue.turns)
        if show_misses and judged != dialogue.label:
            show_miss(dialogue, judged, result)
    return confusion, premature, early


def show_miss(dialogue: Replayable, judged: str, result: ConversationResult) -> None:
    """One wrong verdict: the transcript as replayed, and the judge's own explanation."""
    print(f"--- {dialogue.id}: true {dialogue.label}, judged {judged}")
    for number, message in enumerate(result.conversation.messages, start=1):
        print(f"  #{number} {message.sender.value}: {message.content}")
    print(f"  why: {why(result.judgement, dialogue.outcomes)}")


def report(
    name: str,
    kind: str,
    confusion: collections.Counter[tuple[str, str]],
    premature: int,
    early: int,
) -> None:
    cells = []
    for label in CLASSES:
        total = sum(v for (true, _), v in confusion.items() if true == label)
        right = confusion[(label, label)]
        share = right / total if total else 0.0
        mark = "met" if share >= TARGET else "MISSED"
        cells.append(f"{label} {right}/{total} = {share:.1%} ({mark})")
    print(
        f"  {name:<9} {kind:<8} " + "; ".join(cells) + f"; premature endings: {premature}"
        f" (ended on a sign-off before the other side's last goodbye: {early - premature})"
    )


def matrix(confusion: collections.Counter[tuple[str, str]]) -> None:
    print("      true \\ judged " + " ".join(f"{c:>10}" for c in CLASSES))
    for label in CLASSES:
        print(f"      {label:<15} " + " ".join(f"{confusion[(label, c)]:>10}" for c in CLASSES))


async def cost(dialogues: Sequence[Replayable], kind: str, passes: int) -> tuple[float, float, int]:
    """(µs per message on the first pass, µs per message over all passes, messages per pass).

    The first pass reads every line fresh; later passes see lines again, as a batch against
    a bot sees its templates again (the offline judge remembers readings per line). Each
    dialogue is judged by its own scenario's judge (built before the clock starts; dialogues
    with the same outcomes share one).
    """
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    built: dict[object, tuple[OutcomeJudge, Outcomes]] = {}
    work: list[tuple[OutcomeJudge, Outcomes, Conversation]] = []
    for dialogue in dialogues:
        setting = dialogue.scenario(kind)
        key = (setting.outcomes, setting.judge)
        if key not in built:
            judge = build_services(setting, seed=1, usage=UsageMeter()).judge
            built[key] = (judge, setting.outcomes)
        judge, outcomes = built[key]
        conversation = Conversation(())
        for role, text in dialogue.messages():
            conversation = conversation.with_message(Message(text, stamp, role))
            work.append((judge, outcomes, conversation))
    forget_readings()
    count = 0
    start = time.perf_counter()
    first = 0.0
    for number in range(passes):
        previous = None
        for judge, outcomes, conversation in work:
            if len(conversation.messages) == 1:
                previous = None  # a new dialogue
            previous = await judge.judge(conversation, outcomes, None, previous)
            count += 1
        if number == 0:
            first = time.perf_counter() - start
    elapsed = time.perf_counter() - start
    per_pass = count // passes
    return first / per_pass * 1e6, elapsed / count * 1e6, per_pass


def dataset(name: str, data: Path | None) -> tuple[Sequence[Replayable], str]:
    """The dialogues of ``name`` and where they came from."""
    if name == "sgd":
        path = data or sgd_replay.DATA
        return sgd_replay.load(path), str(path)
    paths = {
        "fresh": support_replay.FRESH,
        "fresh2": support_replay.FRESH2,
        "fresh3": support_replay.FRESH3,
    }
    path = paths.get(name, support_replay.DATA)
    return support_replay.load(path), str(path)


async def measure(
    name: str, dialogues: Sequence[Replayable], source: str, only: str | None, show: str | None
) -> None:
    if name in UNSEEN:
        if only == "dev":
            return
        print(f"[{name}] {len(dialogues)} dialogues from {source} (all unseen: measured only)")
        await _verdict_table(name, (("unseen", dialogues),))
        return
    if name in WHOLE:
        print(f"[{name}] {len(dialogues)} dialogues from {source} (all development data)")
        if show == "dev":
            print(f"wrong verdicts of the offline judge on the {name} dialogues:")
            await verdicts(dialogues, "offline", show_misses=True)
        await _verdict_table(name, (("dev", dialogues),))
        return
    dev, held = split(dialogues)
    print(
        f"[{name}] {len(dialogues)} dialogues from {source}"
        f" (development {len(dev)}, held out {len(held)})"
    )
    if show == "dev":
        print(f"wrong verdicts of the offline judge on the {name} development half:")
        await verdicts(dev, "offline", show_misses=True)
    parts: tuple[tuple[str, Sequence[Replayable]], ...] = (
        (("dev", dev),) if only == "dev" else (("dev", dev), ("held-out", held), ("all", dialogues))
    )
    await _verdict_table(name, parts)


async def _verdict_table(name: str, parts: Sequence[tuple[str, Sequence[Replayable]]]) -> None:
    print(f"[{name}] verdicts (default termination rules, both sides scripted):")
    for kind in KINDS:
        for part, chats in parts:
            confusion, premature, early = await verdicts(chats, kind)
            report(part, kind, confusion, premature, early)
            if part == parts[-1][0]:
                matrix(confusion)


async def main(
    data: Path | None, passes: int, only: str | None, show_misses: str | None, which: str
) -> None:
    logging.disable(logging.WARNING)
    names = (
        tuple(n for n in DATASETS if n != "fresh3" or support_replay.FRESH3.exists())
        if which == "all"
        else (which,)
    )
    loaded = {name: dataset(name, data) for name in names}
    print(f"bench_verdicts: {', '.join(names)}")
    for name, (dialogues, source) in loaded.items():
        await measure(name, dialogues, source, only, show_misses)
    print(f"judge cost per message ({passes} passes over every message, same run):")
    for name, (dialogues, _) in loaded.items():
        figures = {}
        for kind in KINDS:
            first, overall, messages = await cost(dialogues, kind, passes)
            figures[kind] = first
            print(
                f"  [{name}] {kind:<8} first reading {first:6.2f} µs/message, over all passes"
                f" {overall:6.2f} µs/message ({messages} messages per pass)"
            )
        ratio = figures["offline"] / figures["keyword"]
        print(f"  [{name}] offline judge / keyword judge, first reading: {ratio:.1f}x")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset", choices=(*DATASETS, "all"), default="all", help="which dialogues (all)"
    )
    parser.add_argument("--data", type=Path, default=None, help="the SGD file (sgd only)")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument(
        "--only", choices=("dev",), help="measure the development halves alone (no held-out figure)"
    )
    parser.add_argument(
        "--show-misses",
        choices=("dev",),
        help="print the offline judge's wrong verdicts; development halves only",
    )
    args = parser.parse_args()
    asyncio.run(main(args.data, args.passes, args.only, args.show_misses, args.dataset))


if __name__ == "__main__":
    cli()
