"""A clear, in-place error report (bad scenario, bot unreachable, LLM failure)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from convsim_core.textsafe import printable


class ErrorPanel(Static):
    DEFAULT_CSS = """
    ErrorPanel {
        display: none;
        height: auto;
        max-height: 12;
        border: round $error;
        background: $error 10%;
        padding: 0 1;
        margin: 0 1;
    }
    ErrorPanel.-visible { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Error"
        self.title = ""
        self.detail = ""

    def show_error(self, title: str, detail: str = "", hint: str = "") -> None:
        self.title = title
        self.detail = detail
        lines = [Content.from_markup("[b $text-error]$title[/]", title=title)]
        if detail:
            lines.append(Content(printable(detail)))
        if hint:
            lines.append(Content.from_markup("[$text-muted]$hint[/]", hint=hint))
        self.update(Content("\n").join(lines))
        self.add_class("-visible")

    def clear(self) -> None:
        self.title = ""
        self.detail = ""
        self.update("")
        self.remove_class("-visible")

    @property
    def visible_error(self) -> bool:
        return self.has_class("-visible")
