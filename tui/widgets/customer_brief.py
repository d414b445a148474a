"""The brief for a person who took the customer's seat: the goal, who they are, what they know.

The simulated customer reads its goal, persona and facts (an order number, the email on the
account) from the scenario; a person taking its seat in watch or connect sees none of them in
the chat, and a bot asking "what is your order number?" would leave them guessing. Shown while
the seat is held, hidden again on hand-back.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui.run_source import ScenarioInfo
from tui.widgets.agent_brief import fact_lines


class CustomerBrief(Static):
    DEFAULT_CSS = """
    CustomerBrief { height: auto; }
    """

    def __init__(self, info: ScenarioInfo, *, id: str | None = None) -> None:
        super().__init__(customer_brief_content(info), id=id)
        self.border_title = "You are the customer"


def customer_brief_content(info: ScenarioInfo) -> Content:
    lines: list[Content] = []
    if info.intent:
        lines.append(Content.from_markup("[b]Your goal[/b] $goal", goal=info.intent))
    if info.customer_persona:
        lines.append(Content.from_markup("[b]Who you are[/b] $who", who=info.customer_persona))
    if lines:
        lines.append(Content(""))
    lines.extend(fact_lines(info.customer_facts, "customer"))
    return Content("\n").join(lines)
