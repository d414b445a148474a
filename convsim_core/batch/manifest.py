"""``DIR/batch.json``: what a batch folder was asked to run, so it can be resumed, merged and
re-run one conversation at a time long after the process that wrote it is gone.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from convsim_core.atomic import write_text_atomic
from convsim_core.batch.plan import BatchPlan, PlannedRun, ScenarioEntry, ShardSpec, safe_name
from convsim_core.safepath import OutsideFolderError, inside
from convsim_core.serialization import structure_record, unstructure

MANIFEST_NAME = "batch.json"
MANIFEST_VERSION = 1
SCENARIO_COPIES = "scenarios"
BUILTIN_PREFIX = "builtin:"


class BatchFolderError(ValueError):
    """A folder is not a batch folder, or does not match what the command asked for."""


# -- the file's layout, read and written by the project's one cattrs converter ---------------


@attrs.frozen
class _ScenarioRecord:
    key: str
    source: str
    seed: int
    title: str = ""
    copy: str | None = None
    """The scenario file's copy inside the folder (relative path), if one was kept."""


@attrs.frozen
class _PlannedRecord:
    id: str
    scenario: str
    run_index: int
    seed: int


@attrs.frozen(kw_only=True)
class _ManifestFile:
    """``batch.json`` as stored; the field order is the file's key order."""

    convsim_batch: int
    batch_id: str | None = None
    created_at: str = ""
    mode: str = "full"
    runs: int
    shard: str | None = None
    scenarios: tuple[_ScenarioRecord, ...]
    settings: dict[str, Any] = attrs.field(factory=dict)
    attempts: tuple[dict[str, Any], ...] = ()
    planned: tuple[_PlannedRecord, ...] = ()
    """Every conversation's id and seed, for people and tools (recomputed from the plan)."""


@attrs.frozen
class BatchManifest:
    plan: BatchPlan
    mode: str = "full"
    """``full`` or ``hybrid``."""
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    """Concurrency, channel, rate limits: recorded for people and re-runs, never re-read blindly."""
    created_at: str = attrs.field(factory=lambda: datetime.now(UTC).isoformat())
    attempts: tuple[Mapping[str, Any], ...] = ()
    """One entry per start or resume of this folder."""
    copies: Mapping[str, str] = attrs.field(factory=dict)
    """Scenario key -> copy of its file inside the folder (relative path)."""

    @property
    def batch_id(self) -> str:
        return self.plan.batch_id

    def to_dict(self) -> dict[str, Any]:
        plan = self.plan
        record = _ManifestFile(
            convsim_batch=MANIFEST_VERSION,
            batch_id=plan.batch_id,
            created_at=self.created_at,
            mode=self.mode,
            runs=plan.runs,
            shard=str(plan.shard) if plan.shard else None,
            scenarios=tuple(
                _ScenarioRecord(e.key, e.source, e.seed, e.title, self.copies.get(e.key))
                for e in plan.scenarios
            ),
            settings=dict(self.settings),
            attempts=tuple(dict(a) for a in self.attempts),
            planned=tuple(
                _PlannedRecord(r.run_id, r.scenario, r.run_index, r.seed)
                for r in plan.planned_runs()
            ),
        )
        return unstructure(record)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str) -> BatchManifest:
        if data.get("convsim_batch") != MANIFEST_VERSION:
            raise BatchFolderError(f"{source}: not a convsim batch manifest of version 1")
        try:
            record = structure_record(data, _ManifestFile, what="batch manifest")
            shard = ShardSpec.parse(record.shard) if record.shard else None
            scenarios = tuple(
                ScenarioEntry(key=s.key, source=s.source, seed=s.seed, title=s.title)
                for s in record.scenarios
            )
            plan = BatchPlan(scenarios, record.runs, shard)
        except ValueError as exc:
            raise BatchFolderError(f"{source}: malformed batch manifest: {exc}") from exc
        copies = {s.key: s.copy for s in record.scenarios if s.copy}
        for entry in scenarios:
            if entry.key != safe_name(entry.key):
                raise BatchFolderError(
                    f"{source}: scenario key {entry.key!r} is not a plain name"
                    " (letters, digits, '-', '_', '.'); refusing a manifest that could write"
                    " outside its folder"
                )
        for key, copy in copies.items():
            try:
                inside(Path(source).parent, copy)
            except OutsideFolderError as exc:
                raise BatchFolderError(f"{source}: copy of scenario {key!r}: {exc}") from None
        if record.batch_id not in (None, plan.batch_id):
            raise BatchFolderError(f"{source}: batch_id does not match its scenarios and runs")
        return cls(
            plan=plan,
            mode=record.mode,
            settings=record.settings,
            created_at=record.created_at,
            attempts=record.attempts,
            copies=copies,
        )

    def with_attempt(self, **details: Any) -> BatchManifest:
        attempt = {"started_at": datetime.now(UTC).isoformat(), **details}
        return attrs.evolve(self, attempts=(*self.attempts, attempt))


