"""Every key of the screen underneath, read from its live bindings so it never goes stale."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Collapsible, Static

Row = tuple[str, str]


class HelpScreen(ModalScreen[None]):
    """Key bindings and commands of ``screen``; escape, q or ? closes it.

    convsim's own keys come first, the app's next; the generic keys of Textual's classes (the
    text box's cursor and selection keys, scrolling, focus, copy) are folded away: play mode has
    some 35 of them.
    """

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss_help", "Close", show=True)]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 64; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen Collapsible { padding: 0; border-top: none; background: $surface; }
    HelpScreen #help-generic { color: $text-muted; }
    """

    def __init__(self, screen: Screen[Any], extra: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        self._rows, self._generic = self._collect(screen)
        self._extra = list(extra)

    def compose(self) -> Iterable[Widget]:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "escape closes"
            yield Static(self._content(), id="help-keys")
            if self._generic:
                with Collapsible(
                    title=f"Text editing keys, scrolling and focus ({len(self._generic)})",
                    collapsed=True,
                    id="help-generic-box",
                ):
                    yield Static(_table(self._generic), id="help-generic")

    def _collect(self, screen: Screen[Any]) -> tuple[list[Row], list[Row]]:
        own: list[Row] = []
        generic: list[Row] = []
        app: list[Binding] = []
        for active in screen.active_bindings.values():
            binding: Binding = active.binding
            if not binding.description:
                continue
            node: DOMNode = active.node
            if node is self.app:
                app.append(binding)
            else:
                self._add(generic if _is_generic(node, binding) else own, binding)
        for binding in app:  # after the screen's keys; q joins a screen's ctrl+q row
            self._add(own, binding)
        return own, generic

    def _add(self, rows: list[Row], binding: Binding) -> None:
        keys = " / ".join(
            self.app.get_key_display(Binding(key, binding.action)) for key in binding.key.split(",")
        )
        what = binding.tooltip or binding.description
        for index, (known, described) in enumerate(rows):
            if described == what:  # another key for the same action (q and ctrl+q)
                rows[index] = (f"{known} / {keys}", what)
                return
        rows.append((keys, what))

    def _content(self) -> Content:
        lines = [_table(self._rows + self._extra)]
        lines.append(Content(""))
        lines.append(
            Content.from_markup(
                "[$text-muted]ctrl+p opens the command palette: every action is there too.[/]"
            )
        )
        return Content("\n").join(lines)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


def _is_generic(node: DOMNode, binding: Binding) -> bool:
    """A key of Textual's own (scrolling, focus, copy, a text box's editing keys).

    Decided by the class that declares the binding, not by the node: a convsim screen inherits
    tab and ctrl+c from Textual's ``Screen``, a convsim pane its scrolling keys from
    ``ScrollableContainer``; a key a convsim class (re)declares is convsim's.
    """
    for cls in type(node).__mro__:
        for declared in cls.__dict__.get("BINDINGS", ()):
            keys, action = (
                (declared.key, declared.action)
                if isinstance(declared, Binding)
                else (declared[0], declared[1])
            )
            if action == binding.action and binding.key in (k.strip() for k in keys.split(",")):
                return cls.__module__.startswith("textual.")
    return type(node).__module__.startswith("textual.")


def _table(rows: list[Row]) -> Content:
    width = max((len(keys) for keys, _ in rows), default=4) + 2
    return Content("\n").join(
        Content.from_markup(
            "[b $text-accent]$keys[/]$pad$what", keys=k, pad=" " * (width - len(k)), what=w
        )
        for k, w in rows
    )
