"""Scenario files and bot profiles report the same mistakes in the same words.

Both are TOML written by hand; the person fixing one should not have to learn a second dialect
of errors for the other (convsim_core/toml_reader.py words both).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.profile import ProfileError, load_bot_profile
from convsim_core.scenario import ScenarioError, load_scenario
from tests.test_scenario_errors import GOOD


def scenario_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "refund.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return str(caught.value).removeprefix(f"{path}: ")


def profile_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_bot_profile(path, environ={})
    return str(caught.value).removeprefix(f"{path}: ")


def test_a_misspelt_key_suggests_the_closest_one_in_both(tmp_path: Path) -> None:
    assert scenario_error(tmp_path, "max_mesages = 4\n" + GOOD) == (
        "max_mesages: unknown key (did you mean 'max_messages'?)"
    )
    # A misspelt key is the subject (its value is never read as a wait).
    assert profile_error(tmp_path, 'url = "http://h/x"\nrespons_timeout = 1\n') == (
        "bot.respons_timeout: unknown key (did you mean 'response_timeout'?)"
    )


def test_a_wrong_type_names_what_was_expected_and_what_was_there(tmp_path: Path) -> None:
    scenario = scenario_error(tmp_path, 'max_messages = "ten"\n' + GOOD)
    profile = profile_error(tmp_path, 'url = "http://h/x"\n[reconnect]\nattempts = "ten"\n')
    assert scenario == "max_messages: expected an integer, got a string 'ten'"
    assert profile == "bot.reconnect.attempts: expected an integer >= 0, got a string 'ten'"


def test_broken_and_missing_files_read_alike(tmp_path: Path) -> None:
    assert scenario_error(tmp_path, "title = ").startswith("invalid TOML: ")
    assert profile_error(tmp_path, "url = ").startswith("invalid TOML: ")
    with pytest.raises(ScenarioError, match=r"nope\.toml: no such scenario file$"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ProfileError, match=r"nope\.toml: no such bot profile file$"):
        load_bot_profile(tmp_path / "nope.toml")
