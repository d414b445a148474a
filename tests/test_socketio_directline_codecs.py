"""The sans-I/O parts of the Socket.IO and Direct Line channels: event data and activities."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from channels.directline_activities import ActivityReader, parse_activity_set
from channels.paths import JsonPath
from channels.profile import profile_for_url
from channels.rich import activity_extras, rasa_attachment
from channels.socketio_codec import SocketIOCodec
from convsim_core.channel import ProtocolError


def codec(preset: str = "rasa-socketio", **bot: Any) -> SocketIOCodec:
    return SocketIOCodec(
        profile_for_url("http://h:1", kind="socketio", preset=preset, base=bot, environ={})
    )


def test_rasa_events_encode_and_read() -> None:
    rasa = codec()
    now = datetime(2026, 1, 2, tzinfo=UTC)
    assert rasa.encode('say "hi"', "s1", now) == {"message": 'say "hi"', "session_id": "s1"}
    assert rasa.session_data("s1") == {"session_id": "s1"}
    inbound = rasa.read("bot_uttered", ({"text": "Hello"},))
    assert inbound is not None and inbound.texts == ("Hello",)
    quick = {"text": "Sure?", "quick_replies": [{"title": "Yes"}, {"title": "No"}]}
    assert rasa.read("bot_uttered", (quick,)).texts == ("Sure?\n[buttons: Yes | No]",)  # type: ignore[union-attr]
    only_buttons = {"quick_replies": [{"title": "Yes"}]}
    assert rasa.read("bot_uttered", (only_buttons,)).texts == ("[buttons: Yes]",)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ((), "carried no data"),
        ((42,), "expected an object"),
        (("not json",), "not JSON"),
        (({"text": 5},), "expected a string"),
        (({"text": "a", "quick_replies": [{"title": 1}]},), "quick reply"),
        (({"nothing": True},), "no reply text"),
    ],
)
def test_bad_rasa_events_are_protocol_errors(data: tuple[Any, ...], problem: str) -> None:
    with pytest.raises(ProtocolError, match=problem):
        codec().read("bot_uttered", data)


def test_chainlit_steps_filter_and_ids() -> None:
    chainlit = codec("chainlit")
    data = chainlit.encode("hi", "s1", datetime(2026, 1, 2, tzinfo=UTC))
    assert data["message"]["output"] == "hi" and data["message"]["type"] == "user_message"
    assert data["message"]["createdAt"] == "2026-01-02T00:00:00Z"
    assert chainlit.read("new_message", ({"type": "run", "output": "x"},)) is None
    step = {"type": "assistant_message", "output": "Hello", "id": "m1"}
    inbound = chainlit.read("new_message", (step,))
    assert inbound is not None and inbound.message_id == "m1"


def test_plain_text_events() -> None:
    text = codec(request={"format": "text", "body": "{text}"}, reply={"format": "text"})
    assert text.encode("hi", "s", datetime.now(UTC)) == "hi"
    assert text.read("bot_uttered", ("hello",)).texts == ("hello",)  # type: ignore[union-attr]
    with pytest.raises(ProtocolError, match="expected text"):
        text.read("bot_uttered", ({"text": "x"},))


def test_rich_lines() -> None:
    image = {"attachment": {"type": "image", "payload": {"src": "https://x/a.png"}}}
    assert rasa_attachment(image) == "[image] https://x/a.png"
    card = {"attachment": {"type": "template", "payload": {"elements": [{"title": "Plan"}]}}}
    assert rasa_attachment(card) == "[card: Plan]"
    assert rasa_attachment({"text": "x"}) is None
    activity = {
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": {}},
            {"contentType": "application/pdf", "name": "invoice.pdf"},
            "junk",
        ],
        "suggestedActions": {"actions": [{"title": "Track"}, {"value": "Cancel"}]},
    }
    assert activity_extras(activity) == [
        "[adaptive card]",
        "[file: application/pdf] invoice.pdf",
        "[buttons: Track | Cancel]",
    ]


def test_activity_reader_drops_echoes_replays_and_typing() -> None:
    reader = ActivityReader("me", (JsonPath.compile("text"),))
    bot = {"id": "bot"}
    first = {
        "id": "c|1",
        "type": "message",
        "from": bot,
        "text": "Hi",
        "inputHint": "expectingInput",
    }
    heard = reader.read(first)
    assert heard is not None and heard.inbound is not None
    assert heard.inbound.texts == ("Hi",) and heard.inbound.turn_complete
    assert reader.read(first) is None  # a replay after a reconnect
    assert reader.read({"id": "c|2", "type": "message", "from": {"id": "me"}, "text": "x"}) is None
    assert reader.echoes == 1
    assert reader.read({"id": "c|3", "type": "typing", "from": bot}) is None
    ended = reader.read({"id": "c|4", "type": "endOfConversation", "from": bot})
    assert ended is not None and ended.ended
    with pytest.raises(ProtocolError, match="no text"):
        reader.read({"id": "c|5", "type": "message", "from": bot})
    with pytest.raises(ProtocolError, match="expected an object"):
        reader.read(["not", "an", "activity"])


def test_activity_sets() -> None:
    assert parse_activity_set("", 1000) is None
    assert parse_activity_set(b"  ", 1000) is None
    parsed = parse_activity_set('{"activities": [{"id": "a"}], "watermark": 7}', 1000)
    assert parsed is not None and parsed.watermark == "7" and len(parsed.activities) == 1
    with pytest.raises(ProtocolError, match="not JSON"):
        parse_activity_set("}{", 1000)
    with pytest.raises(ProtocolError, match="no 'activities' list"):
        parse_activity_set('{"watermark": "1"}', 1000)
    with pytest.raises(ProtocolError, match="exceeds max_body_bytes"):
        parse_activity_set("x" * 2000, 1000)


@pytest.mark.parametrize("name", ["rasa-socketio", "chainlit", "directline"])
def test_the_example_profiles_load(name: str) -> None:
    from pathlib import Path

    from channels.profile import load_bot_profile

    path = Path(__file__).parent.parent / "examples" / "bots" / f"{name}.toml"
    profile = load_bot_profile(path, environ={"DIRECTLINE_SECRET": "x"})
    assert profile.preset == name
    assert profile.kind == ("directline" if name == "directline" else "socketio")
