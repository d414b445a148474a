"""Items 4, 6 and 7 of issue 16: the batch folder is contained, locked and written atomically."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convsim_core.atomic import write_text_atomic
from convsim_core.batch.lock import LOCK_NAME, BatchLock, BatchLockedError
from convsim_core.batch.manifest import BatchFolderError, read_manifest
from tests.support.timeouts import MS, TIMEOUT
from tui.cli import main

ROOT = Path(__file__).resolve().parents[1]


def small_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str], runs: int = 2) -> Path:
    folder = tmp_path / "batch"
    assert main(["batch", "demo", "--runs", str(runs), "--headless", "--out", str(folder)]) == 0
    capsys.readouterr()
    return folder


# -- item 4: paths from a manifest stay inside the folder ----------------------------------------


def test_a_crafted_scenario_key_is_refused_on_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = small_batch(tmp_path / "a" / "b", capsys)
    manifest = json.loads((folder / "batch.json").read_text())
    manifest["scenarios"][0]["key"] = "../../x"
    manifest.pop("batch_id")
    (folder / "batch.json").write_text(json.dumps(manifest))
    victim = tmp_path / "a" / "x-0000.jsonl"
    code = main(["batch", "--resume", "--headless", "--out", str(folder)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "is not a plain name" in err
    assert not victim.exists()
    assert list((tmp_path / "a").glob("x-*")) == [] and list(tmp_path.glob("x-*")) == []


def test_a_copy_path_outside_the_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = small_batch(tmp_path, capsys)
    manifest = json.loads((folder / "batch.json").read_text())
    manifest["scenarios"][0]["copy"] = "../../../../etc/passwd"
    (folder / "batch.json").write_text(json.dumps(manifest))
    with pytest.raises(BatchFolderError, match="points outside"):
        read_manifest(folder)
    manifest["scenarios"][0]["copy"] = "/etc/passwd"
    (folder / "batch.json").write_text(json.dumps(manifest))
    with pytest.raises(BatchFolderError, match="not a path inside"):
        read_manifest(folder)


def test_html_pages_of_crafted_run_ids_stay_in_the_report_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = small_batch(tmp_path, capsys, runs=1)
    transcript = next(folder.glob("*.jsonl"))
    lines = transcript.read_text().splitlines()
    header = json.loads(lines[0])
    header["batch"]["run_id"] = "../../../escaped"
    transcript.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    report = tmp_path / "out" / "report.html"
    assert main(["report", str(folder), "--html", str(report)]) == 0
    pages = [p for p in tmp_path.rglob("*.html") if p != report]
    assert pages and all(report.parent in p.parents for p in pages)
    assert not (tmp_path / "escaped.html").exists()


# -- item 6: one process per folder ----------------------------------------------------------------

HOLDER = f"""
import sys, time
from convsim_core.batch.lock import BatchLock
lock = BatchLock(sys.argv[1]); lock.acquire(); print("locked", flush=True)
time.sleep({60_000 * MS})
"""
"""Holds the folder's lock until the test kills it (the sleep only outlives the test)."""


def test_a_second_process_on_the_folder_is_refused_naming_the_holder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = small_batch(tmp_path, capsys)
    before = sorted(p.name for p in folder.iterdir())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        code = main(["batch", "--resume", "--headless", "--out", str(folder)])
        err = capsys.readouterr().err
        assert code == 2
        assert err.count("\n") == 1, err
        assert f"in use by another convsim (pid {holder.pid} on {socket.gethostname()}" in err
        assert "started 20" in err
        # Nothing was set aside or re-run.
        assert sorted(p.name for p in folder.iterdir()) == sorted([*before, LOCK_NAME])
    finally:
        holder.kill()
        holder.wait()
    # Its process is dead: the stale lock is taken over.
    assert (folder / LOCK_NAME).exists()
    assert main(["batch", "--resume", "--headless", "--out", str(folder)]) == 0
    assert not (folder / LOCK_NAME).exists()


def test_two_sessions_in_one_process_conflict_and_release(tmp_path: Path) -> None:
    first = BatchLock(tmp_path)
    first.acquire()
    with pytest.raises(BatchLockedError, match=f"pid {os.getpid()}"):
        BatchLock(tmp_path).acquire()
    first.release()
    with BatchLock(tmp_path) as again:
        assert again.held
        holder = json.loads((tmp_path / LOCK_NAME).read_text())
        assert holder["pid"] == os.getpid()


# -- item 7: atomic summaries, SIGTERM like Ctrl-C ---------------------------------------------


