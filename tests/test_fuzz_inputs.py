"""Property-based fuzzing of everything convsim reads from outside (issue 16).

Every input either loads or raises the project's own error type (ScenarioError, ProfileError,
TemplateError, PathError, ProtocolError, SchemaError): never a TypeError, KeyError,
RecursionError or AssertionError. Deterministic (``derandomize``) and bounded, so it is fast and
a failure reproduces.
"""

from __future__ import annotations

import contextlib
import json
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.codec import FrameCodec
from channels.paths import JsonPath, PathError
from channels.profile import BotProfile, ProfileError, load_bot_profile, profile_for_url
from channels.templates import FrameTemplate, TemplateError, expand_env
from convsim_core.channel import ProtocolError
from convsim_core.persistence import read_transcript
from convsim_core.scenario import ScenarioError, load_scenario, parse_scenario
from convsim_core.serialization import SchemaError

FUZZ = settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

SCENARIO_KEYS = [
    "name",
    "title",
    "description",
    "max_messages",
    "seed",
    "intents",
    "initial_message",
    "customer",
    "agent",
    "outcomes",
    "termination",
    "judge",
    "llm",
    "bot",
    "kind",
    "turns",
    "keywords",
    "closing_phrases",
    "response_timeout",
    "inactivity_timeout",
    "max_wall_time",
    "offline",
    "facts",
    "persona",
    "sender",
    "content",
    "role",
    "said_by",
    "terminal_outcomes",
]
PROFILE_KEYS = [
    "url",
    "kind",
    "preset",
    "method",
    "headers",
    "request",
    "reply",
    "response_mode",
    "response_timeout",
    "connect_timeout",
    "settle_seconds",
    "max_body_bytes",
    "callback",
    "websocket",
    "reconnect",
    "body",
    "text",
    "session",
    "format",
    "port",
    "path",
    "host",
    "session_mode",
    "attempts",
    "signing_secret_env",
    "health_url",
    "setup",
    "filter",
    "id",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["ws://127.0.0.1:1/ws", "http://]", "http://x:99999/", "{text}", "$.text"]),
)


def tables(keys: list[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), inner, max_size=6),
        ),
        max_leaves=25,
    )


