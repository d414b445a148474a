"""The runs folder: which transcripts were written lately, summarised for the start screen."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

import attrs

logger = logging.getLogger(__name__)


def runs_root(configured: Path | None = None) -> Path:
    """Where transcripts go: the configured folder, else $CONVSIM_HOME, else ./runs."""
    if configured is not None:
        return configured
    from convsim_core.builder import HOME_ENV

    return Path(os.environ.get(HOME_ENV) or "runs")


@attrs.frozen
class RecentRun:
    path: Path
    scenario: str
    seed: int | None
    started: str
    messages: int
    outcome: str | None
    error: str | None = None
    """Why the file could not be read (then nothing else is known)."""
    mode: str = ""
    """watch, play or connect (what the header says; older transcripts: from the runner)."""
    status: str = ""
    """done, stopped, error or partial (see :func:`run_status`); empty when unreadable."""

    @property
    def finished(self) -> bool:
        """The transcript has its result line (whatever the result)."""
        return self.status not in ("", "partial")

    def describe(self) -> str:
        when = self.started[:16].replace("T", " ") if self.started else "?"
        seed = f"seed {self.seed}" if self.seed is not None else "no seed"
        if self.error:
            state = f"unreadable: {self.error}"
        elif not self.finished:
            state = "partial"
        else:
            state = self.outcome or "no outcome"
            if self.status and self.status != "done":
                state = f"{self.status} · {state}"
        noun = "message" if self.messages == 1 else "messages"
        mode = f"{self.mode:<7} " if self.mode else ""
        return f"{when}  {mode}{self.scenario}  {seed}  {self.messages} {noun}  {state}"


def list_recent(root: Path, *, limit: int = 30) -> list[RecentRun]:
    """Newest transcripts first (by modification time), at most ``limit``."""
    if not root.is_dir():
        return []
    files = [p for p in root.glob("*/*.jsonl") if p.is_file()]
    files.sort(key=_mtime, reverse=True)
    return [summarise(path) for path in files[:limit]]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def summarise(path: Path) -> RecentRun:
    """Header, message count and outcome without parsing every message."""
    header: dict[str, Any] = {}
    result: dict[str, Any] | None = None
    messages = 0
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                kind = _kind(line)
                if kind == "message":
                    messages += 1
                elif kind == "header":
                    header = json.loads(line)
                elif kind == "result":
                    result = json.loads(line)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return RecentRun(path, path.parent.name, None, "", messages, None, error=str(exc))
    outcome = None
    if result is not None:
        found = (result.get("conversation") or {}).get("outcome")
        outcome = found.get("name") if isinstance(found, dict) else None
    seed = header.get("seed")
    return RecentRun(
        mode=run_mode(header),
        status=run_status(result),
        path=path,
        scenario=str(header.get("scenario") or path.parent.name),
        seed=seed if isinstance(seed, int) else None,
        started=str(header.get("started_at") or ""),
        messages=messages,
        outcome=outcome,
    )


def run_mode(header: dict[str, Any]) -> str:
    """Which mode wrote a transcript: its header says so; older ones are told by their runner."""
    mode = header.get("mode")
    if isinstance(mode, str) and mode:
        return mode
    runner = header.get("runner")
    if runner == "FullSimulationRunner":
        return "watch"
    if runner == "HybridSimulationRunner":
        return "play" if header.get("channel") == "TerminalChannel" else "connect"
    return ""


def run_status(result: dict[str, Any] | None) -> str:
    if result is None:
        return "partial"
    if result.get("termination_reason") == "stopped":
        return "stopped"
    return "error" if result.get("error") else "done"


_TYPE = re.compile(r'"type"\s*:\s*"(header|message|result)"')


def _kind(line: str) -> str | None:
    # Cheap: "type" comes right after "schema_version", so messages are never parsed.
    found = _TYPE.search(line, 0, 80)
    return found.group(1) if found else None
