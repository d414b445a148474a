"""Bot profiles: presets, overrides, environment references and errors that say what to fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from channels.codec import FrameCodec, Outgoing
from channels.presets import PRESETS
from channels.profile import (
    BotProfile,
    ProfileError,
    ReconnectPolicy,
    load_bot_profile,
    profile_for_url,
)

STAMP = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
ENV = {"BOT_TOKEN": "t0k3n", "BOT_SECRET": "shh"}


def parse(env: dict[str, str] | None = None, **bot: Any) -> BotProfile:
    return BotProfile.from_mapping(bot, source="bot.toml", environ=ENV if env is None else env)


def body_of(profile: BotProfile, **values: Any) -> dict[str, Any]:
    outgoing = Outgoing(text="hi", session_id="s", message_id="m", timestamp=STAMP, **values)
    decoded: dict[str, Any] = json.loads(FrameCodec(profile).encode(outgoing))
    return decoded


# -- presets ----------------------------------------------------------------------------------


def test_every_contract_preset_exists() -> None:
    assert set(PRESETS) == {
        "generic-json",
        "generic-ws",  # issue 10: the default for --ws URL
        "rasa-rest",
        "botframework",
        "demo-ws",
        "plain-ws",
        "rasa-socketio",
        "chainlit",
        "directline",
    }


@pytest.mark.parametrize(
    ("preset", "url", "kind", "expected_url", "mode", "session_mode"),
    [
        ("generic-json", "http://127.0.0.1:8080", "webhook", "/webhook", "sync", "connection"),
        ("rasa-rest", "http://h:5005", "webhook", "/webhooks/rest/webhook", "sync", "connection"),
        ("botframework", "http://h:3978", "webhook", "/api/messages", "callback", "connection"),
        ("demo-ws", "ws://h:9", "ws", "/ws", "sync", "multiplexed"),
        ("plain-ws", "ws://h:9", "ws", "/ws/plain", "sync", "connection"),
    ],
)
def test_preset_from_a_bare_url(
    preset: str, url: str, kind: str, expected_url: str, mode: str, session_mode: str
) -> None:
    profile = profile_for_url(url, kind=kind, preset=preset, environ={})
    assert profile.url == url + expected_url
    assert profile.preset == preset
    assert profile.response_mode == mode
    assert profile.session_mode == session_mode
    assert profile.kind == ("websocket" if kind == "ws" else kind)


def test_demo_ws_matches_the_demo_protocol() -> None:
    profile = profile_for_url("ws://h:9/ws", kind="ws", preset="demo-ws", environ={})
    assert body_of(profile) == {"type": "message", "session_id": "s", "text": "hi"}
    reply = profile.reply
    assert [p.text for p in reply.text] == ["text"]
    assert reply.turn_complete is not None and reply.turn_complete.text == "final"
    assert reply.filter_path is not None and reply.filter_path.text == "type"
    assert reply.filter_values == ("message",)
    assert reply.session is not None and reply.session.text == "session_id"


def test_generic_json_callback_form_is_the_async_webhook() -> None:
    profile = parse(preset="generic-json", url="http://h:1", response_mode="callback")
    assert profile.url == "http://h:1/webhook/async"
    assert body_of(profile, callback_url="http://cb/callback") == {
        "session_id": "s",
        "text": "hi",
        "callback_url": "http://cb/callback",
    }
    assert profile.reply.turn_complete is not None


def test_explicit_paths_and_root_are_kept() -> None:
    assert parse(url="http://h:1/", preset="rasa-rest").url == "http://h:1/"
    assert parse(url="http://h:1/bot/in", preset="rasa-rest").url == "http://h:1/bot/in"


def test_kind_is_inferred_from_preset_or_scheme() -> None:
    assert parse(url="ws://h:1/x").kind == "websocket"
    assert parse(url="https://h/x").kind == "webhook"
    assert parse(url="http://h:1", preset="botframework").kind == "webhook"


# -- overrides --------------------------------------------------------------------------------


def test_user_keys_override_preset_keys_table_by_table() -> None:
    profile = parse(
        url="ws://h:1/ws",
        preset="demo-ws",
        reply={"text": ["text", "cards[*].title"], "turn_complete": "", "filter": {}},
        websocket={"ping_interval": 0},
        reconnect={"attempts": 7},
        response_timeout=2.5,  # a parsed setting (read back below), not a wait
    )
    assert [p.text for p in profile.reply.text] == ["text", "cards[*].title"]
    assert profile.reply.turn_complete is None
    assert profile.reply.filter_path is None
    assert profile.reply.session is not None  # kept from the preset
    assert profile.session_mode == "multiplexed"  # kept from the preset
    assert profile.ping_interval is None
    assert profile.reconnect == ReconnectPolicy(attempts=7)
    assert profile.response_timeout == 2.5


def test_a_user_body_replaces_the_preset_body_whole() -> None:
    profile = parse(url="http://h:1/x", request={"body": {"q": "{text}"}})
    assert body_of(profile) == {"q": "hi"}


def test_profile_for_url_over_a_scenario_table() -> None:
    base = {"preset": "rasa-rest", "url": "http://elsewhere:1/x", "response_timeout": 3}
    profile = profile_for_url("http://h:5005", kind="webhook", preset=None, base=base, environ={})
    assert profile.url == "http://h:5005/webhooks/rest/webhook"
    assert profile.preset == "rasa-rest"
    assert profile.response_timeout == 3.0
    overridden = profile_for_url(
        "http://h:5005", kind="webhook", preset="generic-json", base=base, environ={}
    )
    assert overridden.preset == "generic-json"
    assert base["url"] == "http://elsewhere:1/x"  # the caller's table is not touched


# -- environment ------------------------------------------------------------------------------


def test_headers_read_the_environment_when_resolved() -> None:
    profile = parse(url="http://h:1/x", headers={"Authorization": "Bearer ${BOT_TOKEN}"})
    assert profile.headers == (("Authorization", "Bearer ${BOT_TOKEN}"),)  # no secret kept
    assert profile.resolved_headers(ENV) == {"Authorization": "Bearer t0k3n"}
    assert profile.resolved_headers({"BOT_TOKEN": "new"}) == {"Authorization": "Bearer new"}
    assert "t0k3n" not in repr(profile)


def test_missing_header_variable_names_file_key_and_variable() -> None:
    with pytest.raises(ProfileError) as info:
        parse(url="http://h:1/x", headers={"Authorization": "Bearer ${NOPE}"})
    assert (
        str(info.value)
        == "bot.toml: bot.headers.Authorization: environment variable NOPE is not set"
    )


def test_variables_in_url_and_dollar_escape() -> None:
    profile = parse(url="http://h:1/x?key=${BOT_TOKEN}&cost=$$5")
    assert profile.resolved_url(ENV) == "http://h:1/x?key=t0k3n&cost=$5"
    with pytest.raises(ProfileError, match=r"bot\.url: environment variable"):
        profile.resolved_url({})


def test_signing_secret_comes_from_the_named_variable() -> None:
    profile = parse(url="http://h:1/x", signing_secret_env="BOT_SECRET")
    assert profile.signing_secret(ENV) == b"shh"
    assert parse(url="http://h:1/x").signing_secret(ENV) is None
    with pytest.raises(ProfileError, match="signing_secret_env: environment variable BOT_SECRET"):
        parse(env={}, url="http://h:1/x", signing_secret_env="BOT_SECRET")


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bot", "message"),
    [
        (
            {"url": "http://h/x", "respons_timeout": 1},
            "bot.respons_timeout: unknown key (did you mean 'response_timeout'?)",
        ),
        ({"url": "http://h/x", "reply": {"txt": "a"}}, "bot.reply.txt: unknown key"),
        ({"url": "http://h/x", "response_timeout": "soon"}, "expected a number of seconds > 0"),
        ({"url": "http://h/x", "response_timeout": 0}, "expected a number of seconds > 0"),
        (
            {"url": "http://h/x", "reconnect": {"attempts": -1}},
            "expected an integer >= 0, got an integer -1",
        ),
        (
            {"url": "http://h/x", "reconnect": {"attempts": True}},
            "expected an integer >= 0, got a boolean True",
        ),
        ({"url": "http://h/x", "callback": {"port": 70000}}, "from 0 to 65535"),
        ({"url": "http://h/x", "response_mode": "later"}, "expected 'sync' or 'callback'"),
        ({"url": "http://h/x", "kind": "grpc"}, "expected 'webhook' or 'websocket'"),
        ({"url": "http://h/x", "preset": "dialogflow"}, "unknown preset 'dialogflow'"),
        ({"url": "ftp://h/x", "kind": "webhook"}, "must start with http:// or https://"),
        ({"url": "http://h/x", "kind": "ws"}, "must start with ws:// or wss://"),
        ({"kind": "webhook"}, "bot.url: missing"),
        ({"url": "http://h/x", "reply": {"text": "a[*"}}, "bot.reply.text: invalid JSON path"),
        ({"url": "http://h/x", "reply": {"text": 3}}, "a string or a list of strings"),
        ({"url": "http://h/x", "reply": {"format": "json", "text": []}}, "bot.reply.text: missing"),
        ({"url": "http://h/x", "request": {"body": {"t": "{txt}"}}}, "unknown placeholder"),
        ({"url": "http://h/x", "request": {"body": {"c": "{callback_url}"}}}, "need response_mode"),
        ({"url": "http://h/x", "method": "GET"}, "expected POST, PUT or PATCH"),
        ({"url": "http://h/x", "reply": {"filter": {"path": "t"}}}, "both 'path' and 'equals'"),
        ({"url": "ws://h/x", "response_mode": "callback"}, "'callback' needs kind = 'webhook'"),
        (
            {"url": "ws://h/x", "preset": "demo-ws", "reply": {"session": ""}},
            "bot.reply.session: missing",
        ),
        (
            {"url": "ws://h/x", "preset": "plain-ws", "websocket": {"session_mode": "multiplexed"}},
            "plain-text frames carry no session id",
        ),
        ({"url": "http://h/x", "callback": {"path": "cb"}}, "starting with '/'"),
        ({"url": "http://h/x", "headers": {"X": 1}}, "bot.headers.X: expected a string"),
        (
            {"url": "http://h/x", "reply": "text"},
            "bot.reply: expected a table, got a string 'text'",
        ),
    ],
)
def test_errors_name_the_key_and_what_was_expected(bot: dict[str, Any], message: str) -> None:
    with pytest.raises(ProfileError) as info:
        parse(**bot)
    assert str(info.value).startswith("bot.toml: ")
    assert message in str(info.value)


def test_load_from_a_file_with_a_bot_table(tmp_path: Path) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text(
        '[bot]\npreset = "rasa-rest"\nurl = "http://127.0.0.1:5005"\n'
        '[bot.headers]\nAuthorization = "Bearer ${BOT_TOKEN}"\n',
        encoding="utf-8",
    )
    profile = load_bot_profile(path, environ=ENV)
    assert profile.url == "http://127.0.0.1:5005/webhooks/rest/webhook"
    assert profile.source == str(path)


def test_load_from_a_file_that_is_the_bot_table(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_text('url = "ws://127.0.0.1:9/ws/plain"\npreset = "plain-ws"\n', encoding="utf-8")
    assert load_bot_profile(path, environ={}).request.body.format == "text"


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("url = ", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"broken.toml: invalid TOML"):
        load_bot_profile(broken)
    with pytest.raises(ProfileError, match=r"missing.toml: no such bot profile file"):
        load_bot_profile(tmp_path / "missing.toml")
    typo = tmp_path / "typo.toml"
    typo.write_text('[bot]\nurl = "http://h/x"\nsettle = 1\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=r"typo.toml: bot.settle: unknown key"):
        load_bot_profile(typo)


# -- the model --------------------------------------------------------------------------------


def test_profiles_are_frozen_and_comparable() -> None:
    one = parse(url="ws://h:1/ws")
    two = parse(url="ws://h:1/ws")
    assert one == two and hash(one) == hash(two)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        one.url = "ws://other"  # type: ignore[misc]
    assert attrs.evolve(one, response_timeout=1.0) != one  # a value compared, not a wait


def test_reconnect_backoff_doubles_up_to_the_cap() -> None:
    policy = ReconnectPolicy(attempts=6, backoff=0.5, max_backoff=3.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_health_url_relative_to_the_bot_origin() -> None:
    ws = parse(url="wss://bot.example:8443/ws", health_url="/health")
    assert ws.resolved_health_url() == "https://bot.example:8443/health"
    http = parse(url="http://h:1/x", health_url="http://other:2/ping")
    assert http.resolved_health_url() == "http://other:2/ping"
    assert parse(url="http://h:1/x").resolved_health_url() is None


def test_callback_settings() -> None:
    profile = parse(
        url="http://h:1",
        preset="botframework",
        callback={"host": "0.0.0.0", "port": 8099, "public_url": "https://tunnel.example/"},
    )
    assert profile.callback.port == 8099
    assert profile.callback.public_url == "https://tunnel.example"
    assert profile.response_ends_turn is True


def test_the_documented_defaults_are_the_real_defaults() -> None:
    # Issue 10: the docstring once showed session_mode = "connection" as the default of a
    # profile whose real default was the demo bot's multiplexed mode.
    import tomllib

    import channels.profile as module

    doc = module.__doc__ or ""
    lines = []
    for line in doc.split("::\n", 1)[1].splitlines():
        if line.strip() and not line.startswith("    "):
            break  # the end of the first literal block (the webhook example)
        lines.append(line[4:])
    example = tomllib.loads("\n".join(lines))["bot"]
    documented = BotProfile.from_mapping(example, source="doc", environ={})
    bare = BotProfile.from_mapping({"url": example["url"]}, source="bare", environ={})
    assert documented == bare