def toml_safe(value: Any) -> Any:
    """What TOML can hold (no None); the parsers see what tomllib would give them."""
    if isinstance(value, dict):
        return {str(k): toml_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [toml_safe(v) for v in value if v is not None]
    return value


@FUZZ
@given(data=st.dictionaries(st.sampled_from(SCENARIO_KEYS), tables(SCENARIO_KEYS), max_size=8))
def test_scenario_tables_load_or_raise_scenario_error(data: dict[str, Any]) -> None:
    with contextlib.suppress(ScenarioError):
        parse_scenario(toml_safe(data), source="fuzz.toml")


DEMO_TABLE = tomllib.loads(
    (Path(__file__).resolve().parents[1] / "convsim_core/builtin_scenarios/demo.toml").read_text()
)


@FUZZ
@given(mutation=st.dictionaries(st.sampled_from(SCENARIO_KEYS), tables(SCENARIO_KEYS), max_size=3))
def test_mutated_real_scenarios_load_or_raise_scenario_error(mutation: dict[str, Any]) -> None:
    data = dict(DEMO_TABLE)
    data.update(toml_safe(mutation))
    with contextlib.suppress(ScenarioError):
        parse_scenario(data, source="fuzz.toml")


@FUZZ
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_scenario_files_of_any_bytes(tmp_path_factory: Any, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("s") / "fuzz.toml"
    path.write_bytes(raw)
    with contextlib.suppress(ScenarioError):
        load_scenario(path)


@FUZZ
@given(data=st.dictionaries(st.sampled_from(PROFILE_KEYS), tables(PROFILE_KEYS), max_size=8))
def test_profile_tables_load_or_raise_profile_error(data: dict[str, Any]) -> None:
    with contextlib.suppress(ProfileError):
        BotProfile.from_mapping(toml_safe(data), source="fuzz", environ={"TOKEN": "t"})


@FUZZ
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_profile_files_of_any_bytes(tmp_path_factory: Any, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("p") / "bot.toml"
    path.write_bytes(raw)
    with contextlib.suppress(ProfileError):
        load_bot_profile(path, environ={})


url_parts = st.sampled_from(
    [
        "ws://",
        "wss://",
        "http://",
        "https://",
        "ftp://",
        "",
        "127.0.0.1",
        "[zz]",
        "[::1]",
        ":",
        ":abc",
        ":99999",
        ":-1",
        ":0",
        "/ws",
        "?q=1",
        "#f",
        "]",
        "@",
        "%0a",
        " ",
        "\r\n",
        "${X}",
    ]
)


@FUZZ
@given(
    url=st.lists(url_parts, max_size=6).map("".join) | st.text(max_size=40),
    kind=st.sampled_from(["ws", "webhook", "websocket", "bogus"]),
)
def test_urls_load_or_raise_profile_error(url: str, kind: str) -> None:
    try:
        profile = profile_for_url(url, kind=kind, environ={})
    except ProfileError:
        return
    assert profile.url.startswith(("ws://", "wss://", "http://", "https://"))


CODEC_PROFILES = [
    profile_for_url("ws://127.0.0.1:1/ws", kind="ws", preset="demo-ws", environ={}),
    profile_for_url("http://127.0.0.1:1/webhook", kind="webhook", preset="rasa-rest", environ={}),
    profile_for_url("http://127.0.0.1:1/api", kind="webhook", preset="botframework", environ={}),
    profile_for_url("http://127.0.0.1:1/hook", kind="webhook", preset="generic-json", environ={}),
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["text", "session_id", "type", "final", "id", "replies", "activities"])
            | st.text(max_size=6),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@FUZZ
@given(
    which=st.integers(min_value=0, max_value=len(CODEC_PROFILES) - 1),
    frame=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()),
)
def test_the_codec_decodes_or_raises_protocol_error(which: int, frame: bytes) -> None:
    codec = FrameCodec(CODEC_PROFILES[which])
    with contextlib.suppress(ProtocolError):
        codec.decode(frame)


@FUZZ
@given(
    value=json_values | st.text(max_size=60),
    fmt=st.sampled_from(["json", "text"]),
    fill=st.text(max_size=20),
)
def test_templates_compile_and_render_or_raise_template_error(
    value: Any, fmt: str, fill: str
) -> None:
    try:
        template = FrameTemplate.from_value(value, format=fmt, where="fuzz")
    except TemplateError:
        return
    rendered = template.render(dict.fromkeys(template.placeholders, fill))
    if fmt == "json":
        json.loads(rendered)  # a JSON template always renders valid JSON


@FUZZ
@given(text=st.text(max_size=60), env=st.dictionaries(st.text(max_size=5), st.text(max_size=5)))
def test_env_expansion_expands_or_raises_template_error(text: str, env: dict[str, str]) -> None:
    with contextlib.suppress(TemplateError):
        expand_env(text, env, where="fuzz")


path_parts = st.sampled_from(
    ["$", ".", "..", "[", "]", "*", "0", "-1", "text", "'a'", '"b"', "?", "(@.x)", ":", ",", "`"]
)


@FUZZ
@given(text=st.lists(path_parts, max_size=8).map("".join) | st.text(max_size=20), doc=json_values)
def test_json_paths_compile_or_raise_path_error_and_find_never_fails(text: str, doc: Any) -> None:
    try:
        path = JsonPath.compile(text)
    except PathError:
        return
    found = path.find(doc)
    assert isinstance(found, list)


transcript_lines = st.one_of(
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["header", "message", "result", "other"])},
        optional={
            "content": json_values,
            "sender": st.sampled_from(["customer", "agent", "robot"]) | json_values,
            "timestamp": st.sampled_from(["2026-01-01T00:00:00+00:00", "yesterday"]) | json_values,
            "schema_version": st.integers(-1, 3) | json_values,
            "termination_reason": st.sampled_from(["stopped", "channel_error", "??"]),
            "conversation": json_values,
        },
    ).map(json.dumps),
    st.text(max_size=40),
)


@FUZZ
@given(lines=st.lists(transcript_lines, max_size=6))
def test_transcripts_read_or_raise_schema_error(tmp_path_factory: Any, lines: list[str]) -> None:
    path = tmp_path_factory.mktemp("t") / "t.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        transcript = read_transcript(path)
    except SchemaError:
        return
    assert all(isinstance(problem, str) for problem in transcript.problems)
