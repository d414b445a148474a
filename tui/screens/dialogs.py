"""Small modal dialogs: confirm or override the outcome (play mode), save the transcript."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from convsim_core.models import Judgement, Outcomes
from convsim_core.verdict_why import why
from tui.screens.box_dialog import BoxDialog

NO_OUTCOME = "__none__"
OUTCOME_HELP = "enter: the highlighted outcome · escape: keep the judge's"
"""Short enough for one line of the dialog at 80 columns (the dialog is 70 wide)."""


class OutcomeDialog(BoxDialog[str]):
    """Which outcome did this chat reach? Enter keeps the judge's pick; any other is an override.

    Dismisses with an outcome name, or :data:`NO_OUTCOME` when the person says none applies.
    """

    BINDINGS = [Binding("escape", "keep", "Keep the judge's outcome")]

    DEFAULT_CSS = """
    OutcomeDialog > Vertical { border: round $accent; }
    OutcomeDialog OptionList { height: auto; max-height: 12; margin: 1 0; }
    OutcomeDialog #outcome-help { color: $text-muted; height: auto; }
    """

    def __init__(self, outcomes: Outcomes, judgement: Judgement | None) -> None:
        super().__init__()
        self.outcomes = outcomes
        self.judged = judgement.outcome.name if judgement and judgement.outcome else NO_OUTCOME
        self.verdict = verdict_sentence(judgement, outcomes)
        """What the judge decided and why, in one sentence (the dialog's first line)."""

    def compose(self) -> Iterable[Widget]:
        options = [
            Option(
                Content.from_markup(
                    "[b]$name[/b]$mark\n[$text-muted]$description[/]",
                    name=o.name,
                    mark="  ← judge" if o.name == self.judged else "",
                    description=o.description,
                ),
                id=o.name,
            )
            for o in self.outcomes.outcomes
        ]
        options.append(
            Option(
                Content.from_markup(
                    "[b]none[/b]$mark\n[$text-muted]No listed outcome applies[/]",
                    mark="  ← judge" if self.judged == NO_OUTCOME else "",
                ),
                id=NO_OUTCOME,
            )
        )
        with Vertical() as box:
            box.border_title = "How did the chat end?"
            yield Static(self.verdict, id="outcome-verdict")
            yield OptionList(*options, id="outcome-options")
            yield Static(
                OUTCOME_HELP,
                id="outcome-help",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = options.get_option_index(self.judged)
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id or NO_OUTCOME)

    def action_keep(self) -> None:
        self.dismiss(self.judged)


def verdict_sentence(judgement: Judgement | None, outcomes: Outcomes | None) -> Content:
    """ "The judge decided X at message #N: said ..." or "... no outcome (possible: ...; nearest
    miss ...)": the verdict's own why text (convsim_core.verdict_why), which already names the
    outcome, so the judge's rationale ("no outcome yet") is never said twice."""
    if judgement is None:
        return Content("No judge decided this chat's outcome.")
    text = why(judgement, outcomes).rstrip(".")
    if judgement.outcome is not None:
        name = judgement.outcome.name
        return Content.from_markup(
            "The judge decided [b]$name[/b]$rest.", name=name, rest=text.removeprefix(name)
        )
    rest = text.removeprefix("no outcome").removeprefix("; ")
    if not rest:
        return Content.from_markup("The judge decided [b]no outcome[/b].")
    return Content.from_markup("The judge decided [b]no outcome[/b] ($rest).", rest=rest)


class SaveDialog(BoxDialog[Path | None]):
    """Where to save a copy of the transcript (.jsonl as recorded, .md for reading)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    SaveDialog Horizontal { align-horizontal: right; }
    SaveDialog Button { margin-left: 1; }
    SaveDialog #save-warning { height: auto; }
    """

    def __init__(
        self,
        suggestion: Path,
        *,
        title: str = "Save transcript",
        label: str = "File name (.jsonl keeps the recorded form, .md is for reading):",
    ) -> None:
        super().__init__()
        self.suggestion = suggestion
        self.title_text = title
        self.label_text = label
        self._replace: Path | None = None
        """An existing file the person has been warned about: saving again replaces it."""

    def compose(self) -> Iterable[Widget]:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Label(self.label_text)
            yield Input(str(self.suggestion), id="save-path")
            yield Static("", id="save-warning")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save", variant="primary", id="save")

    @on(Input.Changed)
    def _edited(self) -> None:
        if self._replace is not None:
            self._replace = None
            self.query_one("#save-warning", Static).update("")
            self.query_one("#save", Button).label = "Save"

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        text = self.query_one(Input).value.strip()
        if not text:
            self.notify("Enter a file name.", severity="warning")
            return
        path = Path(text).expanduser()
        if path.exists() and path != self._replace:
            # Never overwrite without asking: the first save of an existing name only warns.
            self._replace = path
            self.query_one("#save-warning", Static).update(
                Content.from_markup(
                    "[$text-warning]$name exists. Save again to replace it.[/]", name=str(path)
                )
            )
            self.query_one("#save", Button).label = "Replace"
            return
        self.dismiss(path)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
