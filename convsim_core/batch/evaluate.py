"""From a batch folder's transcripts to verdicts: each conversation checked against its
scenario's ``[expect]`` table and attributed, then grouped per scenario.

Unlike the summary (header and result line only), this reads the messages, because the
phrase checks and the role-break check look at what was said. Scenarios without ``[expect]``
get no verdict.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from convsim_core.batch.attribution import attribute
from convsim_core.batch.manifest import (
    BUILTIN_PREFIX,
    BatchFolderError,
    BatchManifest,
    read_manifest,
    scenario_location,
)
from convsim_core.batch.records import BatchRecords, ConversationRecord
from convsim_core.batch.verdict import RunVerdict, ScenarioVerdict, build_verdict
from convsim_core.expectations import Expectations, check_conversation
from convsim_core.models import ConversationResult, Message
from convsim_core.persistence import read_transcript
from convsim_core.serialization import SchemaError

logger = logging.getLogger(__name__)


def judge_run(
    run_id: str,
    run_index: int,
    attempt: int,
    path: str | Path,
    result: ConversationResult,
    expect: Expectations,
    messages: Sequence[Message] | None = None,
    header: Mapping[str, Any] | None = None,
) -> RunVerdict:
    """One finished conversation against ``expect``, with its fault when it did not pass."""
    messages = result.conversation.messages if messages is None else messages
    outcome = result.conversation.outcome.name if result.conversation.outcome else None
    check = check_conversation(expect, outcome, messages) if result.error is None else None
    blame = attribute(result, check, messages, header)
    return RunVerdict(
        run_id=run_id,
        run_index=run_index,
        attempt=attempt,
        path=str(path),
        outcome=outcome,
        passed=blame is None,
        fault=blame.fault if blame else None,
        reason=blame.reason if blame else "",
        message_index=blame.message_index if blame else None,
    )


def judge_record(record: ConversationRecord, expect: Expectations) -> RunVerdict | None:
    if not record.finished:
        return None
    try:
        transcript = read_transcript(record.path)
    except (OSError, SchemaError) as exc:
        logger.warning("%s: cannot read for its verdict: %s", record.path, exc)
        return None
    result = transcript.result
    if result is None:
        return None
    batch = transcript.header.get("batch")
    header = {**transcript.header, **(batch if isinstance(batch, dict) else {})}
    return judge_run(
        record.run_id,
        record.run_index or 0,
        record.attempt,
        record.path,
        result,
        expect,
        transcript.messages or result.conversation.messages,
        header,
    )


def manifest_expectations(
    folder: Path, manifest: BatchManifest
) -> dict[str, tuple[Expectations, float]]:
    """The ``[expect]`` tables (and ``weight``) of a batch's scenarios, from the folder's
    copies of them."""
    from convsim_core.scenario import ScenarioError, builtin_scenario, load_scenario

    found: dict[str, tuple[Expectations, float]] = {}
    for entry in manifest.plan.scenarios:
        location = scenario_location(folder, manifest, entry.key)
        try:
            if location.startswith(BUILTIN_PREFIX):
                scenario = builtin_scenario(location.removeprefix(BUILTIN_PREFIX))
            else:
                scenario = load_scenario(location)
        except (ScenarioError, OSError) as exc:
            logger.warning("no verdict for %s: %s", entry.key, exc)
            continue
        if scenario.expect is not None:
            found[entry.key] = (scenario.expect, scenario.weight)
    return found


def evaluate(
    batch: BatchRecords,
    expectations: Mapping[str, Expectations] | None = None,
    weights: Mapping[str, float] | None = None,
) -> tuple[ScenarioVerdict, ...]:
    """A verdict for every scenario of ``batch`` that has expectations, in batch order.

    ``k`` and ``sequential`` come from the manifest's settings (``convsim test --k`` and
    ``--until-decided``), so ``convsim report`` shows the same figures as the run did.
    """
    k: int | None = None
    sequential = False
    for folder in batch.folders:
        try:
            settings = read_manifest(folder).settings
        except BatchFolderError:
            continue
        if isinstance(settings.get("k"), int) and k is None:
            k = settings["k"]
        sequential = sequential or settings.get("until_decided") is True
    if expectations is None:
        found: dict[str, Expectations] = {}
        found_weights: dict[str, float] = {}
        for folder in batch.folders:
            try:
                manifest = read_manifest(folder)
            except BatchFolderError:
                continue
            for key, (table, weight) in manifest_expectations(folder, manifest).items():
                found.setdefault(key, table)
                found_weights.setdefault(key, weight)
        expectations = found
        weights = weights or found_weights
    planned = batch.planned_by_scenario()
    by_scenario: dict[str, list[RunVerdict]] = {key: [] for key in expectations}
    for record in batch.records:
        wanted = expectations.get(record.scenario)
        if wanted is None:
            continue
        verdict = judge_record(record, wanted)
        if verdict is not None:
            by_scenario[record.scenario].append(verdict)
    return tuple(
        build_verdict(
            key,
            expectations[key].min_pass_rate,
            planned.get(key) or len({r.run_index for r in runs}),
            runs,
            weight=(weights or {}).get(key, 1.0),
            k=k,
            sequential=sequential,
        )
        for key, runs in by_scenario.items()
    )
