"""Verdicts beyond ``convsim test``: ``convsim batch``, ``convsim report`` (text, JSON, HTML) and
the batch dashboard show them for scenarios with an ``[expect]`` table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Static

from convsim_core.batch import BatchPlan, BatchSession, ScenarioEntry
from convsim_core.builder import build_full_runner
from convsim_core.scenario import load_scenario
from tests.support.timeouts import MS
from tests.test_test_cli import REFUND, REPLACE, scenario
from tui.batch_dashboard import REFRESH_SECONDS, BatchDashboard
from tui.cli import main
from tui.testing import wait_until


def test_batch_and_report_show_verdicts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path, "s.toml", [REFUND, REPLACE], rate=0.5)
    out = tmp_path / "out"
    assert main(["batch", str(path), "--runs", "6", "--out", str(out), "--headless"]) == 0
    printed = capsys.readouterr().out
    assert "verdicts ([expect]; simulator/infrastructure faults not counted):" in printed
    (verdict,) = json.loads((out / "summary.json").read_text())["verdicts"]
    assert verdict["scenario"] == "broken-order" and verdict["planned"] == 6
    header = json.loads((out / "broken-order-0000.jsonl").read_text().splitlines()[0])
    assert len(header["batch"]["config_hash"]) == 12
    assert main(["report", str(out), "--html", str(tmp_path / "r" / "index.html")]) == 0
    printed = capsys.readouterr().out
    assert "broken-order  PASS" in printed or "broken-order  FAIL" in printed
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "<h4>Verdict</h4>" in html and "95% interval (Wilson)" in html
    assert main(["report", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdicts"][0]["wilson_95"] == verdict["wilson_95"]


async def test_the_dashboard_shows_the_verdicts_when_the_batch_ends(tmp_path: Path) -> None:
    path = scenario(tmp_path, "s.toml", [REFUND])
    loaded = load_scenario(path)
    plan = BatchPlan((ScenarioEntry("broken-order", str(path), 1, "Broken order"),), 3)

    def factory(sc, run, transcript):  # type: ignore[no-untyped-def]
        return build_full_runner(sc, seed=run.seed, transcript=transcript)

    session = BatchSession(
        plan, {"broken-order": loaded}, factory, folder=tmp_path / "out", concurrency=2
    )
    app = BatchDashboard(session, session.run)
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_until(pilot, lambda: session.summary is not None)
        await pilot.pause(REFRESH_SECONDS + 150 * MS)  # one refresh tick after the end
        counts = str(app.query_one("#counts", Static).render())
        assert "verdicts: broken-order PASS 3/3" in counts
        await pilot.press("q")
    assert app.return_value == 0


def test_the_summary_weights_pass_rates_by_scenario_weight(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = scenario(tmp_path, "common.toml", [REFUND], name="common")
    rare = scenario(tmp_path, "rare.toml", [REPLACE], name="rare")
    for path, weight in ((common, 0.8), (rare, 0.2)):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("seed = 1\n", f"seed = 1\nweight = {weight}\n"), "utf-8")
    out = tmp_path / "out"
    assert main(["test", str(common), str(rare), "--runs", "3", "--out", str(out)]) == 1
    assert "pass rate weighted by scenario weight: 80.0%" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["weighted_pass_rate"] == pytest.approx(0.8)
    assert [v["weight"] for v in summary["verdicts"]] == [0.8, 0.2]


def test_batch_resume_refuses_a_changed_model_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONVSIM_MODEL", raising=False)
    path = scenario(tmp_path, "s.toml", [REFUND])
    out = tmp_path / "out"
    args = ["batch", str(path), "--runs", "2", "--out", str(out), "--headless"]
    assert main(args) == 0
    monkeypatch.setenv("CONVSIM_MODEL", "another-model")
    capsys.readouterr()
    assert main([*args, "--resume"]) == 2
    err = capsys.readouterr().err
    assert "(changed: the model settings of scenario 'broken-order')" in err
