"""A saved session as a scenario file: the recorded customer, scripted, and the outcome reached.

``convsim scenarios from-transcript`` and the transcript viewer's "save as scenario" key write
it. The customer is ``kind = "scripted"`` with the recorded turns; outcomes (and the keyword
judge's phrases, when the original scenario can still be read) come from the run; a connected
session keeps its bot as the ``[bot]`` table. The expectation is the outcome the session reached:
an ``[expect]`` table (``pass = ["<outcome>"]``); a session without an outcome, or a scenario
loader that does not know ``[expect]``, gets the same lines as a comment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from convsim_core.models import Outcomes
from convsim_core.persistence import Transcript, read_transcript
from convsim_core.recorded import customer_script
from convsim_core.scenario_models import Scenario
from convsim_core.serialization import SchemaError, from_json


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def reached_outcome(transcript: Transcript) -> str:
    """The outcome name the session reached (a person's override counts), or ``none``."""
    result = transcript.result
    outcome = result.conversation.outcome if result is not None else None
    return outcome.name if outcome is not None else "none"


def scenario_toml(
    transcript: Transcript, base: Scenario | None = None, *, expect_table: bool = True
) -> str:
    header = transcript.header
    script = customer_script(transcript.messages)
    name = _slug(f"{header.get('scenario') or 'session'}-recorded")
    title = f"{header.get('scenario_title') or header.get('scenario') or 'A session'} (recorded)"
    outcome = reached_outcome(transcript)
    lines = [
        f"# Written by `convsim scenarios from-transcript` from {transcript.path.name}:",
        "# the customer says exactly what was recorded; the expectation is the outcome reached.",
        "",
        f"name = {_q(name)}",
        f"title = {_q(title)}",
        f"description = {_q(f'The session {transcript.path.name}, replayed as a script.')}",
        f"max_messages = {int(header.get('max_messages') or len(transcript.messages) + 4)}",
    ]
    seed = header.get("seed")
    if isinstance(seed, int):
        lines.append(f"seed = {seed}")
    intent = header.get("intent")
    if isinstance(intent, dict) and intent.get("description"):
        role = str(intent.get("role") or "customer")
        lines += ["", "[[intents]]", f"role = {_q(role)}"]
        lines.append(f"description = {_q(str(intent['description']))}")
    lines += [
        "",
        "[initial_message]",
        f"sender = {_q(script.opening.sender.value)}",
        f"content = {_q(script.opening.content)}",
        "",
        "[customer]",
        'kind = "scripted"',
    ]
    if base is not None and base.customer.persona:
        lines.append(f"persona = {_q(' '.join(base.customer.persona.split()))}")
    lines.append(f"turns = [{', '.join(_q(turn) for turn in script.turns)}]")
    lines += _agent(base)
    outcomes = _outcomes(transcript, base)
    keywords = {k.outcome: k for k in base.judge.keywords} if base is not None else {}
    if not any(o.name in keywords for o in outcomes.outcomes):
        lines += ["", "[judge]", 'kind = "none"  # the original keywords were not available']
    for item in outcomes.outcomes:
        lines += ["", "[[outcomes]]", f"name = {_q(item.name)}"]
        lines.append(f"description = {_q(item.description)}")
        rule = keywords.get(item.name)
        if rule is not None and rule.phrases:
            lines.append(f"keywords = [{', '.join(_q(p) for p in rule.phrases)}]")
            if rule.said_by is not None:
                lines.append(f"said_by = {_q(rule.said_by.value)}")
    lines += _bot(header)
    expect = ["[expect]", f"pass = [{_q(outcome)}]"]
    lines.append("")
    if outcome == "none":
        # [expect] passes on named outcomes only: say so rather than write a file that fails.
        lines.append("# The session reached no outcome; [expect] needs the outcome(s) that pass:")
        lines += ["# [expect]", "# pass = []"]
    elif expect_table:
        lines += expect
    else:
        lines.append("# The outcome this session reached (uncomment when [expect] is supported):")
        lines += [f"# {line}" for line in expect]
    return "\n".join(lines) + "\n"


def _agent(base: Scenario | None) -> list[str]:
    if base is None or base.agent.kind == "scripted":
        return ["", "[agent]", 'kind = "offline"']
    lines = ["", "[agent]", f"kind = {_q(base.agent.kind)}"]
    if base.agent.persona:
        lines.append(f"persona = {_q(' '.join(base.agent.persona.split()))}")
    if base.agent.facts:
        lines += ["", "[agent.facts]"]
        lines += [f"{_key(k)} = {_q(str(v))}" for k, v in base.agent.facts.items()]
    return lines


def _outcomes(transcript: Transcript, base: Scenario | None) -> Outcomes:
    data: Any = transcript.header.get("outcomes")
    if isinstance(data, dict):
        try:
            return from_json(data, Outcomes)
        except SchemaError:
            pass
    if base is not None:
        return base.outcomes
    result = transcript.result
    reached = result.conversation.outcome if result is not None else None
    if reached is not None:
        return Outcomes((reached,))
    from convsim_core.models import Outcome

    return Outcomes((Outcome("resolved", "The customer's request was handled."),))


def _bot(header: dict[str, Any]) -> list[str]:
    url = header.get("bot_url")
    if not isinstance(url, str) or not url or header.get("demo_bot"):
        return []
    lines = ["", "[bot]", f"url = {_q(url)}"]
    kind = header.get("bot_transport")
    if kind:
        lines.append(f"kind = {_q(str(kind))}")
    if header.get("bot_preset"):
        lines.append(f"preset = {_q(str(header['bot_preset']))}")
    return lines


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")
    return slug if slug and slug[0].isalpha() else f"s-{slug or 'session'}"


def _key(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else _q(text)


def base_scenario(transcript: Transcript) -> Scenario | None:
    """The scenario the session ran, when it can still be read (for personas and keywords)."""
    from convsim_core.scenario import builtin_scenario, load_scenario
    from convsim_core.scenario_reader import ScenarioError

    header = transcript.header
    path = header.get("scenario_path")
    try:
        if isinstance(path, str) and path and Path(path).exists():
            return load_scenario(path)
        if header.get("scenario"):
            return builtin_scenario(str(header["scenario"]))
    except (ScenarioError, OSError, ValueError):
        return None
    return None


def write_scenario(transcript_path: Path, out: Path) -> tuple[Path, bool]:
    """Write the scenario and check that it loads; returns the file and whether ``[expect]``
    is a table (False: the loader does not know it yet, so it is written as a comment).

    Raises ``ValueError`` (a one-line reason) when the transcript cannot be turned into one.
    """
    from convsim_core.scenario import load_scenario
    from convsim_core.scenario_reader import ScenarioError

    transcript = read_transcript(transcript_path)
    base = base_scenario(transcript)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(scenario_toml(transcript, base), encoding="utf-8")
    try:
        load_scenario(out)
        return out, True
    except ScenarioError as exc:
        if "expect" not in str(exc):
            raise ValueError(f"the written scenario does not load: {exc}") from exc
    out.write_text(scenario_toml(transcript, base, expect_table=False), encoding="utf-8")
    try:
        load_scenario(out)
    except ScenarioError as exc:
        raise ValueError(f"the written scenario does not load: {exc}") from exc
    return out, False
