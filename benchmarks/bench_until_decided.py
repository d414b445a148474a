"""What ``convsim test --until-decided`` saves (issue: convsim in CI).

Run from the repo root: ``python -m benchmarks.bench_until_decided [--runs N]``. Plays the six
example scenarios (``examples/scenarios``, offline) with ``--runs N`` (40 by default), once
sampling every run (the baseline, same run) and once with ``--until-decided``, in three cases:

1. as written (every example passes: a clear pass at ``min_pass_rate = 1.0``);
2. with ``min_pass_rate = 0.8`` (a clear pass against a lower bar);
3. with the ``[expect]`` pass outcome swapped for one the example never reaches (a clear fail,
   as after a regression).

For each it prints the conversations run, the wall time and the saving, and checks that the
verdicts with and without early stopping agree. Target: most of the cost saved on clear cases
(at least half), with identical verdicts. A missed target is printed as MISSED; the exit code
is 0 either way (it is a measurement).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tui.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "scenarios"


def _variant(folder: Path, edit: Callable[[str], str]) -> Path:
    folder.mkdir(parents=True)
    for path in sorted(EXAMPLES.glob("*.toml")):
        (folder / path.name).write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def _as_written(text: str) -> str:
    return text


def _lower_bar(text: str) -> str:
    return text.replace("[expect]\n", "[expect]\nmin_pass_rate = 0.8\n", 1)


def _unreachable(text: str) -> str:
    """Expect the first outcome the example does *not* expect today: every run fails."""
    names = re.findall(r'^name = "([a-z_]+)"', text, flags=re.MULTILINE)
    passing = re.search(r"^pass = \[(.*)\]$", text, flags=re.MULTILINE)
    assert passing is not None
    current = re.findall(r'"([a-z_]+)"', passing.group(1))
    other = next(n for n in names if n not in current)
    text = text.replace(passing.group(0), f'pass = ["{other}"]', 1)
    return re.sub(r"^fail = \[.*\]$", "fail = []", text, count=1, flags=re.MULTILINE)


def _run(folder: Path, runs: int, *, until_decided: bool) -> tuple[int, float, dict[str, str]]:
    out = folder.parent / (folder.name + ("-decided" if until_decided else "-all"))
    args = ["test", str(folder), "--offline", "--runs", str(runs), "-c", "4", "--out", str(out)]
    if until_decided:
        args.append("--until-decided")
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(args)
    seconds = time.perf_counter() - started
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    verdicts = {v["scenario"]: v["verdict"] for v in summary["verdicts"]}
    return len(list(out.glob("*.jsonl"))), seconds, verdicts


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per scenario (40)")
    runs = parser.parse_args().runs
    cases = [
        ("clear pass (min_pass_rate 1.0)", _as_written),
        ("clear pass (min_pass_rate 0.8)", _lower_bar),
        ("clear fail (unreachable outcome)", _unreachable),
    ]
    print(f"6 example scenarios x {runs} runs, offline, concurrency 4")
    print(f"{'case':34} {'all runs':>16} {'--until-decided':>18} {'saved':>7}  verdicts")
    with tempfile.TemporaryDirectory() as tmp:
        _run(_variant(Path(tmp) / "warm-up", _as_written), 1, until_decided=False)
        for index, (label, edit) in enumerate(cases):
            folder = _variant(Path(tmp) / f"case{index}", edit)
            full, full_s, full_v = _run(folder, runs, until_decided=False)
            early, early_s, early_v = _run(folder, runs, until_decided=True)
            saved = 1 - early / full
            same = "same" if full_v == early_v else f"DIFFER {full_v} vs {early_v}"
            mark = "" if saved >= 0.5 and full_v == early_v else "  MISSED"
            print(
                f"{label:34} {full:5d} ({full_s:5.1f} s) {early:7d} ({early_s:5.1f} s)"
                f" {saved:7.0%}  {same}{mark}"
            )


if __name__ == "__main__":
    main_bench()
