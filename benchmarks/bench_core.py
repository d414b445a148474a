"""Core orchestration benchmark (issues: foundation, 14).

Run from the repo root: ``python -m benchmarks.bench_core``. Prints, for this machine:
1. orchestration cost per message of FullSimulationRunner with zero-latency participants, for
   20- and 100-message conversations with transcript writing, keyword judging and closing-phrase
   termination on; against a plain asyncio loop appending frozen attrs messages (the baseline,
   measured in the same run). Targets: <= 20 us per message (foundation) and at most 5x the
   baseline (issue 14). Wall time is the figure; CPU time (``time.process_time``, the same
   rounds) is printed beside it because the machine may be shared: other processes stretch
   wall time, much less CPU time.
2. wall time of 500 concurrent full simulations of 10 messages whose participants wait 50 ms per
   reply, against the ideal 9 x 50 ms. Target: within 5% of ideal.

Each timed section starts with ``gc.collect()``, so a section does not pay for collecting the
previous one's garbage (its own allocations still trigger collections as they would).

``--instructions`` counts instead (valgrind's callgrind, immune to other jobs on the machine):
instructions per message of ``run()`` (runner construction excluded) and of the baseline loop,
each the difference between a run of the workload and one that stops short of it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from convsim_core import (
    Conversation,
    FullSimulationRunner,
    Intent,
    KeywordJudge,
    Message,
    MessageDraft,
    Outcome,
    Outcomes,
    Participant,
    ParticipantRole,
    RunnerServices,
)
from convsim_core.persistence import TranscriptWriter
from convsim_core.termination import AnyOf, ClosingPhrases, OutcomeReached

OUTCOMES = Outcomes(
    (
        Outcome("resolved", "Customer issue was fully resolved"),
        Outcome("escalated", "Issue was escalated to supervisor"),
    )
)
INTENT = Intent(ParticipantRole.CUSTOMER, "Get a refund for a double charge")
LINES = {
    ParticipantRole.CUSTOMER: "Sure, the email on the account is dana@example.com, thanks.",
    ParticipantRole.AGENT: "Thanks! Let me check the charges on that account for you now.",
}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Instant(Participant):
    """Answers at once, the same line every time: measures the runner, nothing else."""

    def __init__(self, role: ParticipantRole, latency: float = 0.0) -> None:
        self.role = role
        self.latency = latency
        self.line = LINES[role]

    async def get_next_message(self, conversation: Conversation) -> Message | None:
        if self.latency:
            await asyncio.sleep(self.latency)
        return self.message(self.line)


def make_runner(
    messages: int, folder: Path, index: int, latency: float = 0.0
) -> FullSimulationRunner:
    services = RunnerServices(
        judge=KeywordJudge.from_phrases({"resolved": ["refunded"], "escalated": ["supervisor"]}),
        termination=AnyOf((ClosingPhrases(), OutcomeReached({"escalated"}))),
        transcript=TranscriptWriter(folder / f"{index}.jsonl"),
        seed=index,
    )
    return FullSimulationRunner(
        customer=Instant(ParticipantRole.CUSTOMER, latency),
        agent=Instant(ParticipantRole.AGENT, latency),
        initial_message=MessageDraft(
            "Hi, I was charged twice this month.", ParticipantRole.CUSTOMER
        ),
        intent=INTENT,
        outcomes=OUTCOMES,
        max_messages=messages,
        base_timestamp=T0,
        services=services,
    )


Timing = tuple[float, float]
"""Median seconds per message: (wall, CPU)."""


async def baseline_per_message(messages: int, rounds: int) -> Timing:
    """A plain asyncio loop appending frozen attrs messages: the floor for any runner."""

    async def turn(role: ParticipantRole) -> str:
        return LINES[role]

    gc.collect()
    walls, cpus = [], []
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        history: tuple[Message, ...] = ()
        role = ParticipantRole.CUSTOMER
        for _ in range(messages):
            text = await turn(role)
            history = (*history, Message(text, T0, role))
            role = role.other
        cpus.append((time.process_time() - cpu) / messages)
        walls.append((time.perf_counter() - start) / messages)
    return statistics.median(walls), statistics.median(cpus)


async def runner_per_message(messages: int, rounds: int, folder: Path) -> Timing:
    runners = [make_runner(messages, folder, index) for index in range(rounds)]
    gc.collect()
    walls, cpus = [], []
    for runner in runners:
        start, cpu = time.perf_counter(), time.process_time()
        result = await runner.run()
        cpus.append((time.process_time() - cpu) / messages)
        walls.append((time.perf_counter() - start) / messages)
        assert len(result.conversation.messages) == messages, result.termination_reason
    return statistics.median(walls), statistics.median(cpus)


async def concurrent_wall_time(count: int, messages: int, latency: float, folder: Path) -> float:
    runners = [make_runner(messages, folder, i, latency) for i in range(count)]
    gc.collect()
    start = time.perf_counter()
    results = await asyncio.gather(*(r.run() for r in runners))
    elapsed = time.perf_counter() - start
    assert all(len(r.conversation.messages) == messages for r in results)
    return elapsed


async def bare_wall_time(count: int, messages: int, latency: float) -> float:
    """The same waits with no runner at all: what the event loop alone costs."""

    async def conversation() -> None:
        for _ in range(messages - 1):
            await asyncio.sleep(latency)

    gc.collect()
    start = time.perf_counter()
    await asyncio.gather(*(conversation() for _ in range(count)))
    return time.perf_counter() - start


def file_creation_cost(folder: Path, count: int = 200) -> float:
    """Seconds to create one file here: the disk's share of every transcript."""
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for index in range(count):
        os.close(os.open(folder / f"probe-{index}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC))
    return (time.perf_counter() - start) / count


async def measure(folder: Path, rounds: int, label: str) -> list[str]:
    missed = []
    create = file_creation_cost(folder / "probe")
    print(f"  transcripts on {label}: creating a file costs {create * 1e6:.0f} us here")
    for messages in (20, 100):
        base, base_cpu = await baseline_per_message(messages, rounds)
        ours, ours_cpu = await runner_per_message(messages, rounds, folder / f"m{messages}")
        fast, lean = ours * 1e6 <= 20, ours / base <= 5
        missed += [] if fast else [f"{messages}-message orchestration ({label})"]
        missed += [] if lean else [f"{messages}-message orchestration vs baseline ({label})"]
        print(
            f"    {messages:>3}-message conversations: {ours * 1e6:6.1f} us/message "
            f"(plain asyncio loop baseline {base * 1e6:4.1f} us/message, "
            f"{ours / base:4.1f}x) target <= 20 us: {'met' if fast else 'MISSED'}, "
            f"<= 5x: {'met' if lean else 'MISSED'}\n"
            f"         CPU time, same rounds: {ours_cpu * 1e6:6.1f} us/message vs "
            f"{base_cpu * 1e6:4.1f} us/message, {ours_cpu / base_cpu:4.1f}x"
        )
    latency, count, messages = 0.05, 500, 10
    ideal = (messages - 1) * latency
    bare = await bare_wall_time(count, messages, latency)
    wall = await concurrent_wall_time(count, messages, latency, folder / "concurrent")
    ok = wall <= ideal * 1.05
    missed += [] if ok else [f"concurrent wall time ({label})"]
    print(
        f"    {count} concurrent simulations x {messages} messages, 50 ms per reply: "
        f"{wall * 1000:.0f} ms vs ideal {ideal * 1000:.0f} ms ({ideal / wall * 100:.1f}% "
        f"efficiency; bare asyncio.sleep loop {bare * 1000:.0f} ms = {ideal / bare * 100:.1f}%) "
        f"target within 5%: {'met' if ok else 'MISSED'}"
    )
    return missed


async def main(rounds: int, tmpfs: bool) -> int:
    print("convsim core benchmark (FullSimulationRunner)")
    missed: list[str] = []
    # Transcripts where users keep them (the working directory), and on tmpfs when there is
    # one, which separates the orchestration from this machine's disk.
    with tempfile.TemporaryDirectory(dir=".", prefix=".bench-") as tmp:
        missed += await measure(Path(tmp), rounds, "disk (working directory)")
    if tmpfs:
        with tempfile.TemporaryDirectory(dir="/dev/shm", prefix="convsim-bench-") as tmp:
            missed += await measure(Path(tmp), rounds, "tmpfs (/dev/shm)")
    print("all targets met" if not missed else f"targets missed: {'; '.join(missed)}")
    return 0


async def workload(kind: str, messages: int, rounds: int) -> None:
    """What ``--instructions`` counts: ``build`` makes the runners, ``run`` also runs them;
    ``base`` runs the baseline loop (``rounds`` 0: everything but the loop)."""
    if kind == "base":
        if rounds:
            await baseline_per_message(messages, rounds)
        else:
            gc.collect()  # what baseline_per_message does before its loop
        return
    with tempfile.TemporaryDirectory(dir=_tmpfs(), prefix="convsim-bench-") as tmp:
        runners = [make_runner(messages, Path(tmp), index) for index in range(rounds)]
        for runner in runners if kind == "run" else ():
            await runner.run()


def _tmpfs() -> str | None:
    return "/dev/shm" if os.path.isdir("/dev/shm") else None


def count_instructions(rounds: int) -> int:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("valgrind is not installed: no instruction counts")
        return 1
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts in every run

    def collected(kind: str, messages: int, count: int) -> int:
        command = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
        command += ["-m", "benchmarks.bench_core", "--workload", kind, str(messages), str(count)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        assert found is not None, done.stderr[-500:]
        return int(found.group(1))

    print("convsim core benchmark: instructions per message (callgrind, transcripts on tmpfs)")
    for messages, count in ((20, rounds), (100, max(1, rounds * 3 // 10))):
        total = messages * count
        ours = (collected("run", messages, count) - collected("build", messages, count)) / total
        base = (collected("base", messages, count) - collected("base", messages, 0)) / total
        print(
            f"  {messages:>3}-message conversations x {count}: run() {ours / 1000:.1f}k per "
            f"message, baseline loop {base / 1000:.1f}k, {ours / base:.2f}x "
            f"(<= 5x: {'met' if ours <= 5 * base else 'MISSED'})"
        )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions (valgrind) instead"
    )
    parser.add_argument("--workload", nargs=3, metavar=("KIND", "MESSAGES", "ROUNDS"))
    args = parser.parse_args()
    if args.workload:
        kind, messages, rounds = args.workload
        raise SystemExit(asyncio.run(workload(kind, int(messages), int(rounds))))
    if args.instructions:
        raise SystemExit(count_instructions(100 if args.rounds == 30 else args.rounds))
    raise SystemExit(asyncio.run(main(args.rounds, os.path.isdir("/dev/shm"))))
