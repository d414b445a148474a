"""The scenario's title, the customer's intent and both personas, for the side panel."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui.run_source import ScenarioInfo


class ScenarioPanel(Static):
    DEFAULT_CSS = """
    ScenarioPanel { height: auto; }
    """

    def __init__(self, info: ScenarioInfo, *, kind: str = "full", id: str | None = None) -> None:
        super().__init__(self._content(info, kind), id=id)
        self.border_title = "Scenario"

    @staticmethod
    def _content(info: ScenarioInfo, kind: str = "full") -> Content:
        parts: list[Content] = [Content.from_markup("[b]$title[/b]", title=info.title)]
        if info.description:
            parts.append(Content.from_markup("[$text-muted]$text[/]", text=info.description))
        if info.customer_persona:
            parts.append(
                Content.from_markup("[$text-primary]Customer[/] $text", text=info.customer_persona)
            )
        if kind == "connect":
            # The scenario's agent persona is not played here: the bot is the agent.
            parts.append(
                Content.from_markup(
                    "[$text-success]Agent[/] [b]the real bot[/b] (simulated: the customer)"
                )
            )
        elif kind == "play":
            parts.append(Content.from_markup("[$text-success]Agent[/] [b]you[/b]"))
        elif info.agent_persona:
            parts.append(
                Content.from_markup("[$text-success]Agent[/] $text", text=info.agent_persona)
            )
        return Content("\n").join(parts)
