"""Bad scenario files: every error names the file, the key and what was expected, on one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from convsim_core.scenario import ScenarioError, load_scenario

GOOD = """
title = "Refund"
initial_message = "Hi, I was charged twice."

[customer.facts]
email = "a@example.com"

[[outcomes]]
name = "resolved"
description = "Refunded."
keywords = ["refunded"]

[[outcomes]]
name = "escalated"
keywords = ["supervisor"]
"""


def load_text(tmp_path: Path, text: str, name: str = "bad.toml") -> ScenarioError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: "), message
    return caught.value


def test_the_good_base_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_scenario(path).outcomes.names == ("resolved", "escalated")


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        pytest.param(
            GOOD.replace('title = "Refund"', ""),
            "title",
            "missing required key",
            id="missing-title",
        ),
        pytest.param(
            GOOD.replace('initial_message = "Hi, I was charged twice."', ""),
            "initial_message",
            "missing required key",
            id="missing-initial-message",
        ),
        pytest.param(
            GOOD.replace('title = "Refund"', 'title = "Refund"\nmax_messages = "ten"'),
            "max_messages",
            "expected an integer, got a string 'ten'",
            id="wrong-type",
        ),
        pytest.param(
            GOOD.replace('title = "Refund"', 'title = "Refund"\nmax_messages = 1'),
            "max_messages",
            "expected an integer >= 2",
            id="too-small",
        ),
        pytest.param(
            GOOD.replace('title = "Refund"', 'title = "Refund"\nmax_mesages = 10'),
            "max_mesages",
            "unknown key (did you mean 'max_messages'?)",
            id="unknown-top-level-key",
        ),
        pytest.param(
            GOOD + "\n[customer.offline]\npatiance = 2\n",
            "customer.offline.patiance",
            "did you mean 'patience'?",
            id="unknown-nested-key",
        ),
        pytest.param(
            GOOD + '\n[[outcomes]]\nname = "resolved"\nkeywords = ["x"]\n',
            "outcomes[2].name",
            "duplicate outcome 'resolved' (also outcomes[0].name)",
            id="duplicate-outcome",
        ),
        pytest.param(
            GOOD.replace('name = "escalated"', 'name = "Escalated!"'),
            "outcomes[1].name",
            "expected a lowercase slug",
            id="bad-outcome-slug",
        ),
        pytest.param(
            'name = "My Scenario"\n' + GOOD,
            "name",
            "expected a lowercase slug",
            id="bad-scenario-slug",
        ),
        pytest.param(
            GOOD + '\n[termination]\nterminal_outcomes = ["resolved", "sold"]\n',
            "termination.terminal_outcomes[1]",
            "'sold' is not one of the outcomes (resolved, escalated)",
            id="terminal-outcome-unknown",
        ),
        pytest.param(
            GOOD + '\n[customer]\nkind = "robot"\n',
            "customer.kind",
            "expected one of 'offline', 'llm', 'scripted', got 'robot'",
            id="bad-kind",
        ),
        pytest.param(
            GOOD + '\n[agent]\nkind = "scripted"\n',
            "agent.turns",
            "needs at least one line",
            id="scripted-without-turns",
        ),
        pytest.param(
            GOOD + '\n[customer]\nturns = ["hi"]\n',
            "customer.turns",
            "only used with kind = 'scripted'",
            id="turns-without-scripted",
        ),
        pytest.param(
            GOOD.replace('keywords = ["supervisor"]', 'keywords = "supervisor"\nsaid_by = "bot"'),
            "outcomes[1].said_by",
            "expected one of 'agent', 'customer'",
            id="bad-said-by",
        ),
        pytest.param(
            GOOD.replace('keywords = ["refunded"]', 'keywords = ["refunded", 3]'),
            "outcomes[0].keywords[1]",
            "expected a string, got an integer 3",
            id="keyword-not-string",
        ),
        pytest.param(
            GOOD.split("[[outcomes]]")[0], "outcomes", "missing required key", id="no-outcomes"
        ),
        pytest.param(
            GOOD.replace('keywords = ["refunded"]', "").replace('keywords = ["supervisor"]', "")
            + '\n[judge]\nkind = "keyword"\n',
            "judge.kind",
            "the keyword judge needs keywords",
            id="keyword-judge-without-keywords",
        ),
        pytest.param(
            GOOD + '\n[agent.offline]\nsteps = [{ ask = "emial" }]\n',
            "agent.offline.steps[0].ask",
            "'emial' is not in customer.facts (known: email)",
            id="ask-unknown-fact",
        ),
        pytest.param(
            GOOD + '\n[agent.offline]\nresolution = "Refunded to {emial}."\n',
            "agent.offline.resolution",
            "unknown placeholder {emial}",
            id="unknown-placeholder",
        ),
        pytest.param(
            GOOD + '\n[agent.offline]\nsteps = [{ say = "Your {email}?", ask = "email" }]\n',
            "agent.offline.steps[0].say",
            "unknown placeholder {email}",
            id="placeholder-before-it-is-asked",
        ),
        pytest.param(
            GOOD + "\n[agent.offline]\nsteps = [{ }]\n",
            "agent.offline.steps[0].say",
            "a step needs 'say', 'ask' or both",
            id="empty-step",
        ),
        pytest.param(
            GOOD + '\n[customer.offline]\nmood = "grumpy"\n',
            "customer.offline.mood",
            "expected one of 'calm', 'frustrated', 'angry'",
            id="bad-mood",
        ),
        pytest.param(
            GOOD + '\n[termination]\nclosing_phrases = ["good(bye"]\n',
            "termination.closing_phrases[0]",
            "invalid regular expression",
            id="bad-regex",
        ),
        pytest.param(
            GOOD + '\n[judge]\nkind = "magic"\n',
            "judge.kind",
            "expected one of 'offline', 'keyword', 'llm', 'none'",
            id="bad-judge-kind",
        ),
        pytest.param(
            GOOD + "\n[llm]\nmodle = 'x'\n",
            "llm",
            "unknown LLM setting 'modle'",
            id="llm-unknown-key",
        ),
        pytest.param(
            GOOD + "\n[llm]\ntemperature = 9\n",
            "llm",
            "temperature must be between 0 and 2",
            id="llm-bad-value",
        ),
        pytest.param(
            GOOD + "\n[customer.offline.aliases]\nphone = ['mobile']\n",
            "customer.offline.aliases.phone",
            "no fact with this name",
            id="alias-for-unknown-fact",
        ),
        pytest.param(
            GOOD + "\n[customer.facts.nested]\nx = 1\n",
            "customer.facts.nested",
            "expected a string or number, got a table",
            id="nested-fact",
        ),
        pytest.param(
            GOOD + "\n[[intents]]\nrole = 'customer'\n",
            "intents[0].description",
            "missing required key",
            id="intent-without-description",
        ),
        pytest.param(
            GOOD.replace('initial_message = "Hi, I was charged twice."', "initial_message = 42"),
            "initial_message",
            "expected a table, got an integer",
            id="initial-type",
        ),
    ],
)
def test_bad_files_name_file_key_and_expectation(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    error = load_text(tmp_path, text)
    assert error.key == key, str(error)
    assert expected in str(error)
    assert f": {key}: " in str(error)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = GOOD + '\ndescription = "unterminated\n'
    error = load_text(tmp_path, text)
    bad_line = text.splitlines().index('description = "unterminated') + 1
    assert "invalid TOML" in str(error)
    assert f"line {bad_line}," in str(error)


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError, match=r"nope\.toml: no such scenario file"):
        load_scenario(path)


def test_default_name_from_an_unusable_file_name(tmp_path: Path) -> None:
    error = load_text(tmp_path, GOOD, name="My Scenario.toml")
    assert error.key == "name"
    assert "the file name 'My Scenario' is not a lowercase slug" in str(error)
