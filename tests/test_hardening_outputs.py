"""Item 1 of issue 16: an output that cannot be written is refused before the run (exit 2)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from channels.demo_bot import DemoBotServer
from convsim_core.outputs import OutputError, check_output_file, check_output_folder
from tests.support.refund_scenario import refund_toml
from tests.support.timeouts import TIMEOUT
from tui.cli import main


def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "refund.toml"
    path.write_text(refund_toml())
    return path


async def run_cli(argv: Sequence[str]) -> int:
    return await asyncio.wait_for(asyncio.to_thread(main, list(argv)), TIMEOUT * 3)


def bad_outputs(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("not a folder")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    return {
        "folder": folder,
        "under-a-file": a_file / "run.jsonl",
        "read-only-system-folder": Path("/proc/convsim-test/run.jsonl"),
    }


@pytest.mark.parametrize("case", ["folder", "under-a-file", "read-only-system-folder"])
async def test_connect_refuses_a_bad_out_before_talking_to_the_bot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    out = bad_outputs(tmp_path)[case]
    async with DemoBotServer() as bot:
        argv = ["connect", str(scenario(tmp_path)), "--ws", bot.ws_url, "--headless"]
        code = await run_cli([*argv, "--out", str(out)])
    seen = capsys.readouterr()
    assert code == 2
    lines = seen.err.strip().splitlines()
    assert len(lines) == 1, seen.err
    assert lines[0].startswith("convsim: error: cannot write the transcript to")
    assert "Traceback" not in seen.err
    assert seen.out == ""  # nothing ran: no chat printed


@pytest.mark.parametrize("case", ["folder", "under-a-file", "read-only-system-folder"])
def test_watch_refuses_a_bad_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    out = bad_outputs(tmp_path)[case]
    code = main(["watch", str(scenario(tmp_path)), "--headless", "--out", str(out)])
    seen = capsys.readouterr()
    assert code == 2
    assert seen.err.count("\n") == 1 and "cannot write the transcript to" in seen.err
    assert seen.out == ""


def test_batch_refuses_an_out_that_is_a_file_or_unwritable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for out, why in (
        (a_file, "it is a file, not a folder"),
        (a_file / "batch", "a-file is a file"),
        (Path("/proc/convsim-batch"), "cannot write the batch to /proc/convsim-batch"),
    ):
        code = main(["batch", "demo", "--runs", "1", "--headless", "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2, err
        assert err.count("\n") == 1 and why in err, err
        assert "Traceback" not in err
    assert a_file.read_text() == "x"


def test_report_html_at_a_bad_path_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "batch"
    assert main(["batch", "demo", "--runs", "1", "--headless", "--out", str(batch)]) == 0
    capsys.readouterr()
    for html in (tmp_path, batch / "summary.json" / "r.html", Path("/proc/x/r.html")):
        code = main(["report", str(batch), "--html", str(html)])
        seen = capsys.readouterr()
        assert code == 2
        assert seen.err.startswith("convsim: error: cannot write the HTML report to")
        assert seen.out == ""


def test_checks_leave_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "run.jsonl"
    assert check_output_file(target) == target
    assert not target.exists() and list(target.parent.iterdir()) == []
    assert check_output_folder(tmp_path / "b") == tmp_path / "b"
    assert list((tmp_path / "b").iterdir()) == []
    existing = tmp_path / "old.jsonl"
    existing.write_text("kept")
    check_output_file(existing)
    assert existing.read_text() == "kept"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="Permission denied"):
            check_output_file(locked / "run.jsonl")
        with pytest.raises(OutputError, match="Permission denied"):
            check_output_folder(locked)
    finally:
        locked.chmod(0o755)
