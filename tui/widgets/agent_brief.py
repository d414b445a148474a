"""The brief for a person at the agent's keys (play, or the agent's seat taken in watch): what
the agent knows, what ends the chat.

The simulated agent reads its facts from the scenario; a person playing the agent cannot,
and cannot guess which words the judge (offline or keyword) takes as an outcome. This panel
says both.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui.run_source import ScenarioInfo


class AgentBrief(Static):
    DEFAULT_CSS = """
    AgentBrief { height: auto; }
    """

    def __init__(self, info: ScenarioInfo, *, playing: bool = True, id: str | None = None) -> None:
        super().__init__(brief_content(info, playing=playing), id=id)
        self.border_title = "You are the agent"


def fact_lines(facts: tuple[tuple[str, str], ...], side: str) -> list[Content]:
    """ "You know" and one line per fact, or a line saying the scenario gives ``side`` none."""
    if not facts:
        return [
            Content.from_markup("[$text-muted]The scenario gives the $side no facts.[/]", side=side)
        ]
    return [
        Content.from_markup("[b]You know[/b]"),
        *(
            Content.from_markup("[$text-muted]$key[/] $value", key=key, value=value)
            for key, value in facts
        ),
    ]


def brief_content(info: ScenarioInfo, *, playing: bool = True) -> Content:
    """``playing``: play mode, where the person picks the outcome when no judge does (a seat
    taken in watch has no such question at the end)."""
    lines = fact_lines(info.agent_facts, "agent")
    lines.append(Content(""))
    if info.judge_kind == "keyword" and info.judge_cues:
        lines.append(Content.from_markup("[b]The judge listens for[/b]"))
        for outcome, phrases in info.judge_cues:
            said = " / ".join(f'"{phrase}"' for phrase in phrases)
            lines.append(
                Content.from_markup("[$text-accent]$outcome[/] $said", outcome=outcome, said=said)
            )
    elif info.judge_kind == "offline":
        # The default judge: each outcome in the agent's own words, from its description and
        # keywords (docs/scenarios.md), so both are what the person should know.
        lines.append(Content.from_markup("[b]The judge listens for[/b] (or words like them)"))
        cues = dict(info.judge_cues)
        for listed in info.outcomes.outcomes:
            said = " / ".join(f'"{phrase}"' for phrase in cues.get(listed.name, ()))
            lines.append(
                Content.from_markup(
                    "[$text-accent]$name[/] $said$gap[$text-muted]$description[/]",
                    name=listed.name,
                    said=said,
                    gap=" " if said else "",
                    description=listed.description,
                )
            )
    elif info.judge_kind == "llm":
        lines.append(Content.from_markup("[b]An LLM judge[/b] decides the outcome from the chat."))
    elif playing:
        lines.append(
            Content.from_markup("[$text-muted]No judge: you pick the outcome at the end.[/]")
        )
    else:
        lines.append(Content.from_markup("[$text-muted]No judge: no outcome is decided.[/]"))
    return Content("\n").join(lines)
