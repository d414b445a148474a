"""Asked when q is pressed while a batch still runs: stop it (finished runs stay) or go on."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Static

from tui.screens.box_dialog import BoxDialog


class QuitBatchDialog(BoxDialog[bool]):
    BINDINGS = [
        Binding("y", "stop", "Stop the batch"),
        Binding("n,escape", "keep", "Keep running"),
    ]

    DEFAULT_CSS = """
    QuitBatchDialog > Vertical { border: round $warning; }
    QuitBatchDialog Static { height: auto; }
    QuitBatchDialog Horizontal { align-horizontal: right; margin-top: 1; }
    QuitBatchDialog Button { margin-left: 1; }
    """

    def __init__(self, finished: int, total: int, resume: str) -> None:
        super().__init__()
        self.finished = finished
        self.total = total
        self.resume = resume

    def compose(self) -> Iterable[Widget]:
        with Vertical() as box:
            box.border_title = "Stop the batch?"
            yield Static(
                Content.from_markup(
                    "$done of $total conversations are finished; they stay on disk."
                    " Conversations in flight are stopped.\nFinish the rest later with:\n"
                    "[b]$resume[/b]",
                    done=str(self.finished),
                    total=str(self.total),
                    resume=self.resume,
                ),
                id="quit-text",
            )
            with Horizontal():
                yield Button("Keep running (n)", id="keep")
                yield Button("Stop (y)", variant="warning", id="stop")

    @on(Button.Pressed, "#stop")
    def action_stop(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        self.dismiss(False)
