"""A saved transcript, read-only: the same transcript and outcome panes as a live run.

The transcript pane keeps a selected message (up/down or k/j, home/end, a click) that ``b``
branches after. Its layout lives in the app stylesheet, which the screen names too, so it looks
the same inside the batch dashboard (another app) as in the viewer.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static

from convsim_core.models import Outcomes
from convsim_core.persistence import Transcript, read_transcript
from convsim_core.serialization import SchemaError, from_json
from tui.formatting import format_duration, humanize
from tui.screens.help import HelpScreen
from tui.screens.transcript_actions import ReviewActions, TranscriptActions
from tui.settings import ViewSettings
from tui.widgets.error_panel import ErrorPanel
from tui.widgets.outcome_panel import OutcomePanel
from tui.widgets.selectable_transcript import SelectableTranscript


class TranscriptScreen(TranscriptActions, ReviewActions, Screen[None]):
    CSS_PATH = "../styles/app.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the previous screen"),
        Binding(
            "b",
            "branch",
            "Branch",
            tooltip="Branch after the selected message: keep #1..#N (--at N), continue live",
        ),
        Binding(
            "l",
            "review",
            "Review",
            tooltip="Review: confirm or override the outcome (saved to the folder's labels.csv)",
        ),
        Binding(
            "e",
            "save_scenario",
            "As scenario",
            tooltip="Save as a scenario: the customer scripted, the outcome reached expected",
        ),
        Binding("question_mark,f1", "help", "Help", tooltip="Show every key"),
    ]
    AUTO_FOCUS = "#transcript"

    def __init__(self, path: Path, *, settings: ViewSettings) -> None:
        super().__init__()
        self.path = path
        self.settings = settings
        self.transcript: Transcript | None = None
        self.error = ""
        try:
            self.transcript = read_transcript(path)
        except (OSError, SchemaError, UnicodeDecodeError) as exc:
            self.error = str(exc)

    def compose(self) -> Iterable[Widget]:
        yield Header(icon="◆")
        with Horizontal(id="viewer-body"):
            yield SelectableTranscript(
                id="transcript",
                max_live=self.settings.max_live,
                tz=self.settings.tz,
                follow=False,
            )
            with VerticalScroll(id="side", can_focus=False):
                yield OutcomePanel(self._outcomes(), id="outcome")
                yield Static(self._details(), id="run-details")
        yield ErrorPanel(id="error")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.title = "convsim · transcript"
        self.sub_title = f"{self.path.name} (read-only)"
        self.query_one("#run-details").border_title = "Run"
        transcript = self.transcript
        if transcript is None:
            self.query_one(ErrorPanel).show_error(
                "Cannot read this transcript", self.error, "escape goes back"
            )
            return
        self.query_one(SelectableTranscript).load(transcript.messages)
        panel = self.query_one(OutcomePanel)
        if transcript.result is not None:
            panel.set_result(transcript.result)
            if transcript.result.outcome_overridden_by:
                outcome = transcript.result.conversation.outcome
                panel.set_override(outcome.name if outcome else "none")
        self.show_existing_label()

    def _outcomes(self) -> Outcomes:
        transcript = self.transcript
        data: Any = transcript.header.get("outcomes") if transcript else None
        if isinstance(data, dict):
            try:
                return from_json(data, Outcomes)
            except SchemaError:
                pass
        outcome = (
            transcript.result.conversation.outcome if transcript and transcript.result else None
        )
        return Outcomes((outcome,) if outcome else ())

    def _details(self) -> Content:
        transcript = self.transcript
        if transcript is None:
            return Content("")
        header = transcript.header
        rows = [
            ("Scenario", str(header.get("scenario_title") or header.get("scenario") or "?")),
            ("Seed", str(header.get("seed"))),
            ("Runner", str(header.get("runner") or "?")),
            ("Started", str(header.get("started_at") or "?")[:19].replace("T", " ")),
            ("Messages", str(len(transcript.messages))),
        ]
        result = transcript.result
        if result is None:
            rows.append(("Status", "partial (no result line)"))
        else:
            rows.append(("Duration", format_duration(result.duration_seconds)))
            if result.termination_reason is not None:
                rows.append(("Ended", humanize(result.termination_reason.value)))
            if result.error:
                rows.append(("Error", result.error))
            if result.outcome_overridden_by:
                rows.append(("Outcome by", result.outcome_overridden_by))
        if transcript.problems:
            rows.append(("Problems", "; ".join(transcript.problems[:3])))
        rows.append(("File", str(self.path)))
        return Content("\n").join(
            Content.from_markup("[$text-muted]$k[/] $v", k=key, v=value) for key, value in rows
        )

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit(0)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))
