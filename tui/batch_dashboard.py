"""The batch dashboard: per-scenario outcome counts, a table of every conversation, review.

The batch runs in a worker on the app's event loop; the executor's listener only marks rows
dirty, and a timer redraws the dirty rows a few times a second, so a thousand conversations
exchanging messages cost a handful of table updates per tick. The table fits 80 columns
(conversation, status, messages, outcome, how it ended, a person's label); ``o`` sorts, ``f``
shows failures only, ``l`` labels the selected conversation (``labels.csv`` in the batch
folder), enter opens it in the transcript screen, ``q`` asks before stopping a running batch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header
from textual.worker import Worker, WorkerState

from convsim_core.batch import BatchSession, BatchSummary, RunState, RunStatus
from convsim_core.batch.progress import format_progress
from convsim_core.batch.verdict import verdict_line
from convsim_core.labels import append_label, read_labels
from tui.formatting import fit, fit_id
from tui.screens.batch_conversation import ConversationView
from tui.screens.help import HelpScreen
from tui.screens.quit_batch import QuitBatchDialog
from tui.settings import ViewSettings
from tui.widgets.scenario_counts import ScenarioCounts, is_failure

__all__ = ["COLUMNS", "BatchDashboard", "ConversationView", "RunTable", "run_batch_dashboard"]

COLUMNS = ("conversation", "status", "msgs", "outcome", "ended", "label")
WIDTHS = {"status": 7, "msgs": 4, "outcome": 12, "ended": 14, "label": 9}
"""With a conversation column of at most 22 and one cell of padding each side: 80 columns."""
ROOM = {"conversation": 40, "ended": 22, "outcome": 18, "label": 14}
"""How wide a column may grow, in this order, when the terminal is wider than 80 columns."""


def column_widths(width: int, longest_id: int) -> dict[str, int]:
    """The table's column widths for a terminal ``width`` columns wide (80 at the least).

    The conversation column takes what its longest id needs first, then how a conversation
    ended (``participant finished``), its outcome and its label: extra columns go to the cells
    that were cut, not to blank space on the right.
    """
    widths = {"conversation": min(22, max(len("conversation"), longest_id))}
    widths.update(WIDTHS)
    spare = width - 80
    for column, most in ROOM.items():
        if column == "conversation":
            most = min(most, max(widths[column], longest_id))
        grow = max(0, min(spare, most - widths[column]))
        widths[column] += grow
        spare -= grow
    return widths


SORTS = ("conversation", "status", "outcome", "ended")
REFRESH_SECONDS = 0.25


class RunTable(DataTable[str]):
    """The conversations table; Enter (shown in the footer) opens the selected one."""

    BINDINGS = [Binding("enter", "select_cursor", "Open", tooltip="Open the conversation")]


class BatchDashboard(App[int]):
    """Runs ``execute`` (which runs ``session``) and shows its conversations as they go."""

    TITLE = "convsim batch"
    BINDINGS = [
        Binding("q", "quit_batch", "Quit", tooltip="Quit (asks first while the batch runs)"),
        Binding("o", "sort", "Sort", tooltip="Sort by the next column"),
        Binding("f", "failures", "Failures", tooltip="Show only failures / every conversation"),
        Binding("l", "review", "Review", tooltip="Confirm or override the selected outcome"),
        Binding("question_mark,f1", "help", "Help", tooltip="Show every key"),
    ]
    DEFAULT_CSS = """
    RunTable { height: 1fr; }
    """

    def __init__(
        self,
        session: BatchSession,
        execute: Callable[[], Awaitable[BatchSummary]],
        *,
        settings: ViewSettings | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.execute = execute
        self.settings = settings or ViewSettings()
        self.summary: BatchSummary | None = None
        self.error: BaseException | None = None
        self.failures_only = False
        self.sort_column: str | None = None
        self.labels = {k: v.outcome for k, v in read_labels(session.folder).items()}
        self.widths: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._finished = False
        # Kept, not queried: App.query_one looks at the screen on top (a dialog, a row view)
        # while the redraw timer keeps running.
        self.counts_view = ScenarioCounts(id="counts")
        self.table = RunTable(id="runs", cursor_type="row", zebra_stripes=True)
        session.executor.listener = self._on_status

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.counts_view
        yield self.table
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = str(self.session.folder)
        self._lay_out(self.size.width)
        self._redraw()
        self.set_interval(REFRESH_SECONDS, self._redraw)
        self._run_batch()

    # -- the batch ------------------------------------------------------------------------------

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
        self._dirty.update(self.session.executor.statuses)
        self._redraw()
        self.sub_title = f"{self.session.folder} | {how}; press q to leave"

    @property
    def resume_hint(self) -> str:
        return f"convsim batch --resume --out {self.session.folder}"

    # -- the table ------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out(event.size.width)

    def _lay_out(self, width: int) -> None:
        """(Re)build the columns for the terminal's width, keeping the selected row."""
        longest = max((len(run_id) for run_id in self.session.executor.statuses), default=0)
        widths = column_widths(width, longest)
        if widths == self.widths:
            return
        self.widths = widths
        table = self.table
        selected = self.selected_status()
        table.clear(columns=True)
        for column in COLUMNS:
            table.add_column(column, key=column, width=widths[column])
        self._fill()
        if selected is not None and selected.run.run_id in table.rows:
            table.move_cursor(row=table.get_row_index(selected.run.run_id))

    def _cells(self, status: RunStatus) -> tuple[str, ...]:
        state = status.state.value
        ended = (status.termination or "-").replace("_", " ")
        if status.state is RunState.ERROR and status.error:
            ended = status.error
        label = self.labels.get(status.run.run_id, "")
        cells = (state, str(status.messages), status.outcome or "-", ended, label)
        widths = self.widths
        return (
            fit_id(status.run.run_id, widths["conversation"]),
            *(fit(cell, widths[column]) for column, cell in zip(COLUMNS[1:], cells, strict=True)),
        )

    def _visible(self, status: RunStatus) -> bool:
        return not self.failures_only or is_failure(status)

    def _fill(self) -> None:
        table = self.table
        table.clear()
        for run_id, status in self.session.executor.statuses.items():
            if self._visible(status):
                table.add_row(*self._cells(status), key=run_id)
        if self.sort_column is not None:
            table.sort(self.sort_column)

    def _on_status(self, status: RunStatus) -> None:
        self._dirty.add(status.run.run_id)

    def _redraw(self) -> None:
        executor = self.session.executor
        started = executor.started_at
        elapsed = 0.0 if started is None else executor.elapsed or _since(started)
        workers = executor.workers  # one entry per worker process / Ray actor
        progress = format_progress(executor.counts, elapsed, workers=workers)
        verdicts = self.summary.verdicts if self._finished and self.summary is not None else ()
        if verdicts:
            progress += "\n" + verdict_line(verdicts)
        self.counts_view.show(
            executor.statuses.values(),
            progress,
            verdicts={v.scenario: v.status.value for v in verdicts},
        )
        if not self._dirty:
            return
        table = self.table
        statuses = executor.statuses
        dirty, self._dirty = self._dirty, set()
        if self.failures_only and any(
            (run_id in table.rows) != self._visible(statuses[run_id]) for run_id in dirty
        ):
            self._fill()
            return
        for run_id in dirty:
            if run_id not in table.rows:  # a run added while the batch ran (a retry)
                if self._visible(statuses[run_id]):
                    table.add_row(*self._cells(statuses[run_id]), key=run_id)
                continue
            for column, value in zip(COLUMNS, self._cells(statuses[run_id]), strict=True):
                table.update_cell(run_id, column, value)

    def selected_status(self) -> RunStatus | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.session.executor.statuses.get(key) if key is not None else None

    # -- actions --------------------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            status = self.session.executor.statuses[event.row_key.value]
            self.push_screen(ConversationView(status, settings=self.settings))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Sorting, filtering and reviewing act on the table: not while a row's transcript
        # (or a run branched from it) covers it, where they would change what is not shown.
        # A dialog or the help over the table leaves them listed.
        if action not in ("sort", "failures", "review"):
            return True
        covering = [s for s in self.screen_stack[1:] if not isinstance(s, ModalScreen)]
        return not covering

    def action_sort(self) -> None:
        current = SORTS.index(self.sort_column) if self.sort_column in SORTS else -1
        self.sort_column = SORTS[(current + 1) % len(SORTS)]
        self.table.sort(self.sort_column)
        self.notify(f"Sorted by {self.sort_column}", timeout=2)

    def action_failures(self) -> None:
        self.failures_only = not self.failures_only
        self._fill()
        shown = "failures only" if self.failures_only else "every conversation"
        self.notify(f"Showing {shown}", timeout=2)

    def action_review(self) -> None:
        status = self.selected_status()
        if status is None or status.state in (RunState.PENDING, RunState.RUNNING):
            self.notify("Pick a finished conversation to review.", severity="warning")
            return
        from tui.screens.dialogs import OutcomeDialog

        outcomes, judgement = _outcomes_of(status)
        self.push_screen(
            OutcomeDialog(outcomes, judgement), lambda choice: self._reviewed(status, choice)
        )

    def _reviewed(self, status: RunStatus, choice: str | None) -> None:
        from tui.screens.dialogs import NO_OUTCOME

        if choice is None:
            return
        run_id = status.run.run_id
        try:
            label = append_label(
                self.session.folder, run_id, None if choice == NO_OUTCOME else choice
            )
        except OSError as exc:
            self.notify(f"Could not save the label: {exc}", severity="error")
            return
        self.labels[run_id] = label.outcome
        self._dirty.add(run_id)
        self._redraw()
        self.notify(f"{run_id}: {label.outcome}", title="Label saved", timeout=3)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        """Textual's ctrl+q and the palette's Quit ask first as well while the batch runs."""
        self.action_quit_batch()

    def action_quit_batch(self) -> None:
        if self._finished:
            self.exit(1 if self.session.executor.counts.errors else 0)
            return
        counts = self.session.executor.counts
        dialog = QuitBatchDialog(counts.finished, counts.total, self.resume_hint)
        self.push_screen(dialog, self._quit_answered)

    def _quit_answered(self, stop: bool | None) -> None:
        if stop:
            # Stopping cancels the conversations in flight; finished ones stay on disk.
            self.workers.cancel_group(self, "batch")


def _outcomes_of(status: RunStatus) -> tuple[Any, Any]:
    """The scenario's outcomes and the judge's verdict, as the transcript recorded them."""
    from convsim_core.models import Outcomes
    from convsim_core.persistence import read_transcript
    from convsim_core.serialization import SchemaError, from_json

    try:
        transcript = read_transcript(status.path)
    except (OSError, SchemaError, UnicodeDecodeError):
        return Outcomes(()), None
    data = transcript.header.get("outcomes")
    try:
        outcomes = from_json(data, Outcomes) if isinstance(data, dict) else Outcomes(())
    except SchemaError:
        outcomes = Outcomes(())
    judgement = transcript.result.judgement if transcript.result else None
    return outcomes, judgement


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
    if code == 130:
        import sys

        print(f"convsim: batch stopped; finish it with: {app.resume_hint}", file=sys.stderr)
    return 130 if code is None else code
