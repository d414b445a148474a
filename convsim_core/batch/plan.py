"""What a batch runs: every scenario N times, each run with its own reproducible seed.

Everything here is a pure function of the scenarios and the run count, so a resumed batch, a
shard on another machine and ``convsim watch --from`` all agree on which conversation is which
and which seed it used, without talking to each other.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence

import attrs

_SEED_SPACE = 2**31
MAX_PLANNED_RUNS = 1_000_000
"""Conversations one batch may plan: its manifest lists every one, so it must fit in memory."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def derive_seed(base_seed: int, run_index: int) -> int:
    """The seed of run ``run_index`` of a scenario whose own seed is ``base_seed``.

    Hashed rather than ``base + index`` so neighbouring scenario seeds do not share runs.
    """
    digest = hashlib.sha256(f"convsim-seed:{base_seed}:{run_index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % _SEED_SPACE


def _stable_bucket(key: str, run_index: int, count: int) -> int:
    digest = hashlib.sha256(f"convsim-shard:{key}\x00{run_index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def safe_name(text: str) -> str:
    """A file-name-safe version of a scenario name (run ids become transcript file names)."""
    cleaned = _UNSAFE.sub("-", text).strip("-.")
    return cleaned or "scenario"


@attrs.frozen
class ShardSpec:
    """Shard ``index`` (1-based) of ``count``: a deterministic slice of the batch."""

    index: int
    count: int

    def __attrs_post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self.index}/{self.count}: need 1 <= K <= N")

    @classmethod
    def parse(cls, text: str) -> ShardSpec:
        """Parse ``K/N`` as written on the command line."""
        try:
            k, n = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"shard must look like K/N (e.g. 1/4), got {text!r}") from None
        return cls(k, n)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def contains(self, key: str, run_index: int) -> bool:
        return _stable_bucket(key, run_index, self.count) == self.index - 1


@attrs.frozen
class ScenarioEntry:
    """One scenario of a batch, as recorded in the manifest."""

    key: str
    """Unique within the batch; prefixes the run ids."""
    source: str
    """Where to load it again: a path (as given) or ``builtin:NAME``."""
    seed: int
    """Base seed; each run derives its own from it."""
    title: str = ""


@attrs.frozen
class PlannedRun:
    """One conversation of the batch."""

    run_id: str
    scenario: str
    """The :attr:`ScenarioEntry.key` it belongs to."""
    run_index: int
    seed: int
    attempt: int = 0
    """0 for the planned run; n for its n-th retry (a fresh sample with its own seed)."""

    @property
    def file_name(self) -> str:
        return f"{self.run_id}.jsonl"

    def retry(self) -> PlannedRun:
        """The next attempt at this run: its own id and a seed derived from this one's."""
        attempt = self.attempt + 1
        base = planned_id(self.run_id)
        return PlannedRun(
            run_id=f"{base}-retry{attempt}",
            scenario=self.scenario,
            run_index=self.run_index,
            seed=derive_seed(self.seed, 1_000_000 + attempt),
            attempt=attempt,
        )


@attrs.frozen
class BatchPlan:
    scenarios: tuple[ScenarioEntry, ...]
    runs: int
    shard: ShardSpec | None = None

    def __attrs_post_init__(self) -> None:
        if self.runs < 1:
            raise ValueError("runs must be at least 1")
        if self.runs * max(1, len(self.scenarios)) > MAX_PLANNED_RUNS:
            raise ValueError(
                f"a batch of {self.runs} runs x {len(self.scenarios)} scenario(s) is too large"
                f" (at most {MAX_PLANNED_RUNS:,} conversations per batch; split it with --shard"
                " or run several batches)"
            )
        if not self.scenarios:
            raise ValueError("a batch needs at least one scenario")
        keys = [entry.key for entry in self.scenarios]
        if len(keys) != len(set(keys)):
            raise ValueError(f"scenario keys must be unique, got {keys}")

    @property
    def batch_id(self) -> str:
        """Identifies the whole batch (all shards share it): scenarios, seeds and run count."""
        identity = [[e.key, e.seed] for e in self.scenarios] + [self.runs]
        text = json.dumps(identity, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def all_runs(self) -> tuple[PlannedRun, ...]:
        """Every run of the whole batch, ignoring the shard."""
        width = max(4, len(str(self.runs - 1)))
        return tuple(
            PlannedRun(
                run_id=f"{entry.key}-{index:0{width}d}",
                scenario=entry.key,
                run_index=index,
                seed=derive_seed(entry.seed, index),
            )
            for entry in self.scenarios
            for index in range(self.runs)
        )

    def planned_runs(self) -> tuple[PlannedRun, ...]:
        """The runs of this shard (all runs without a shard), in a stable order."""
        runs = self.all_runs()
        if self.shard is None:
            return runs
        shard = self.shard
        return tuple(run for run in runs if shard.contains(run.scenario, run.run_index))

    def entry(self, key: str) -> ScenarioEntry:
        for entry in self.scenarios:
            if entry.key == key:
                return entry
        raise KeyError(key)


_RETRY = re.compile(r"^(?P<base>.+)-retry\d+$")


def planned_id(run_id: str) -> str:
    """The planned run a transcript belongs to: itself, or the run a retry re-runs."""
    match = _RETRY.match(run_id)
    return match.group("base") if match else run_id


def unique_keys(names: Sequence[str]) -> list[str]:
    """File-safe keys for scenario names; repeated names get ``-2``, ``-3`` suffixes."""
    keys: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = safe_name(name)
        key, n = base, 1
        while key in seen:
            n += 1
            key = f"{base}-{n}"
        seen.add(key)
        keys.append(key)
    return keys


def interleave(runs: Iterable[PlannedRun]) -> list[PlannedRun]:
    """Order runs round-robin across scenarios so early results cover every scenario."""
    by_scenario: dict[str, list[PlannedRun]] = {}
    for run in runs:
        by_scenario.setdefault(run.scenario, []).append(run)
    queues = list(by_scenario.values())
    ordered: list[PlannedRun] = []
    depth = max((len(q) for q in queues), default=0)
    for i in range(depth):
        ordered.extend(q[i] for q in queues if i < len(q))
    return ordered
