"""summary.json/CSV and the HTML report say why chats ended with no outcome."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tui.cli import main

SCENARIO = """
title = "Refund refused"
initial_message = "I was charged twice, can I get a refund?"
max_messages = 6
[customer]
kind = "scripted"
turns = ["Why not?"]
[agent]
kind = "scripted"
turns = ["Sorry, I couldn't refund you, the charge is still pending.", "It has not settled yet."]
[[outcomes]]
name = "refunded"
description = "The duplicate charge was refunded."
said_by = "agent"
"""


def test_no_outcome_reasons_in_summary_csv_and_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "refund-refused.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "batch"
    args = ["batch", str(scenario), "--runs", "2", "--concurrency", "2", "--out", str(out)]
    assert main([*args, "--headless"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["total"]["no_outcome_why"] == {"refunded: negated": 2}
    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))
    assert rows[-1]["no_outcome_why"] == "refunded: negated (2)"
    html = tmp_path / "report.html"
    assert main(["report", str(out), "--html", str(html)]) == 0
    pages = [p.read_text() for p in (tmp_path / "report_files").rglob("*.html")]
    assert len(pages) == 2
    assert all("nearest miss: refunded at message #2" in page for page in pages)
    capsys.readouterr()
