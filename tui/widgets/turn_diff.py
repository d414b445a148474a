"""One replayed turn: the recorded and the new bot answers side by side, differences marked."""

from __future__ import annotations

from collections.abc import Iterable

from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from convsim_core.replay import Turn, word_diff


class TurnDiff(Widget):
    DEFAULT_CSS = """
    TurnDiff { height: auto; margin: 0 0 1 0; }
    TurnDiff > .turn-head { height: auto; padding: 0 1; }
    TurnDiff > Horizontal { height: auto; }
    TurnDiff .turn-side { width: 1fr; height: auto; padding: 0 1; border-left: wide $panel; }
    TurnDiff.-changed .turn-side { border-left: wide $warning; }
    TurnDiff .turn-label { color: $text-muted; }
    """

    def __init__(self, turn: Turn) -> None:
        super().__init__(classes="-changed" if turn.changed else "")
        self.turn = turn

    def compose(self) -> Iterable[Widget]:
        turn = self.turn
        said = turn.customer if turn.customer is not None else "(the bot opens)"
        if not turn.replayed:
            mark = "[$text-muted]not replayed[/]"
        else:
            mark = "[b $text-warning]changed[/]" if turn.changed else "[$text-success]same[/]"
        yield Static(
            Content.from_markup(
                f"[b]Turn $n[/b] {mark}  [$text-primary]Customer[/] $said",
                n=str(turn.number),
                said=said,
            ),
            classes="turn-head",
        )
        old, new = sides(turn)
        with Horizontal():
            yield Static(old, classes="turn-side", id=f"recorded-{turn.number}")
            yield Static(new, classes="turn-side", id=f"new-{turn.number}")


def sides(turn: Turn) -> tuple[Content, Content]:
    """The recorded side with removed words marked, the new side with added words marked."""
    old_parts = [Content.from_markup("[$text-muted]recorded[/]\n")]
    new_parts = [Content.from_markup("[$text-muted]new[/]\n")]
    if not turn.changed:
        text = turn.recorded_text or "(no answer)"
        unsent = "(no answer)" if turn.replayed else "(not replayed: the replay broke off)"
        return Content("").join([*old_parts, Content(text)]), Content("").join(
            [*new_parts, Content(turn.new_text or unsent)]
        )
    for op, text in word_diff(turn.recorded_text, turn.new_text):
        if op in ("=", "-"):
            style = "[$text-error strike]$t[/] " if op == "-" else "$t "
            old_parts.append(Content.from_markup(style, t=text))
        if op in ("=", "+"):
            style = "[b $text-success]$t[/] " if op == "+" else "$t "
            new_parts.append(Content.from_markup(style, t=text))
    if not turn.recorded:
        old_parts.append(Content.from_markup("[$text-muted](no answer)[/]"))
    if not turn.new:
        new_parts.append(Content.from_markup("[$text-error](no answer)[/]"))
    return Content("").join(old_parts), Content("").join(new_parts)
