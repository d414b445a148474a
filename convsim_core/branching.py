"""Branch from a saved conversation: its first N messages become the history of a new run.

The new run records them first (judged like any message, so the outcome panel and the judge's
state are those of the parent at that point), then continues live: another seed, another kind
of participant, another bot. Its transcript header names the parent file and the branch point
(``branched_from``, ``branch_at``), so a reader can always tell where the history came from.

A bot does not see the history (bots keep their own state per session): when the history ends
with the customer's message, that message is sent to the bot so it has something to answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from convsim_core.models import Message
from convsim_core.persistence import Transcript, read_transcript
from convsim_core.runners.base import Runner


class BranchError(ValueError):
    """The transcript or the branch point cannot be branched from (one-line reason)."""


@attrs.frozen
class Branch:
    parent: Path
    at: int
    """Messages 0..at-1 of the parent are the history."""
    history: tuple[Message, ...]
    parent_header: dict[str, Any] = attrs.field(factory=dict)

    @property
    def header(self) -> dict[str, Any]:
        """What the new transcript's header records about its parent."""
        return {"branched_from": str(self.parent), "branch_at": self.at}

    @property
    def seed(self) -> int | None:
        seed = self.parent_header.get("seed")
        return seed if isinstance(seed, int) else None

    @property
    def scenario_ref(self) -> str | None:
        """The parent's scenario: its file when it had one, else its (built-in) name."""
        path = self.parent_header.get("scenario_path")
        if isinstance(path, str) and path and Path(path).exists():
            return path
        name = self.parent_header.get("scenario")
        return str(name) if name else None


def load_branch(path: str | Path, at: int | None) -> Branch:
    """The parent transcript's first ``at`` messages (all of them when None)."""
    path = Path(path)
    try:
        transcript: Transcript = read_transcript(path)
    except FileNotFoundError:
        raise BranchError(f"{path}: no such transcript file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BranchError(f"{path}: cannot read the transcript: {exc}") from None
    messages = transcript.messages
    if not messages:
        raise BranchError(f"{path}: the transcript has no messages to branch from")
    count = len(messages) if at is None else at
    if not 1 <= count <= len(messages):
        raise BranchError(
            f"--at must be between 1 and {len(messages)} (the messages in {path.name}), got {at}"
        )
    return Branch(path, count, tuple(messages[:count]), dict(transcript.header))


def apply_branch(runner: Runner, branch: Branch | None) -> Runner:
    """Give a fresh runner the branch's history and header (no-op without a branch)."""
    if branch is None:
        return runner
    runner.history = branch.history  # type: ignore[attr-defined]
    runner.services.header.update(branch.header)
    return runner
