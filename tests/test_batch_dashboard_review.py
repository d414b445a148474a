"""The rebuilt batch dashboard: per-scenario counts, 80 columns, sort, failures, review, help."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import DataTable, OptionList

from convsim_core.batch import BatchSession, PlannedRun
from convsim_core.labels import LABELS_NAME, append_label, read_labels
from convsim_core.persistence import TranscriptSink
from convsim_core.runners.full import FullSimulationRunner
from tests.support.timeouts import MS
from tests.test_batch_helpers import plan_of, scripted_runner
from tui.app import ConvsimApp
from tui.batch_dashboard import REFRESH_SECONDS, BatchDashboard, ConversationView
from tui.screens.dialogs import OutcomeDialog
from tui.screens.help import HelpScreen
from tui.screens.transcript_screen import TranscriptScreen
from tui.testing import snapshot_settings, wait_until
from tui.widgets.outcome_panel import OutcomePanel


def mixed_factory(
    _scenario: Any, run: PlannedRun, transcript: TranscriptSink
) -> FullSimulationRunner:
    if run.scenario == "cancel":
        return scripted_runner(run, transcript, agent_lines=("Let me get a supervisor. Goodbye!",))
    if run.run_id.endswith(("1", "3")):
        return scripted_runner(run, transcript, agent_lines=("Sorry, I cannot help. Goodbye!",))
    return scripted_runner(run, transcript)


def mixed_session(folder: Path) -> BatchSession:
    return BatchSession(
        plan_of(["refund", "cancel"], runs=4),
        {"refund": None, "cancel": None},
        mixed_factory,
        folder=folder,
        concurrency=3,
    )


async def finished(pilot: Any, session: BatchSession) -> None:
    await wait_until(pilot, lambda: session.summary is not None)
    await pilot.pause(REFRESH_SECONDS + 150 * MS)  # one refresh tick after the end


def rows(app: BatchDashboard) -> list[list[str]]:
    table = app.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_counts_per_scenario_and_a_table_that_fits_80_columns(tmp_path: Path) -> None:
    session = mixed_session(tmp_path)
    app = BatchDashboard(session, session.run)
    async with app.run_test(size=(80, 24)) as pilot:
        await finished(pilot, session)
        counts = str(app.query_one("#counts").render())
        assert "refund" in counts and "4/4" in counts
        assert "resolved 2" in counts and "no outcome 2" in counts and "escalated 4" in counts
        table = app.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()] == [
            "conversation",
            "status",
            "msgs",
            "outcome",
            "ended",
            "label",
        ]
        assert table.virtual_size.width <= 80
        ended = {row[4] for row in rows(app)}
        assert "closing phrase" in ended


async def test_sort_and_failures_only(tmp_path: Path) -> None:
    session = mixed_session(tmp_path)
    app = BatchDashboard(session, session.run)
    async with app.run_test(size=(100, 30)) as pilot:
        await finished(pilot, session)
        await pilot.press("o", "o", "o")  # conversation, status, outcome
        outcomes = [row[3] for row in rows(app)]
        assert outcomes == sorted(outcomes)
        await pilot.press("f")
        shown = rows(app)
        assert len(shown) == 2 and {row[3] for row in shown} == {"-"}
        await pilot.press("f")
        assert len(rows(app)) == 8


async def test_review_in_the_dashboard_writes_labels_csv(tmp_path: Path) -> None:
    session = mixed_session(tmp_path)
    app = BatchDashboard(session, session.run)
    async with app.run_test(size=(100, 30)) as pilot:
        await finished(pilot, session)
        table = app.query_one(DataTable)
        target = next(i for i, row in enumerate(rows(app)) if row[3] == "-")
        run_id = rows(app)[target][0]
        table.move_cursor(row=target)
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog))
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("escalated")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, OutcomeDialog))
        await pilot.pause(REFRESH_SECONDS + 50 * MS)  # the table redrawn
        assert rows(app)[target][5] == "escalated"
    text = (tmp_path / LABELS_NAME).read_text().splitlines()
    assert text[0] == "conversation_id,outcome,labeller,labelled_at,note"
    assert text[1].startswith(f"{run_id},escalated,")
    assert read_labels(tmp_path)[run_id].outcome == "escalated"
    append_label(tmp_path, run_id, None)  # a later label replaces it: last row wins
    assert read_labels(tmp_path)[run_id].outcome == "none"


async def test_help_and_the_row_view_with_its_sidebar(tmp_path: Path) -> None:
    session = mixed_session(tmp_path)
    app = BatchDashboard(session, session.run)
    async with app.run_test(size=(100, 30)) as pilot:
        await finished(pilot, session)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = str(app.screen.query_one("#help-keys").render())
        for what in ("Sort by", "failures", "override the selected outcome", "Quit"):
            assert what in keys
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen))
        app.query_one(DataTable).move_cursor(row=0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationView))
        panel = app.screen.query_one(OutcomePanel)
        await wait_until(pilot, lambda: panel.result is not None)
        assert app.screen.query_one("#run-details") is not None
        await pilot.press("l")  # review from the row view too
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog))
        await pilot.press("escape")  # keeps the judge's outcome: a confirmation
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationView))
        await wait_until(pilot, lambda: (tmp_path / LABELS_NAME).exists())


async def test_the_transcript_viewer_reviews_and_reads_the_label_back(tmp_path: Path) -> None:
    session = mixed_session(tmp_path)
    await session.run()
    path = tmp_path / "refund-0000.jsonl"
    settings = snapshot_settings()
    app = ConvsimApp(lambda app: TranscriptScreen(path, settings=settings), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog))
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("__none__")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TranscriptScreen))
        assert app.screen.query_one(OutcomePanel).override == "none"
    assert read_labels(tmp_path)[path.stem].outcome == "none"
    again = ConvsimApp(lambda app: TranscriptScreen(path, settings=settings), settings=settings)
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert again.screen.query_one(OutcomePanel).override == "none"  # read back
