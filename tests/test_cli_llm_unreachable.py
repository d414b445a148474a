"""An unreachable LLM endpoint is one line of error, not a traceback (the traceback is for -v)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.ports import free_port as _closed_port
from tests.support.timeouts import MS

DEMO = Path(__file__).parent.parent / "convsim_core" / "builtin_scenarios" / "demo.toml"


def _run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENAI_API_KEY": "test-key",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{_closed_port()}/v1",
        "PYTHONPATH": str(Path(__file__).parent.parent),
    }
    command = [sys.executable, "-m", "tui", *extra, "watch", str(DEMO), "--llm", "--headless"]
    command += ["--out", str(tmp_path / "t.jsonl")]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120_000 * MS)


def test_unreachable_llm_is_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stdout.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "connection failed" in errors[0]
    assert (tmp_path / "t.jsonl").exists()  # nothing lost: the transcript is written


def test_verbose_still_shows_the_traceback(tmp_path: Path) -> None:
    done = _run(tmp_path, "-v")
    assert "Traceback" in done.stderr
