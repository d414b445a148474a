"""How often the role-break check blames the simulator (issue: convsim in CI).

Run from the repo root: ``python -m benchmarks.bench_attribution``. Reads the 600 real
Schema-Guided Dialogue conversations in ``/work/shared/data/sgd-train-600.jsonl.gz`` (or the
file given with ``--data``) and applies :func:`convsim_core.batch.attribution.role_break`:

1. to every real *user* turn as the customer's: each hit is a false positive, a real customer
   whose failure would wrongly be blamed on the simulator. Target: 0.
2. to every real *system* turn as if the customer had said it (the simulator parroting the
   agent): the share caught. This is the check's recall on one kind of role break; it is meant
   to be conservative, so a low figure is expected and reported, not a target.

Exit code 0 either way (it is a measurement).
"""

from __future__ import annotations

import argparse
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from convsim_core.batch.attribution import role_break
from convsim_core.models import Message, ParticipantRole

DATA = Path("/work/shared/data/sgd-train-600.jsonl.gz")
STAMP = datetime(2026, 1, 1, tzinfo=UTC)
OPENING = Message("Hi, I need some help.", STAMP, ParticipantRole.CUSTOMER)


def _flagged(text: str) -> bool:
    agent = Message("Sure, go ahead.", STAMP, ParticipantRole.AGENT)
    customer = Message(text, STAMP, ParticipantRole.CUSTOMER)
    return role_break([OPENING, agent, customer]) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    data = parser.parse_args().data
    users = systems = user_hits = system_hits = dialogues = 0
    examples: list[str] = []
    with gzip.open(data, "rt", encoding="utf-8") as handle:
        for line in handle:
            dialogues += 1
            for speaker, text, *_ in json.loads(line)["turns"]:
                hit = _flagged(text)
                if speaker == "user":
                    users += 1
                    user_hits += hit
                    if hit and len(examples) < 5:
                        examples.append(text)
                else:
                    systems += 1
                    system_hits += hit
    print(f"{dialogues} real dialogues ({data.name})")
    mark = "met" if user_hits == 0 else "MISSED"
    print(
        f"false positives on real user turns: {user_hits}/{users}"
        f" ({user_hits / users:.2%}); target 0: {mark}"
    )
    for text in examples:
        print(f"  flagged: {text!r}")
    print(
        f"system turns caught as a role break: {system_hits}/{systems}"
        f" ({system_hits / systems:.1%}; conservative by design)"
    )


if __name__ == "__main__":
    main()
