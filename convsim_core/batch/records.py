"""The transcripts of one or more batch folders, reduced to what reports need.

Only the header and the result line of each transcript are read (the messages stay on disk),
so a report over thousands of conversations stays quick. Shard folders of one batch are read
together; a conversation that appears twice is counted once.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from convsim_core.batch.folder import transcript_files
from convsim_core.batch.manifest import BatchFolderError, BatchManifest, read_manifest
from convsim_core.batch.plan import planned_id
from convsim_core.models import ConversationResult, TerminationReason
from convsim_core.serialization import SchemaError, from_json

logger = logging.getLogger(__name__)


@attrs.frozen
class ConversationRecord:
    """One transcript, reduced to what reports need (the messages stay on disk)."""

    run_id: str
    scenario: str
    path: Path
    run_index: int | None = None
    seed: int | None = None
    batch_id: str | None = None
    result: ConversationResult | None = None
    """None while the transcript has no result line."""
    attempt: int = 0
    """0 for a planned run; 1, 2, ... for its retries (``convsim test --retries``)."""

    @property
    def finished(self) -> bool:
        return (
            self.result is not None
            and self.result.termination_reason is not TerminationReason.STOPPED
        )

    @property
    def outcome(self) -> str | None:
        if self.result is None or self.result.conversation.outcome is None:
            return None
        return self.result.conversation.outcome.name

    @property
    def error(self) -> str | None:
        return self.result.error if self.result else None

    @property
    def termination(self) -> str | None:
        reason = self.result.termination_reason if self.result else None
        return reason.value if reason else None

    @property
    def messages(self) -> int:
        return len(self.result.conversation.messages) if self.result else 0

    @property
    def duration(self) -> float:
        return self.result.duration_seconds if self.result else 0.0


def read_record(path: Path) -> ConversationRecord:
    """Header and result line only: a report over thousands of transcripts stays quick."""
    header: dict[str, Any] = {}
    last: str | None = None
    with path.open(encoding="utf-8", errors="replace") as handle:
        first = handle.readline()
        for line in handle:
            if line.strip():
                last = line
    try:
        parsed = json.loads(first)
        if isinstance(parsed, dict) and parsed.get("type") == "header":
            header = parsed
    except (json.JSONDecodeError, RecursionError):
        pass
    result: ConversationResult | None = None
    if last is not None:
        try:
            data = json.loads(last)
            if isinstance(data, dict) and data.get("type") == "result":
                result = from_json(data, ConversationResult)
        except (json.JSONDecodeError, SchemaError, RecursionError) as exc:
            logger.warning("%s: unreadable result line: %s", path, exc)
    batch = header.get("batch") if isinstance(header.get("batch"), dict) else {}
    assert isinstance(batch, dict)
    scenario = batch.get("scenario") or header.get("scenario") or "unknown"
    if isinstance(scenario, dict):  # a builder may record the scenario as a table
        scenario = scenario.get("name", "unknown")
    return ConversationRecord(
        run_id=str(batch.get("run_id") or path.name.removesuffix(".jsonl")),
        scenario=str(scenario),
        path=path,
        run_index=batch.get("run_index"),
        seed=batch.get("seed", header.get("seed")),
        batch_id=batch.get("batch_id"),
        result=result,
        attempt=int(batch.get("attempt") or 0),
    )


@attrs.frozen
class BatchRecords:
    """The transcripts of one logical batch (one folder, or the shard folders of one batch)."""

    folders: tuple[Path, ...]
    records: tuple[ConversationRecord, ...]
    manifests: tuple[BatchManifest, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return ", ".join(str(f) for f in self.folders)

    def planned_by_scenario(self) -> Counter[str]:
        planned: Counter[str] = Counter()
        for manifest in self.manifests:
            for run in manifest.plan.planned_runs():
                planned[run.scenario] += 1
        return planned


def collect(folders: Sequence[str | Path]) -> BatchRecords:
    """Read every transcript of ``folders``; a run id seen twice is counted once."""
    paths = tuple(Path(f) for f in folders)
    problems: list[str] = []
    manifests: list[BatchManifest] = []
    planned: dict[Path, set[str]] = {}
    for folder in paths:
        if not folder.is_dir():
            raise BatchFolderError(f"{folder} is not a folder")
        try:
            manifest = read_manifest(folder)
        except BatchFolderError as exc:
            problems.append(str(exc))
            continue
        manifests.append(manifest)
        planned[folder] = {run.run_id for run in manifest.plan.planned_runs()}
    problems.extend(_shard_problems(manifests))
    chosen: dict[str, ConversationRecord] = {}
    for folder in paths:
        ours = planned.get(folder)
        foreign = 0
        for path in transcript_files(folder):
            if ours is not None and planned_id(path.name.removesuffix(".jsonl")) not in ours:
                foreign += 1  # someone else's file in the folder: not one of this batch's runs
                continue
            try:
                record = read_record(path)
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(f"{path}: {exc}")
                continue
            previous = chosen.get(record.run_id)
            if previous is None or (record.finished and not previous.finished):
                chosen[record.run_id] = record
            if previous is not None:
                problems.append(f"{record.run_id} appears in more than one folder; counted once")
        if foreign:
            problems.append(f"{folder}: ignored {foreign} .jsonl file(s) that are not this batch's")
    records = tuple(sorted(chosen.values(), key=lambda r: (r.scenario, r.run_index or 0, r.run_id)))
    return BatchRecords(paths, records, tuple(manifests), tuple(problems))


def _shard_problems(manifests: Sequence[BatchManifest]) -> list[str]:
    problems: list[str] = []
    by_batch: dict[str, list[BatchManifest]] = {}
    for manifest in manifests:
        by_batch.setdefault(manifest.batch_id, []).append(manifest)
    for batch_id, group in by_batch.items():
        shards = [m.plan.shard for m in group]
        if any(s is None for s in shards):
            continue
        count = shards[0].count if shards[0] else 1
        present = {s.index for s in shards if s is not None}
        absent = [f"{k}/{count}" for k in range(1, count + 1) if k not in present]
        if absent:
            problems.append(f"batch {batch_id}: shard(s) {', '.join(absent)} not included")
    return problems
