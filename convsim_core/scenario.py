"""Scenarios: one TOML file describes a whole test chat, so a bot team can write them by hand.

A scenario names who the customer is and what they want, how each side is played (rule-based
"offline", an LLM, or a fixed script), the outcomes a chat can end in and how to recognise
them, and when the chat is over. Every key but a few has a default; unknown keys are errors,
so a typo never silently does nothing. ``docs/scenarios.md`` is the full reference; in short::

    title = "Refund for a double charge"            # required
    description = "Customer was billed twice."       # optional
    name = "demo"                  # optional slug; defaults to the file name without .toml
    max_messages = 24              # hard stop (default 30)
    seed = 7                       # default seed: same seed, same offline chat (default 0)

    [[intents]]                    # what each side wants (any number, customer first)
    role = "customer"              # "customer" or "agent"
    description = "Get the duplicate charge refunded."

    [initial_message]              # or: initial_message = "Hi, ..." (sent by the customer)
    sender = "customer"
    content = "Hi, I was charged twice this month."

    [customer]
    kind = "offline"               # "offline" (rule-based), "llm" or "scripted"
    persona = "Dana, a calm small-business owner."
    instructions = ""              # extra guidance for an LLM customer
    turns = []                     # kind = "scripted" only: lines said in order
    [customer.facts]               # what the customer knows; answers the agent's questions
    email = "dana@example.com"
    [customer.offline]             # rule settings, all optional (see offline/config.py)
    patience = 3

    [agent]                        # same keys as [customer]
    kind = "offline"
    [agent.facts]                  # what the agent knows; usable as {placeholders}
    refund_days = "3-5 business days"
    [agent.offline]
    steps = [{ ask = "email" }, { say = "Found it, {email}. I can see both charges." }]
    resolution = "Done: the duplicate charge has been refunded."

    [[outcomes]]                   # at least one; names are lowercase slugs
    name = "resolved"
    description = "The duplicate charge was refunded."
    keywords = ["has been refunded"]   # the keyword judge's phrases for this outcome
    said_by = "agent"                  # optional: only count the phrase from this side

    [judge]
    kind = "keyword"               # "keyword" (default), "llm" or "none"
    every_n_messages = 1           # llm judge: judge after every n-th message

    [termination]
    closing_phrases = ["have a (nice|great) day", "goodbye"]   # regexes; default: common ones
    terminal_outcomes = ["escalated"]  # stop as soon as one is reached (default: none)
    goal_completion = false        # stop when the customer's intent is satisfied
    goal_phrases = []              # ...recognised by these phrases (else the LLM decides)
    llm_completion = false         # ask the LLM whether the chat is over (needs an API key)
    inactivity_timeout = 30        # hybrid runs: seconds of silence before the chat ends
    response_timeout = 30          # hybrid runs: seconds to wait for the bot's reply
    settle_seconds = 1.0           # hybrid runs: quiet time before the customer answers
    max_wall_time = 600            # hybrid runs: real-time cap on one chat
    typing_delay = true            # hybrid runs: the customer "types" before sending

    [llm]                          # LLMSettings: model, base_url, api_key_env, temperature, ...
    model = "gpt-4o-mini"

    [bot]                          # a real bot's connection profile, read by ``channels``

Offline participants need no network and no key, so every example runs anywhere; switch a side
to ``kind = "llm"`` to let a language model play it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from convsim_core.scenario_models import (
    JUDGE_KINDS,
    PARTICIPANT_KINDS,
    JudgeSpec,
    OutcomeKeywords,
    ParticipantSpec,
    Scenario,
    TerminationSpec,
)
from convsim_core.scenario_parse import parse
from convsim_core.scenario_reader import ScenarioError
from convsim_core.toml_reader import parse_toml, read_toml_file

logger = logging.getLogger(__name__)

__all__ = [
    "JUDGE_KINDS",
    "PARTICIPANT_KINDS",
    "JudgeSpec",
    "OutcomeKeywords",
    "ParticipantSpec",
    "Scenario",
    "ScenarioError",
    "TerminationSpec",
    "builtin_scenario",
    "list_builtin_scenarios",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
]


def parse_scenario(data: Mapping[str, Any], *, source: str, path: Path | None = None) -> Scenario:
    """A scenario from parsed TOML; ``source`` names it in errors, ``path`` gives the default
    name (the file stem) and is recorded for re-running."""
    return parse(data, source=source, path=path)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; every problem is a :class:`ScenarioError`."""
    path = Path(path)
    source = str(path)
    data = read_toml_file(path, "scenario", lambda problem: ScenarioError(source, "", problem))
    try:
        return parse_scenario(data, source=source, path=path)
    except RecursionError:
        raise ScenarioError(source, "", "not a usable scenario (nested too deeply)") from None


def builtin_scenario(name: str = "demo") -> Scenario:
    """A scenario shipped with convsim (``demo`` is the one ``convsim demo`` plays)."""
    resource = resources.files("convsim_core").joinpath("builtin_scenarios", f"{name}.toml")
    source = f"<builtin {name}>"
    if not resource.is_file():
        available = ", ".join(list_builtin_scenarios()) or "none"
        raise ScenarioError(source, "", f"no builtin scenario {name!r} (available: {available})")
    path = Path(str(resource)) if isinstance(resource, Path) else None
    data = _parse_toml(resource.read_text(encoding="utf-8"), source)
    return parse_scenario(data, source=source, path=path)


def list_builtin_scenarios() -> list[str]:
    folder = resources.files("convsim_core").joinpath("builtin_scenarios")
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def list_scenarios(folder: str | Path) -> list[Path]:
    """The scenario files directly inside ``folder``, sorted by name (hidden files skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix == ".toml" and p.is_file() and not p.name.startswith(".")
    )


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    return parse_toml(text, lambda problem: ScenarioError(source, "", problem), "scenario")
