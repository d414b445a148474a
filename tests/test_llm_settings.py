"""LLMSettings: parsing scenario tables, environment overrides, API key lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from convsim_core.llm import LLMError, LLMSettings, make_chat_model
from convsim_core.llm.settings import DEFAULT_CACHE_PATH


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CONVSIM_MODEL", "CONVSIM_LLM_CACHE"):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = LLMSettings()
    assert settings.model == "gpt-4o-mini"
    assert settings.base_url is None
    assert settings.api_key_env == "OPENAI_API_KEY"
    assert settings.temperature == 0.7
    assert settings.timeout_seconds == 60.0
    assert settings.max_retries == 3
    assert settings.cache_path == DEFAULT_CACHE_PATH
    assert settings.cache_enabled


def test_cache_path_default_comes_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVSIM_LLM_CACHE", "/tmp/elsewhere.sqlite")
    assert LLMSettings().cache_path == "/tmp/elsewhere.sqlite"
    monkeypatch.setenv("CONVSIM_LLM_CACHE", "off")
    assert not LLMSettings().cache_enabled
    # An explicit setting wins over the environment default.
    assert LLMSettings.from_mapping({"cache_path": "x.sqlite"}, source="s").cache_path == (
        "x.sqlite"
    )


def test_from_mapping_reads_every_field() -> None:
    settings = LLMSettings.from_mapping(
        {
            "model": "gpt-4.1",
            "base_url": "http://localhost:8000/v1",
            "api_key_env": "MY_KEY",
            "temperature": 0,
            "timeout_seconds": 5,  # a parsed setting (compared below), not a wait
            "max_retries": 0,
            "cache_path": "off",
        },
        source="demo.toml [llm]",
    )
    assert settings == LLMSettings(
        model="gpt-4.1",
        base_url="http://localhost:8000/v1",
        api_key_env="MY_KEY",
        temperature=0.0,
        timeout_seconds=5.0,
        max_retries=0,
        cache_path="off",
    )
    assert isinstance(settings.temperature, float)
    assert not settings.cache_enabled


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"model": 4}, "model must be a non-empty string"),
        ({"model": ""}, "model must be a non-empty string"),
        ({"temperature": "hot"}, "temperature must be a number"),
        ({"temperature": True}, "temperature must be a number"),
        ({"temperature": 3}, "temperature must be between 0 and 2"),
        ({"timeout_seconds": 0}, "timeout_seconds must be greater than 0"),
        ({"max_retries": -1}, "max_retries must be a whole number >= 0"),
        ({"max_retries": 2.5}, "max_retries must be a whole number >= 0"),
        ({"base_url": 8080}, "base_url must be a non-empty string"),
        ({"modle": "gpt-4o"}, "unknown LLM setting 'modle'"),
    ],
)
def test_from_mapping_names_source_key_and_expectation(
    data: dict[str, object], expected: str
) -> None:
    with pytest.raises(ValueError) as error:
        LLMSettings.from_mapping(data, source="scenarios/refund.toml [llm]")
    message = str(error.value)
    assert message.startswith("scenarios/refund.toml [llm]: ")
    assert expected in message


def test_from_mapping_rejects_a_non_table() -> None:
    with pytest.raises(ValueError, match="cli: expected a table of LLM settings, got str"):
        LLMSettings.from_mapping("gpt-4o", source="cli")  # type: ignore[arg-type]


def test_with_env_fills_gaps_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://proxy.local/v1")
    monkeypatch.setenv("CONVSIM_MODEL", "gpt-4.1-mini")
    filled = LLMSettings().with_env()
    assert filled.base_url == "http://proxy.local/v1"
    assert filled.model == "gpt-4.1-mini"
    explicit = LLMSettings(model="o3", base_url="http://mine/v1").with_env()
    assert (explicit.model, explicit.base_url) == ("o3", "http://mine/v1")


def test_with_env_without_variables_is_identity() -> None:
    settings = LLMSettings()
    assert settings.with_env() is settings


def test_api_key_and_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = LLMSettings(api_key_env="CONVSIM_TEST_KEY")
    monkeypatch.delenv("CONVSIM_TEST_KEY", raising=False)
    assert settings.api_key() is None
    assert not settings.is_configured()
    monkeypatch.setenv("CONVSIM_TEST_KEY", "")
    assert not settings.is_configured()
    monkeypatch.setenv("CONVSIM_TEST_KEY", "sk-123")
    assert settings.api_key() == "sk-123"
    assert settings.is_configured()


def test_make_chat_model_without_key_raises_clear_error(tmp_path: Path) -> None:
    settings = LLMSettings(api_key_env="CONVSIM_ABSENT_KEY", cache_path="off")
    with pytest.raises(LLMError, match="set the CONVSIM_ABSENT_KEY environment variable"):
        make_chat_model(settings)
