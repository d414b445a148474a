"""Re-judging saved transcripts with the current outcome definitions, without re-running them.

Outcome definitions and judges improve after a batch has run; replaying each saved chat
message by message through a judge gives the verdict it would get now. The recorded result
is never touched: the new verdict is written beside the transcript as ``<stem>.verdict.json``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from convsim_core.builder import build_services
from convsim_core.models import Conversation, Judgement, Outcomes
from convsim_core.persistence import Transcript, read_transcript
from convsim_core.scenario import builtin_scenario, load_scenario
from convsim_core.scenario_models import JUDGE_KINDS, Scenario
from convsim_core.scenario_reader import ScenarioError
from convsim_core.serialization import SchemaError, to_json
from convsim_core.usage import UsageMeter
from convsim_core.verdict_why import why

VERDICT_SUFFIX = ".verdict.json"
_PARTIAL = re.compile(r"\.partial-\d+\.jsonl$")
NONE = "none"


class RejudgeError(Exception):
    """A transcript or scenario that cannot be re-judged; one line naming the file."""


@attrs.frozen
class Verdict:
    """One transcript's recorded outcome next to the one the judge gives it now."""

    conversation_id: str
    path: Path
    scenario: str
    judge: str
    recorded: str | None
    """The recorded outcome (``none`` for none; None when the run did not finish)."""
    judged: str
    judgement: Judgement
    outcomes: Outcomes | None = None
    human: str | None = None
    """A person's label saved in the transcript (play mode confirm/override)."""

    @property
    def changed(self) -> bool:
        return self.recorded is not None and self.recorded != self.judged

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "transcript": self.path.name,
            "scenario": self.scenario,
            "judge": self.judge,
            "recorded_outcome": self.recorded,
            "outcome": self.judged,
            "why": why(self.judgement, self.outcomes),
            "judgement": to_json(self.judgement),
        }


def transcript_paths(targets: Iterable[str | Path]) -> list[Path]:
    """The ``.jsonl`` transcripts named or found (recursively) in folders, in a stable order."""
    found: list[Path] = []
    for target in map(Path, targets):
        if target.is_dir():
            found.extend(
                sorted(
                    p
                    for p in target.rglob("*.jsonl")
                    if p.is_file() and not _PARTIAL.search(p.name)  # set aside by a batch
                )
            )
        elif target.is_file():
            found.append(target)
        else:
            raise RejudgeError(f"{target}: no such transcript file or folder")
    if not found:
        raise RejudgeError("no transcripts (.jsonl) found in " + ", ".join(map(str, targets)))
    return found


def scenario_for(transcript: Transcript, given: Scenario | None) -> Scenario:
    """``given``, else the scenario the transcript header names (its file, or a builtin)."""
    if given is not None:
        return given
    header = transcript.header
    path = header.get("scenario_path")
    try:
        if path and Path(path).is_file():
            return load_scenario(path)
        name = header.get("scenario")
        if name == "demo":
            return builtin_scenario("demo")
    except ScenarioError as exc:
        raise RejudgeError(str(exc)) from None
    raise RejudgeError(
        f"{transcript.path}: its scenario {path or header.get('scenario')!r} is not available;"
        " pass --scenario FILE"
    )


async def rejudge(transcript: Transcript, scenario: Scenario, kind: str | None) -> Verdict:
    """Replay the transcript's messages through the judge ``kind`` (default: the scenario's)."""
    if kind is not None and kind not in JUDGE_KINDS:
        raise RejudgeError(f"unknown judge {kind!r} (one of {', '.join(JUDGE_KINDS)})")
    if kind is not None:
        scenario = attrs.evolve(scenario, judge=attrs.evolve(scenario.judge, kind=kind))
    services = build_services(scenario, seed=scenario.seed, usage=UsageMeter())
    judge = services.judge
    outcomes: Outcomes = scenario.outcomes
    judgement: Judgement | None = None
    conversation = Conversation(())
    for message in transcript.messages:
        conversation = conversation.with_message(message)
        judgement = await judge.judge(conversation, outcomes, scenario.intent, judgement)
    judgement = judgement or Judgement(outcome=None, rationale="no messages")
    result = transcript.result
    recorded: str | None = None
    human: str | None = None
    if result is not None:
        outcome = result.conversation.outcome
        recorded = outcome.name if outcome else NONE
        if result.outcome_overridden_by:
            human = recorded
    return Verdict(
        conversation_id=transcript.path.stem,
        path=transcript.path,
        scenario=scenario.name,
        judge=str(services.header.get("judge", kind or scenario.judge.kind)),
        recorded=recorded,
        judged=judgement.outcome.name if judgement.outcome else NONE,
        judgement=judgement,
        outcomes=outcomes,
        human=human,
    )


def verdict_path(transcript: Path) -> Path:
    return transcript.with_name(transcript.stem + VERDICT_SUFFIX)


def write_verdict(verdict: Verdict) -> Path:
    """Beside the transcript; the transcript itself (and its recorded result) stays as it is."""
    path = verdict_path(verdict.path)
    path.write_text(json.dumps(verdict.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def read(path: Path) -> Transcript:
    try:
        return read_transcript(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise RejudgeError(f"{path}: cannot read the file: {exc}") from None
    except SchemaError as exc:
        raise RejudgeError(str(exc)) from None


def change_summary(verdicts: Sequence[Verdict]) -> list[str]:
    """Lines saying what changed: counts per recorded -> new outcome, then each change."""
    moves: Counter[tuple[str, str]] = Counter()
    for verdict in verdicts:
        moves[(verdict.recorded or "unfinished", verdict.judged)] += 1
    changed = [v for v in verdicts if v.changed]
    lines = [f"{len(verdicts)} transcripts re-judged, {len(changed)} verdicts changed"]
    for (old, new), count in sorted(moves.items(), key=lambda kv: (-kv[1], kv[0])):
        arrow = "unchanged" if old == new else f"-> {new}"
        lines.append(f"  {old} {arrow}: {count}")
    for verdict in changed:
        lines.append(
            f"  changed: {verdict.conversation_id}: {verdict.recorded} -> {verdict.judged}"
            f" ({why(verdict.judgement, verdict.outcomes)})"
        )
    return lines
