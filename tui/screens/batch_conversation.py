"""One conversation of a batch: the transcript screen (sidebar, review, branch), kept live.

While the conversation is still running its transcript is re-read twice a second and new
messages are appended, so the row view follows it like the old bare view did.
"""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding

from convsim_core.batch import RunStatus
from convsim_core.persistence import read_transcript
from convsim_core.serialization import SchemaError
from tui.screens.transcript_screen import TranscriptScreen
from tui.settings import ViewSettings
from tui.widgets.error_panel import ErrorPanel
from tui.widgets.outcome_panel import OutcomePanel
from tui.widgets.selectable_transcript import SelectableTranscript


class ConversationView(TranscriptScreen):
    """The transcript screen for one row of the dashboard; escape or q goes back to the table."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back", tooltip="Back to the batch")]

    def __init__(self, status: RunStatus, *, settings: ViewSettings | None = None) -> None:
        super().__init__(status.path, settings=settings or ViewSettings())
        self.status = status
        self.shown = len(self.transcript.messages) if self.transcript else 0

    def on_mount(self) -> None:
        # Textual runs the transcript screen's own on_mount too, after this one (handlers of
        # every class): name the screen after it.
        self.call_later(self._name_it)
        self.set_interval(0.5, self.follow)

    def _name_it(self) -> None:
        self.title = self.status.run.run_id
        self.sub_title = f"{self.status.state.value} · seed {self.status.run.seed}"

    def follow(self) -> None:
        """Append what the running conversation said since the last look."""
        path: Path = self.status.path
        self.sub_title = f"{self.status.state.value} · seed {self.status.run.seed}"
        try:
            transcript = read_transcript(path)
        except (OSError, SchemaError, UnicodeDecodeError):
            return  # not started yet: the next tick looks again
        if self.transcript is None:
            self.query_one(ErrorPanel).clear()
        self.transcript = transcript
        view = self.query_one(SelectableTranscript)
        for index, message in enumerate(transcript.messages[self.shown :], start=self.shown):
            view.add_message(index, message)
        self.shown = len(transcript.messages)
        if transcript.result is not None:
            self.query_one(OutcomePanel).set_result(transcript.result)
            self.query_one("#run-details").update(self._details())
