"""The batch dashboard, driven by Pilot: live table, counts, opening a conversation, stopping."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from convsim_core.batch import BatchSession, RunState
from tests.support.timeouts import MS, TIMEOUT
from tests.test_batch_helpers import plan_of, scripted_factory
from tui.batch_dashboard import REFRESH_SECONDS, BatchDashboard, ConversationView
from tui.screens.quit_batch import QuitBatchDialog
from tui.testing import wait_until
from tui.widgets.transcript import TranscriptView


def _session(folder: Path, delay: float) -> BatchSession:
    return BatchSession(
        plan_of(["refund", "cancel"], runs=4),
        {"refund": None, "cancel": None},
        scripted_factory(delay=delay),
        folder=folder,
        concurrency=3,
    )


async def test_dashboard_shows_every_conversation_and_opens_one(tmp_path: Path) -> None:
    session = _session(tmp_path, delay=10 * MS)
    app = BatchDashboard(session, session.run)
    async with app.run_test(size=(110, 30)) as pilot:
        table = app.query_one(DataTable)
        assert table.row_count == 8
        await wait_until(pilot, lambda: session.summary is not None)
        await pilot.pause(REFRESH_SECONDS + 150 * MS)  # one refresh tick after the end
        rows = [table.get_row(key) for key in table.rows]
        # Columns: conversation, status, msgs, outcome, ended, label (the scenario column went:
        # the per-scenario counts above the table name it, and the table fits 80 columns).
        assert {row[1] for row in rows} == {"done"}
        assert {row[3] for row in rows} == {"resolved"}
        assert {row[2] for row in rows} == {"4"}
        counts = str(app.query_one("#counts", Static).render())
        assert "8/8" in counts and "resolved 8" in counts
        assert "press q" in app.sub_title

        table.move_cursor(row=2)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationView))
        view = app.screen.query_one(TranscriptView)
        await wait_until(pilot, lambda: view.message_count == 4)
        run_id = str(table.get_row_at(2)[0])
        assert app.screen.title == run_id
        shown = [m.content for _, m in view.messages_shown()]
        assert shown[-1] == "It has been refunded. Goodbye!"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConversationView))
        await pilot.press("q")
    assert app.return_value == 0


async def test_quitting_mid_batch_stops_it_and_keeps_finished_conversations(
    tmp_path: Path,
) -> None:
    session = _session(tmp_path, delay=200 * MS)
    app = BatchDashboard(session, session.run)
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_until(pilot, lambda: session.executor.counts.running == 3)
        # A running conversation can be watched live.
        running = next(
            i
            for i, s in enumerate(session.executor.statuses.values())
            if s.state is RunState.RUNNING
        )
        app.query_one(DataTable).move_cursor(row=running)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationView))
        view = app.screen.query_one(TranscriptView)
        await wait_until(pilot, lambda: view.message_count >= 2, within=TIMEOUT)
        await pilot.press("escape")
        await pilot.press("q")  # while running, q asks first (with the --resume hint)
        await wait_until(pilot, lambda: isinstance(app.screen, QuitBatchDialog))
        assert "--resume" in str(app.screen.query_one("#quit-text").render())
        await pilot.press("y")
        await wait_until(pilot, lambda: session.summary is not None)
    assert app.return_value == 130
    assert session.summary is not None and session.summary.total.unfinished >= 1
    assert session.executor.counts.stopped >= 1
