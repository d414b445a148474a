"""Scenario settings of the judges and the sign-off rule: defaults and one-line errors."""

from __future__ import annotations

import pytest

from convsim_core.models import ParticipantRole
from convsim_core.scenario import parse_scenario
from convsim_core.scenario_reader import ScenarioError

BASE = {
    "title": "t",
    "name": "t",
    "initial_message": "Hi",
    "outcomes": [{"name": "refunded", "description": "Refunded.", "said_by": "agent"}],
}


def _parse(**extra: object) -> object:
    return parse_scenario({**BASE, **extra}, source="s.toml")


def test_defaults_offline_judge_either_side_closes() -> None:
    scenario = parse_scenario(BASE, source="s.toml")
    assert scenario.judge.kind == "offline" and scenario.judge.min_messages == 1
    assert scenario.judge.llm is None
    assert scenario.termination.closing_by == "either"
    # said_by works without keywords (the offline judge reads the description)
    [words] = scenario.judge.keywords
    assert words.said_by is ParticipantRole.AGENT and words.phrases == ()


def test_judge_llm_merges_over_llm() -> None:
    scenario = parse_scenario(
        {
            **BASE,
            "llm": {"model": "big", "base_url": "http://127.0.0.1:9/v1", "temperature": 0.9},
            "judge": {"kind": "llm", "min_messages": 3, "llm": {"model": "small"}},
        },
        source="s.toml",
    )
    assert scenario.judge.llm is not None
    assert scenario.judge.llm.model == "small"
    assert scenario.judge.llm.base_url == "http://127.0.0.1:9/v1"
    assert scenario.judge.llm.temperature == 0.9
    assert scenario.llm.model == "big"
    assert scenario.judge.min_messages == 3


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ({"judge": {"llm": {"modle": "x"}}}, "judge.llm", "unknown LLM setting 'modle'"),
        ({"judge": {"min_messages": 0}}, "judge.min_messages", "expected an integer >= 1"),
        ({"termination": {"closing_by": "bot"}}, "termination.closing_by", "expected one of"),
    ],
)
def test_bad_settings_are_one_line_errors(extra: dict[str, object], key: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        _parse(**extra)
    assert caught.value.key == key, str(caught.value)
    assert message in str(caught.value) and "\n" not in str(caught.value)