def test_atomic_write_leaves_the_old_file_when_it_fails(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    write_text_atomic(path, "old")

    with pytest.raises(UnicodeEncodeError):  # fails half-way through writing
        write_text_atomic(path, "new " * 10_000 + "\ud800")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_sigterm_stops_a_batch_like_ctrl_c_and_writes_the_summary(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tui", "batch", "demo", "--runs", "3000", "--headless"]
    process = subprocess.Popen(
        [*command, "--out", str(folder), "-c", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + TIMEOUT * 6
    while time.monotonic() < deadline and len(list(folder.glob("*.jsonl"))) < 5:
        time.sleep(50 * MS)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=TIMEOUT * 6)
    assert process.returncode == 130, err
    assert "finish with: convsim batch --resume --out" in err
    assert "Traceback" not in err
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["scenarios"] or summary
    assert not (folder / LOCK_NAME).exists()
    assert not list(folder.glob(".*.tmp"))


# -- item 11: foreign files, report on a non-batch or corrupt folder -----------------------------


def test_the_summary_ignores_foreign_jsonl_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = small_batch(tmp_path, capsys, runs=3)
    own = next(folder.glob("demo-*.jsonl")).read_text()
    (folder / "someone-elses.jsonl").write_text(own.replace('"run_id":"demo-', '"run_id":"x-'))
    (folder / "notes.jsonl").write_text('{"hello": "world"}\n')
    assert main(["report", str(folder), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["total"]["runs"] == 3
    assert any("ignored 2 .jsonl file(s)" in p for p in summary["problems"])
    assert main(["batch", "--resume", "--headless", "--out", str(folder)]) == 0
    assert json.loads((folder / "summary.json").read_text())["total"]["runs"] == 3


def test_report_on_a_folder_that_is_not_a_batch_or_is_corrupt_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "photos"
    plain.mkdir()
    (plain / "cat.jpg").write_bytes(b"\xff\xd8")
    (plain / "log.jsonl").write_text('{"level": "info"}\n')
    assert main(["report", str(plain)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a batch folder" in err
    folder = small_batch(tmp_path, capsys)
    (folder / "batch.json").write_text('{"convsim_batch": 1, "scenarios": [')
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "batch.json" in err


def test_resume_uses_the_recorded_concurrency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "batch"
    argv = ["batch", "demo", "--runs", "4", "-c", "3", "--headless", "--out", str(folder)]
    assert main(argv) == 0
    next(folder.glob("demo-*.jsonl")).unlink()
    assert main(["batch", "--resume", "--headless", "--out", str(folder)]) == 0
    assert read_manifest(folder).attempts[-1]["concurrency"] == 3
    assert main(["batch", "--resume", "-c", "2", "--headless", "--out", str(folder)]) == 0
    assert read_manifest(folder).attempts[-1]["concurrency"] == 2
    capsys.readouterr()


def test_sigterm_stops_a_headless_watch_with_a_stopped_transcript(tmp_path: Path) -> None:
    out = tmp_path / "run.jsonl"
    scenario = ROOT / "examples" / "scenarios" / "angry-supervisor.toml"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tui", "watch", str(scenario), "--headless"]
    process = subprocess.Popen(
        [*command, "--speed", "0.2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + TIMEOUT * 6
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 2):
        time.sleep(50 * MS)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=TIMEOUT * 6)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    last = json.loads(out.read_text().splitlines()[-1])
    assert last["type"] == "result" and last["termination_reason"] == "stopped"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"\x00\xff binary", "not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=["binary", "deep"],  # a 200 kB test id in PYTEST_CURRENT_TEST is too big to exec workers
)
def test_a_binary_or_deeply_nested_manifest_is_one_line_for_every_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, why: str
) -> None:
    # A binary batch.json was a UnicodeDecodeError traceback (exit 1) in report, batch and test.
    folder = small_batch(tmp_path, capsys)
    (folder / "batch.json").write_bytes(content)
    for argv in (
        ["report", str(folder)],
        ["batch", "--resume", "--headless", "--out", str(folder)],
        ["test", "--resume", "--out", str(folder)],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "batch.json" in err and why in err, (argv, err)


@pytest.mark.parametrize(("command", "code"), [("report", 141), ("show", 0)])
def test_a_reader_that_stops_reading_is_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, code: int
) -> None:
    # `convsim report DIR | head -3` printed a BrokenPipeError traceback once head had exited.
    # report now exits like a process stopped by SIGPIPE (141); show's printer already stopped
    # quietly (exit 0, so a live run still finishes its transcript).
    folder = small_batch(tmp_path, capsys)
    target = folder if command == "report" else folder / "demo-0000.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", command, str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before convsim writes a line
    err = process.stderr.read().decode()
    assert process.wait(timeout=TIMEOUT * 6) == code, err
    assert err == ""