def manifest_path(folder: str | Path) -> Path:
    return Path(folder) / MANIFEST_NAME


def has_manifest(folder: str | Path) -> bool:
    return manifest_path(folder).is_file()


def write_manifest(folder: str | Path, manifest: BatchManifest) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a manifest."""
    path = manifest_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(path, json.dumps(manifest.to_dict(), indent=2) + "\n")


def read_manifest(folder: str | Path) -> BatchManifest:
    path = manifest_path(folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BatchFolderError(f"{folder} is not a batch folder (no {MANIFEST_NAME})") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise BatchFolderError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise BatchFolderError(f"{path}: expected a JSON object")
    return BatchManifest.from_dict(data, source=str(path))


def copy_scenario_files(folder: str | Path, plan: BatchPlan) -> dict[str, str]:
    """Keep a copy of every scenario file in the folder, so re-runs use what this batch used."""
    copies: dict[str, str] = {}
    for entry in plan.scenarios:
        if entry.source.startswith(BUILTIN_PREFIX):
            continue
        source = Path(entry.source)
        if not source.is_file():
            continue
        relative = Path(SCENARIO_COPIES) / entry.key / source.name
        target = Path(folder) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(source, target)
        copies[entry.key] = relative.as_posix()
    return copies


def find_run(manifest: BatchManifest, run_id: str) -> PlannedRun:
    for run in manifest.plan.planned_runs():
        if run.run_id == run_id:
            return run
    raise BatchFolderError(f"no conversation {run_id!r} in this batch folder")


def scenario_location(folder: str | Path, manifest: BatchManifest, key: str) -> str:
    """Where to load scenario ``key`` from: the folder's copy, else its original source."""
    copy = manifest.copies.get(key)
    if copy:
        try:
            path = inside(folder, copy)
        except OutsideFolderError as exc:
            raise BatchFolderError(f"{folder}: copy of scenario {key!r}: {exc}") from None
        if path.is_file():
            return str(path)
    return manifest.plan.entry(key).source


def load_run_spec(folder: str | Path, run_id: str) -> tuple[Any, int]:
    """The scenario and seed of one conversation of a batch folder, to re-run it exactly.

    ``run_id`` may also be given as the transcript file name (``ID.jsonl``). Returns
    ``(Scenario, seed)``; raises :class:`BatchFolderError` with a one-line reason.
    """
    from convsim_core import scenario as scenarios  # late: keeps batch planning importable alone

    folder = Path(folder)
    run_id = run_id.removesuffix(".jsonl")
    manifest = read_manifest(folder)
    run = find_run(manifest, run_id)
    location = scenario_location(folder, manifest, run.scenario)
    try:
        if location.startswith(BUILTIN_PREFIX):
            loaded = scenarios.builtin_scenario(location.removeprefix(BUILTIN_PREFIX))
        else:
            loaded = scenarios.load_scenario(location)
    except (OSError, ValueError) as exc:
        raise BatchFolderError(f"cannot load scenario {run.scenario!r}: {exc}") from exc
    return loaded, run.seed


def split_run_path(text: str | Path) -> tuple[Path, str]:
    """``DIR/ID`` (or ``DIR/ID.jsonl``) -> ``(DIR, ID)``, for ``convsim watch --from``."""
    path = Path(text)
    return path.parent, path.name.removesuffix(".jsonl")
