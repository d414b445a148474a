"""Verdict quality on real human-written dialogues, and what the judge costs per message.

    python -m benchmarks.bench_verdicts [--data FILE] [--passes N] [--only dev]
                                        [--show-misses dev]

Replays the 600 Schema-Guided Dialogue conversations (``/work/shared/data/sgd-train-600``,
CC BY-SA 4.0) as scripted scenarios (:mod:`benchmarks.sgd_replay`) through the real full
runner, with the default termination rules, once with the offline judge and once with the
literal keyword judge (the baseline). Reports, for the development half, the held-out half
(never looked at while writing the judge) and all 600: accuracy per true class, the confusion
matrix and premature endings (a chat that ended while a later turn still had something to
say: any dialogue act but a goodbye or thanks). Then the judges' cost per message, measured on
the same messages in the same run.

Targets: >= 90% per class, 0 premature endings.

``--only dev`` measures the development half alone (work on the rules without looking at the
held-out figure); ``--show-misses dev`` prints each wrong verdict of the development half with
its transcript and why the judge decided as it did. Misses are only ever shown for the
development half: the held-out half is for measuring.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.sgd_replay import DATA, OUTCOMES, Dialogue, alternating, load, scenario, split
from convsim_core.builder import build_full_runner, build_services
from convsim_core.models import Conversation, ConversationResult, Message
from convsim_core.offline_judge import forget_readings
from convsim_core.usage import UsageMeter
from convsim_core.verdict_why import why

CLASSES = ("completed", "failed", "none")
KINDS = ("offline", "keyword")
TARGET = 0.90


async def verdicts(
    dialogues: Sequence[Dialogue], kind: str, *, show_misses: bool = False
) -> tuple[collections.Counter[tuple[str, str]], int, int]:
    """(confusion counts (true, judged), premature endings, ended before the last message)."""
    confusion: collections.Counter[tuple[str, str]] = collections.Counter()
    premature = early = 0
    for dialogue in dialogues:
        result = await build_full_runner(scenario(dialogue, kind), seed=1).run()
        outcome = result.conversation.outcome
        judged = outcome.name if outcome else "none"
        confusion[(dialogue.label, judged)] += 1
        count = len(result.conversation.messages)
        premature += dialogue.premature(count)
        early += count < len(dialogue.turns)
        if show_misses and judged != dialogue.label:
            show_miss(dialogue, judged, result)
    return confusion, premature, early


def show_miss(dialogue: Dialogue, judged: str, result: ConversationResult) -> None:
    """One wrong verdict: the transcript as replayed, and the judge's own explanation."""
    print(f"--- {dialogue.id}: true {dialogue.label}, judged {judged}")
    for number, message in enumerate(result.conversation.messages, start=1):
        print(f"  #{number} {message.sender.value}: {message.content}")
    print(f"  why: {why(result.judgement, OUTCOMES)}")


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


async def cost(dialogues: Sequence[Dialogue], kind: str, passes: int) -> tuple[float, float, int]:
    """(µs per message on the first pass, µs per message over all passes, messages per pass).

    The first pass reads every line fresh; later passes see lines again, as a batch against
    a bot sees its templates again (the offline judge remembers readings per line).
    """
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    prefixes: list[Conversation] = []
    for dialogue in dialogues:
        conversation = Conversation(())
        for role, text in alternating(dialogue):
            conversation = conversation.with_message(Message(text, stamp, role))
            prefixes.append(conversation)
    judge = build_services(scenario(dialogues[0], kind), seed=1, usage=UsageMeter()).judge
    outcomes = scenario(dialogues[0], kind).outcomes
    forget_readings()
    count = 0
    start = time.perf_counter()
    first = 0.0
    for number in range(passes):
        previous = None
        for conversation in prefixes:
            if len(conversation.messages) == 1:
                previous = None  # a new dialogue
            previous = await judge.judge(conversation, outcomes, None, previous)
            count += 1
        if number == 0:
            first = time.perf_counter() - start
    elapsed = time.perf_counter() - start
    per_pass = count // passes
    return first / per_pass * 1e6, elapsed / count * 1e6, per_pass


async def main(data: Path, passes: int, only: str | None, show_misses: str | None) -> None:
    logging.disable(logging.WARNING)
    dialogues = load(data)
    dev, held = split(dialogues)
    print(
        f"bench_verdicts: {len(dialogues)} dialogues from {data}"
        f" (development {len(dev)}, held out {len(held)})"
    )
    if show_misses == "dev":
        print("wrong verdicts of the offline judge on the development half:")
        await verdicts(dev, "offline", show_misses=True)
    parts = (
        (("dev", dev),) if only == "dev" else (("dev", dev), ("held-out", held), ("all", dialogues))
    )
    print("verdicts (default termination rules, both sides scripted):")
    for kind in KINDS:
        for name, part in parts:
            confusion, premature, early = await verdicts(part, kind)
            report(name, kind, confusion, premature, early)
            if name == parts[-1][0]:
                matrix(confusion)
    print(f"judge cost per message ({passes} passes over every message, same run):")
    figures = {}
    for kind in KINDS:
        first, overall, messages = await cost(dialogues, kind, passes)
        figures[kind] = first
        print(
            f"  {kind:<8} first reading {first:6.2f} µs/message, over all passes"
            f" {overall:6.2f} µs/message ({messages} messages per pass)"
        )
    ratio = figures["offline"] / figures["keyword"]
    print(f"  offline judge / keyword judge, first reading: {ratio:.1f}x")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument(
        "--only", choices=("dev",), help="measure the development half alone (no held-out figure)"
    )
    parser.add_argument(
        "--show-misses",
        choices=("dev",),
        help="print the offline judge's wrong verdicts; development half only",
    )
    args = parser.parse_args()
    asyncio.run(main(args.data, args.passes, args.only, args.show_misses))


if __name__ == "__main__":
    cli()
