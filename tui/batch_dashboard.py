"""The batch dashboard: a live table of every conversation of a batch, with outcome counts.

Thin by design: the batch runs in a worker on the app's event loop; the executor's listener
only marks rows dirty, and a timer redraws the dirty rows a few times a second, so a thousand
conversations exchanging messages cost a handful of table updates per tick. Enter opens one
conversation, read from its transcript on disk (live while it is still running).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from convsim_core.batch import BatchSession, BatchSummary, RunState, RunStatus
from convsim_core.batch.progress import format_progress
from convsim_core.batch.verdict import verdict_line
from convsim_core.persistence import read_transcript
from convsim_core.serialization import SchemaError
from tui.widgets.transcript import TranscriptView

COLUMNS = ("conversation", "scenario", "status", "messages", "outcome")
REFRESH_SECONDS = 0.25


class ConversationView(Screen[None]):
    """One conversation of the batch, read from its transcript; follows it while it runs."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]
    DEFAULT_CSS = """
    ConversationView #facts { padding: 0 1; color: $text-muted; }
    """

    def __init__(self, status: RunStatus) -> None:
        super().__init__()
        self.status = status
        self.shown = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="facts")
        yield TranscriptView(id="messages")
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.status.run.run_id
        self.refresh_transcript()
        self.set_interval(0.5, self.refresh_transcript)

    def refresh_transcript(self) -> None:
        path: Path = self.status.path
        facts = f"{self.status.state.value} | seed {self.status.run.seed}"
        try:
            transcript = read_transcript(path)
        except FileNotFoundError:
            self.query_one("#facts", Static).update(f"{facts} | not started yet")
            return
        except (OSError, SchemaError) as exc:
            self.query_one("#facts", Static).update(f"{facts} | cannot read: {exc}")
            return
        result = transcript.result
        if result is not None:
            outcome = result.conversation.outcome
            reason = result.termination_reason.value if result.termination_reason else "-"
            facts += f" | outcome {outcome.name if outcome else '-'} | {reason}"
            if result.error:
                facts += f" | error: {result.error}"
        self.query_one("#facts", Static).update(facts)
        view = self.query_one(TranscriptView)
        for index, message in enumerate(transcript.messages[self.shown :], start=self.shown):
            view.add_message(index, message)
        self.shown = len(transcript.messages)


class RunTable(DataTable[str]):
    """The conversations table; Enter (shown in the footer) opens the selected one."""

    BINDINGS = [Binding("enter", "select_cursor", "Open conversation")]


class BatchDashboard(App[int]):
    """Runs ``execute`` (which runs ``session``) and shows its conversations as they go."""

    TITLE = "convsim batch"
    BINDINGS = [Binding("q", "quit_batch", "Stop / quit")]
    DEFAULT_CSS = """
    #counts { height: auto; padding: 0 1; }
    DataTable { height: 1fr; }
    """

    def __init__(
        self, session: BatchSession, execute: Callable[[], Awaitable[BatchSummary]]
    ) -> None:
        super().__init__()
        self.session = session
        self.execute = execute
        self.summary: BatchSummary | None = None
        self.error: BaseException | None = None
        self._dirty: set[str] = set()
        self._finished = False
        session.executor.listener = self._on_status

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="counts")
        yield RunTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = str(self.session.folder)
        table = self.query_one(RunTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        for run_id, status in self.session.executor.statuses.items():
            table.add_row(*self._cells(status), key=run_id)
        self._redraw()
        self.set_interval(REFRESH_SECONDS, self._redraw)
        self._run_batch()

    @work(exclusive=True, group="batch", exit_on_error=False)
    async def _run_batch(self) -> BatchSummary:
        return await self.execute()

    @on(Worker.StateChanged)
    def _batch_state(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "batch":
            return
        state = event.state
        if state is WorkerState.SUCCESS:
            self.summary = event.worker.result
            self._done("finished")
        elif state is WorkerState.ERROR:
            self.error = event.worker.error
            self.exit(2)
        elif state is WorkerState.CANCELLED:
            self.summary = self.session.summary
            self.exit(130)

    def _done(self, how: str) -> None:
        self._finished = True
        self._redraw()
        self.sub_title = f"{self.session.folder} | {how}; press q to leave"

    @staticmethod
    def _cells(status: RunStatus) -> tuple[str, str, str, str, str]:
        state = status.state.value
        if status.termination == "unreadable_replies":
            state = "unreadable replies"
        elif status.state is RunState.ERROR and status.error:
            state = f"error: {status.error[:40]}"
        return (
            status.run.run_id,
            status.run.scenario,
            state,
            str(status.messages),
            status.outcome or "-",
        )

    def _on_status(self, status: RunStatus) -> None:
        self._dirty.add(status.run.run_id)

    def _redraw(self) -> None:
        counts = self.session.executor.counts
        started = self.session.executor.started_at
        elapsed = 0.0 if started is None else self.session.executor.elapsed or _since(started)
        progress = format_progress(counts, elapsed)
        if self._finished and self.summary is not None and self.summary.verdicts:
            progress += "\n" + verdict_line(self.summary.verdicts)
        self.query_one("#counts", Static).update(progress)
        if not self._dirty:
            return
        table = self.query_one(RunTable)
        statuses = self.session.executor.statuses
        dirty, self._dirty = self._dirty, set()
        for run_id in dirty:
            if run_id not in table.rows:  # a run added while the batch ran (a retry)
                table.add_row(*self._cells(statuses[run_id]), key=run_id)
                continue
            for column, value in zip(COLUMNS, self._cells(statuses[run_id]), strict=True):
                table.update_cell(run_id, column, value, update_width=True)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.push_screen(ConversationView(self.session.executor.statuses[event.row_key.value]))

    def action_quit_batch(self) -> None:
        if self._finished:
            self.exit(1 if self.session.executor.counts.errors else 0)
            return
        # Stopping cancels the conversations in flight; finished ones stay on disk.
        self.workers.cancel_group(self, "batch")


def _since(started: float) -> float:
    import time

    return time.monotonic() - started


def run_batch_dashboard(
    session: BatchSession, execute: Callable[[], Awaitable[BatchSummary]]
) -> int:
    """Run the dashboard until the user leaves; re-raises what stopped the batch, if anything."""
    app = BatchDashboard(session, execute)
    code = app.run()
    if app.error is not None:
        raise app.error
    return 130 if code is None else code
