"""The sans-I/O codec: templates out, JSON paths in, malformed input as ProtocolError."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from channels.codec import EXCERPT_CHARS, FrameCodec, Inbound, Outgoing, excerpt
from channels.paths import JsonPath, PathError
from channels.profile import BotProfile
from channels.templates import FrameTemplate, TemplateError
from convsim_core.channel import ProtocolError
from convsim_core.models import Attachment

STAMP = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def codec(**bot: Any) -> FrameCodec:
    data: dict[str, Any] = {"url": "ws://127.0.0.1:1/ws", **bot}
    return FrameCodec(BotProfile.from_mapping(data, source="test.toml", environ={}))


def out(text: str = "hi", **extra: Any) -> Outgoing:
    values: dict[str, Any] = {
        "text": text,
        "session_id": "s-1",
        "message_id": "m-1",
        "timestamp": STAMP,
        **extra,
    }
    return Outgoing(**values)


DEMO = codec(preset="demo-ws")


# -- encoding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'she said "stop" \\ then left',
        "line one\nline two\ttab",
        '{"injected": true}',
        "emoji 🎉 and ünïcödé",
        "braces {text} {{x}} stay literal",
        "",
    ],
)
def test_message_text_is_json_escaped_into_string_leaves(text: str) -> None:
    frame = json.loads(DEMO.encode(out(text)))
    assert frame == {"type": "message", "session_id": "s-1", "text": text}


def test_template_keeps_non_string_leaves_and_nesting() -> None:
    c = codec(
        request={
            "body": {
                "meta": {"ids": ["{session_id}", "{message_id}"], "n": 3, "ok": True, "x": None},
                "greeting": "Customer says: {text}!",
                "literal": "{{not a placeholder}}",
            }
        },
        reply={"text": "text", "session": "session_id"},
    )
    frame = json.loads(c.encode(out("hello")))
    assert frame == {
        "meta": {"ids": ["s-1", "m-1"], "n": 3, "ok": True, "x": None},
        "greeting": "Customer says: hello!",
        "literal": "{not a placeholder}",
    }


def test_timestamp_is_utc_iso_with_z() -> None:
    c = codec(request={"body": {"at": "{timestamp}"}}, reply={"text": "text", "session": "s"})
    plus_two = STAMP.astimezone(timezone(timedelta(hours=2)))
    assert json.loads(c.encode(out(timestamp=plus_two)))["at"] == "2025-03-04T05:06:07Z"
    naive = STAMP.replace(tzinfo=None)  # taken as UTC
    assert json.loads(c.encode(out(timestamp=naive)))["at"] == "2025-03-04T05:06:07Z"


def test_plain_text_template_is_not_json() -> None:
    plain = codec(preset="plain-ws", url="ws://127.0.0.1:1/ws/plain")
    assert plain.encode(out('raw "text"\n')) == 'raw "text"\n'


def test_setup_frame_rendered_only_when_configured() -> None:
    assert DEMO.encode_setup(out("")) is None
    with_setup = codec(
        preset="demo-ws", request={"setup": {"type": "start", "session_id": "{session_id}"}}
    )
    assert json.loads(with_setup.encode_setup(out("")) or "") == {
        "type": "start",
        "session_id": "s-1",
    }


def test_unknown_placeholder_is_rejected_with_the_known_ones() -> None:
    with pytest.raises(TemplateError, match=r"unknown placeholder\(s\) \{txt\}.*\{text\}"):
        FrameTemplate.from_value({"t": "{txt}"}, format="json", where="bot.request.body")


def test_values_json_cannot_carry_are_rejected() -> None:
    with pytest.raises(TemplateError, match=r"bot.request.body.when: datetime"):
        FrameTemplate.from_value({"when": STAMP}, format="json", where="bot.request.body")


# -- decoding ---------------------------------------------------------------------------------


def test_demo_frame_decodes_with_final_flag() -> None:
    frame = '{"type": "message", "session_id": "s", "text": "Hello", "final": true}'
    assert DEMO.decode(frame) == Inbound(texts=("Hello",), turn_complete=True)
    assert DEMO.decode(frame.replace("true", "false")) == Inbound(texts=("Hello",))


def test_frames_that_are_not_replies_are_filtered_out() -> None:
    assert DEMO.decode('{"type": "typing", "session_id": "s"}') is None
    assert DEMO.decode('{"type": "ack", "session_id": "s", "text": "ignored"}') is None


def test_filter_compares_type_strictly_and_accepts_a_list() -> None:
    c = codec(
        preset="demo-ws", reply={"filter": {"path": "kind", "equals": [1, "text"]}, "text": "t"}
    )
    assert c.decode('{"kind": 1, "t": "a", "session_id": "s"}') == Inbound(texts=("a",))
    assert c.decode('{"kind": "text", "t": "b", "session_id": "s"}') == Inbound(texts=("b",))
    # Issue 10 ("never silent"): a filtered-out frame that carries a reply text is reported.
    for frame in ('{"kind": "1", "t": "c", "session_id": "s"}', '{"kind": true, "t": "d"}'):
        with pytest.raises(ProtocolError, match="filtered out by reply\\.filter"):
            c.decode(frame)
    assert c.decode('{"kind": "1", "session_id": "s"}') is None  # no text: not a reply


def test_missing_filter_field_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="no 'type' field"):
        DEMO.decode('{"session_id": "s", "text": "x"}')


def test_generic_json_replies_list() -> None:
    c = codec(url="http://127.0.0.1:1/webhook", preset="generic-json")
    body = '{"session_id": "s", "replies": [{"text": "one"}, {"text": "two"}]}'
    assert c.decode(body) == Inbound(texts=("one", "two"))
    assert c.decode('{"session_id": "s", "replies": []}') == Inbound(texts=())


def test_rasa_array_keeps_image_items_as_messages() -> None:
    # Issue 10: an image item is a message of its own (it used to be skipped silently).
    c = codec(url="http://127.0.0.1:1/x", preset="rasa-rest")
    body = (
        '[{"recipient_id": "s", "text": "a"}, {"recipient_id": "s", "image": "u"}, {"text": "b"}]'
    )
    inbound = c.decode(body)
    assert inbound is not None and inbound.texts == ("a", "", "b")
    extras = inbound.extras_at(1)
    assert extras is not None and extras.attachments == (Attachment("image", url="u"),)
    assert c.decode("[]") == Inbound(texts=())


def test_several_paths_concatenate_in_order() -> None:
    c = codec(reply={"text": ["text", "attachments[*].caption"], "filter": {}})
    doc = {"text": "main", "attachments": [{"caption": "c1"}, {"caption": "c2"}]}
    assert c.decode(json.dumps(doc)) == Inbound(texts=("main", "c1", "c2"))


def test_jsonpath_filter_expressions_work() -> None:
    c = codec(reply={"text": '$.items[?(@.kind == "text")].value', "filter": {}})
    doc = {"items": [{"kind": "text", "value": "yes"}, {"kind": "image", "value": "no"}]}
    assert c.decode(json.dumps(doc)) == Inbound(texts=("yes",))


def test_missing_singular_text_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="no reply text at 'text'") as info:
        DEMO.decode('{"type": "message", "session_id": "s", "body": "hi"}')
    assert '"body": "hi"' in info.value.excerpt


@pytest.mark.parametrize(("value", "shown"), [("42", "int"), ("null", "null"), ('["a"]', "list")])
def test_wrong_text_type_names_path_and_type(value: str, shown: str) -> None:
    with pytest.raises(ProtocolError, match=f"reply text at 'text' is {shown}, expected a string"):
        DEMO.decode(f'{{"type": "message", "session_id": "s", "text": {value}}}')


def test_turn_flag_must_be_boolean() -> None:
    with pytest.raises(ProtocolError, match="turn flag at 'final' is str"):
        DEMO.decode('{"type": "message", "session_id": "s", "text": "x", "final": "yes"}')


def test_not_json_is_a_protocol_error_with_a_short_excerpt() -> None:
    garbage = "<html>" + "oops " * 200 + "</html>"
    with pytest.raises(ProtocolError, match="not JSON") as info:
        DEMO.decode(garbage)
    assert info.value.excerpt.startswith("<html>oops oops")
    assert len(info.value.excerpt) <= EXCERPT_CHARS


def test_non_utf8_bytes_are_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="not UTF-8"):
        DEMO.decode(b'{"text": "\xff\xfe"}')


def test_bytes_frames_decode_like_text() -> None:
    raw = b'{"type": "message", "session_id": "s", "text": "bytes ok"}'
    assert DEMO.decode(raw) == Inbound(texts=("bytes ok",))


@pytest.mark.parametrize("as_bytes", [False, True])
def test_oversized_frames_are_rejected_before_parsing(as_bytes: bool) -> None:
    small = codec(preset="demo-ws", max_body_bytes=1000)
    frame = json.dumps({"type": "message", "session_id": "s", "text": "x" * 1000})
    with pytest.raises(ProtocolError, match=r"exceeds max_body_bytes \(1000\)") as info:
        small.decode(frame.encode() if as_bytes else frame)
    assert len(info.value.excerpt) <= EXCERPT_CHARS


def test_multibyte_text_is_measured_in_bytes() -> None:
    small = codec(preset="demo-ws", max_body_bytes=1000)
    frame = json.dumps(
        {"type": "message", "session_id": "s", "text": "é" * 600}, ensure_ascii=False
    )
    assert len(frame) < 1000 < len(frame.encode())
    with pytest.raises(ProtocolError, match="exceeds max_body_bytes"):
        small.decode(frame)


def test_session_routing() -> None:
    assert DEMO.session_of({"session_id": "abc"}) == "abc"
    assert DEMO.session_of({"session_id": 17}) == "17"
    with pytest.raises(ProtocolError, match="no 'session_id' field"):
        DEMO.session_of({"text": "x"})
    with pytest.raises(ProtocolError, match="session id at 'session_id' is bool"):
        DEMO.session_of({"session_id": True})
    bf = codec(url="http://127.0.0.1:1/api/messages", preset="botframework")
    assert bf.session_of({"conversation": {"id": "conv-9"}}) == "conv-9"


def test_reply_id_is_extracted_when_configured() -> None:
    c = codec(preset="demo-ws", reply={"id": "id"})
    frame = {"type": "message", "session_id": "s", "text": "x", "id": 7}
    assert c.decode(json.dumps(frame)) == Inbound(texts=("x",), message_id="7")


def test_plain_text_frames_are_one_reply_each() -> None:
    plain = codec(preset="plain-ws")
    assert plain.decode("not {json} at all") == Inbound(texts=("not {json} at all",))


def test_excerpt_is_one_bounded_line() -> None:
    assert excerpt("a\n  b\tc") == "a b c"
    long = excerpt("y" * 1000)
    assert len(long) == EXCERPT_CHARS and long.endswith("…")
    assert excerpt(b"\xffok") == "\ufffdok"


# -- JSON paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "singular"),
    [
        ("text", True),
        ("$.text", True),
        ("conversation.id", True),
        ("items[0].text", True),
        ("$[*].text", False),
        ("replies[*].text", False),
        ("a..text", False),
        ("a[0:2]", False),
        ("a.*", False),
    ],
)
def test_path_singularity(path: str, singular: bool) -> None:
    assert JsonPath.compile(path).singular is singular


FAST_PATHS = ["text", "$.text", "a.b", "$.a.b[0].c", "list[1]", "list[-1]", "list[9]", "$", "[0]"]
DOCUMENTS: list[Any] = [
    {"text": "t", "a": {"b": [{"c": 1}, {"c": 2}]}, "list": [10, 20, 30]},
    {"text": None, "a": {"b": {"c": 3}}, "list": {"1": "not a list"}},
    {"a": [{"b": 1}], "list": []},
    ["first", {"text": "in a list"}],
    "a bare string",
    17,
    None,
]


@pytest.mark.parametrize("path", FAST_PATHS)
def test_fast_singular_paths_agree_with_jsonpath_ng(path: str) -> None:
    compiled = JsonPath.compile(path)
    assert compiled.singular
    for document in DOCUMENTS:
        assert compiled.find(document) == compiled.find_generic(document), document


def test_message_ids_are_fresh_unless_given() -> None:
    c = codec(url="http://127.0.0.1:1/api/messages", preset="botframework")

    def activity_id(message_id: str | None = None) -> str:
        outgoing = Outgoing(text="x", session_id="s", timestamp=STAMP, message_id=message_id)
        value: str = json.loads(c.encode(outgoing))["id"]
        return value

    first, second = activity_id(), activity_id()
    assert first != second and len(first) == 32
    assert activity_id("given") == "given"


def test_bad_paths_raise_path_error() -> None:
    with pytest.raises(PathError, match="invalid JSON path"):
        JsonPath.compile("replies[*.text")
    with pytest.raises(PathError, match="cannot be empty"):
        JsonPath.compile("  ")
