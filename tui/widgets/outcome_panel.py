"""The legal outcomes, the one the judge currently sees, why, and how the chat ended."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from convsim_core.models import ConversationResult, Judgement, Outcomes
from convsim_core.verdict_why import why
from tui.formatting import humanize


class OutcomePanel(Static):
    """Outcome list with the judge's current pick highlighted; set by the live view (each
    change of what it shows repaints it, as Textual's reactive attributes do)."""

    DEFAULT_CSS = """
    OutcomePanel { height: auto; }
    """

    judgement: reactive[Judgement | None] = reactive(None, layout=True)
    result: reactive[ConversationResult | None] = reactive(None, layout=True)
    override: reactive[str | None] = reactive(None, layout=True)
    """A label a person chose instead of (or to confirm) the judge's (play mode)."""

    def __init__(self, outcomes: Outcomes, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Outcome"
        self.outcomes = outcomes

    @property
    def current(self) -> str | None:
        if self.override is not None:
            return self.override
        outcome = self.judgement.outcome if self.judgement else None
        return outcome.name if outcome else None

    def reset(self) -> None:
        self.judgement = None
        self.result = None
        self.override = None

    def set_judgement(self, judgement: Judgement) -> None:
        self.judgement = judgement

    def set_result(self, result: ConversationResult) -> None:
        self.result = result
        if result.judgement is not None:
            self.judgement = result.judgement

    def set_override(self, label: str) -> None:
        self.override = label

    def render(self) -> Content:
        """Drawn again whenever the judgement, the result or the override changes."""
        current = self.current
        lines: list[Content] = []
        for outcome in self.outcomes.outcomes:
            if outcome.name == current:
                lines.append(Content.from_markup("[b $text-accent]● $name[/]", name=outcome.name))
            else:
                lines.append(Content.from_markup("[$text-muted]○[/] $name", name=outcome.name))
        lines.append(Content(""))
        lines.extend(self._explanation())
        return Content("\n").join(lines)

    def _explanation(self) -> list[Content]:
        lines: list[Content] = []
        judgement = self.judgement
        if self.override is not None:
            judged = judgement.outcome.name if judgement and judgement.outcome else "none"
            if judged == self.override:
                lines.append(Content.from_markup("[$text-success]Confirmed by you[/]"))
            else:
                lines.append(
                    Content.from_markup(
                        "[$text-warning]Set by you[/] (judge: $judged)", judged=judged
                    )
                )
        if judgement is not None and judgement.outcome is not None:
            where = (
                f" (message #{judgement.message_index + 1})"
                if judgement.message_index is not None
                else ""
            )
            score = f" score {judgement.score:.2f}" if judgement.score is not None else ""
            lines.append(
                Content.from_markup(
                    "$rationale[$text-muted]$where$score[/]",
                    rationale=judgement.rationale or "reached",
                    where=where,
                    score=score,
                )
            )
        elif self.override not in (None, "none"):
            pass  # a person set an outcome the judge did not see: the line above says so
        elif self.result is None:
            lines.append(Content.from_markup("[$text-muted]No outcome yet[/]"))
        else:
            lines.append(Content.from_markup("[$text-warning]No outcome reached[/]"))
            lines.append(
                Content.from_markup(
                    "[$text-muted]$why[/]",
                    why=why(judgement, self.outcomes).removeprefix("no outcome; "),
                )
            )
        result = self.result
        if result is not None and result.termination_reason is not None:
            lines.append(
                Content.from_markup(
                    "[b]Ended:[/b] $reason", reason=humanize(result.termination_reason.value)
                )
            )
            if result.termination_detail:
                lines.append(
                    Content.from_markup("[$text-muted]$detail[/]", detail=result.termination_detail)
                )
        return lines
