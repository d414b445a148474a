"""Re-running a batch conversation held with a bot: never with the offline agent in its seat."""

from __future__ import annotations

from pathlib import Path

import pytest

from convsim_core.batch.rerun import bot_arguments, rerun_command
from tui.cli import main

SCENARIO = Path(__file__).parent.parent / "examples" / "scenarios" / "customer-gives-up.toml"


def test_bot_arguments_name_the_recorded_bot() -> None:
    assert bot_arguments({"kind": "ws", "url": "ws://h/ws", "preset": "demo-ws"}) == [
        "--ws",
        "ws://h/ws",
        "--preset",
        "demo-ws",
    ]
    assert bot_arguments({"kind": "webhook", "demo_bot": True}) == ["--demo-bot", "webhook"]
    assert bot_arguments({"kind": "profile", "profile": "bot.toml"}) == ["--profile", "bot.toml"]
    assert bot_arguments(None) == []


def test_watch_from_a_bot_conversation_points_at_connect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "batch"
    code = main(
        ["batch", str(SCENARIO), "--runs", "1", "--out", str(batch), "--headless", "--demo-bot"]
    )
    assert code in (0, 1)
    capsys.readouterr()
    run = batch / "customer-gives-up-0000"
    assert main(["watch", "--from", str(run), "--headless"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "held with a bot" in err
    assert "convsim connect" in err and "--demo-bot ws" in err and "--seed" in err
    assert not (tmp_path / "runs").exists()  # nothing was run

    html = tmp_path / "report.html"
    main(["report", str(batch), "--html", str(html)])
    page = next((tmp_path / "report_files").rglob("customer-gives-up-0000.html")).read_text()
    assert "convsim connect" in page and "watch --from" not in page
    assert rerun_command(batch, "customer-gives-up-0000").startswith("convsim connect ")


def test_a_full_batch_still_reruns_with_watch(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    assert main(["batch", str(SCENARIO), "--runs", "1", "--out", str(batch), "--headless"]) == 0
    assert rerun_command(batch, "customer-gives-up-0000") == (
        f"convsim watch --from {batch / 'customer-gives-up-0000'}"
    )
