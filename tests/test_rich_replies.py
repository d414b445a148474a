"""Reading replies at the usual places (``reply.format = "auto"``), rich parts, button presses on
the wire, and where a conversation went (URL without secrets, the ids the bot saw)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.codec import FrameCodec, Outgoing
from channels.paths import string_leaves
from channels.profile import BotProfile, profile_for_url
from channels.rich import Reply, Unreadable, read_replies
from channels.where import describe_profile, public_url, wire_ids
from convsim_core.channel import ProtocolError
from convsim_core.models import Attachment, Message, ParticipantRole, QuickReply
from convsim_core.serialization import from_json, to_json

STAMP = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("document", "texts"),
    [
        ({"text": "hi"}, ["hi"]),
        ({"message": "hi"}, ["hi"]),
        ({"content": "hi"}, ["hi"]),
        ({"reply": "hi"}, ["hi"]),
        ({"message": {"text": "nested"}}, ["nested"]),
        ({"text": ["a", "b"]}, ["a", "b"]),
        ([{"text": "a"}, {"text": "b"}], ["a", "b"]),
        (["a", "b"], ["a", "b"]),
        ({"replies": [{"text": "a"}]}, ["a"]),
        ({"activities": [{"type": "message", "text": "dl"}, {"type": "typing"}]}, ["dl"]),
        ({"session_id": "s", "replies": []}, []),
        ([], []),
    ],
)
def test_text_at_the_usual_places(document: Any, texts: list[str]) -> None:
    replies = read_replies(document)
    assert replies is not None and [r.text for r in replies] == texts


def test_frames_that_are_no_reply() -> None:
    for frame in ({"type": "typing"}, {"type": "conversationUpdate"}, {"type": "event"}):
        assert read_replies(frame) is None


def test_nothing_readable_says_what_was_looked_for() -> None:
    with pytest.raises(Unreadable, match="usual places"):
        read_replies({"answer_text_is_elsewhere": 1})
    with pytest.raises(Unreadable, match="none of the 2 item"):
        read_replies([{"x": 1}, {"y": 2}])


def test_rasa_items_images_and_buttons() -> None:
    replies = read_replies(
        [
            {"recipient_id": "s", "image": "https://x/i.png"},
            {"recipient_id": "s", "text": "Ok?", "buttons": [{"title": "Yes", "payload": "/y"}]},
            {"recipient_id": "s", "custom": {"type": "map"}},
        ]
    )
    assert replies == [
        Reply("", (Attachment("image", url="https://x/i.png"),)),
        Reply("Ok?", (), (QuickReply("Yes", "/y"),)),
        Reply("", (Attachment("custom", title="map"),)),
    ]


def test_bot_framework_activity_cards_and_suggested_actions() -> None:
    activity = {
        "type": "message",
        "text": "Pick one",
        "attachments": [
            {"contentType": "image/png", "contentUrl": "https://x/a.png", "name": "a.png"},
            {
                "contentType": "application/vnd.microsoft.card.hero",
                "content": {
                    "title": "Plans",
                    "buttons": [{"type": "messageBack", "title": "Pro", "value": "pro"}],
                },
            },
        ],
        "suggestedActions": {"actions": [{"type": "imBack", "title": "Help", "value": "help"}]},
    }
    (reply,) = read_replies(activity) or []
    assert [a.kind for a in reply.attachments] == ["image", "card"]
    assert reply.attachments[1].title == "Plans"
    assert [(q.title, q.payload, q.action) for q in reply.quick_replies] == [
        ("Help", "help", "imBack"),
        ("Pro", "pro", "messageBack"),
    ]


def test_botkit_quick_replies_and_files() -> None:
    frame = {
        "type": "message",
        "text": "Here",
        "files": [{"url": "https://x/f.jpg", "image": True}],
        "quick_replies": [{"title": "Foo", "payload": "foo"}],
    }
    (reply,) = read_replies(frame) or []
    assert reply.attachments == (Attachment("image", url="https://x/f.jpg"),)
    assert reply.quick_replies == (QuickReply("Foo", "foo"),)


def _codec(url: str, **bot: Any) -> FrameCodec:
    return FrameCodec(BotProfile.from_mapping({"url": url, **bot}, environ={}))


def test_websocket_frames_are_json_or_plain_text_decided_per_frame() -> None:
    codec = _codec("ws://127.0.0.1:1/")
    assert codec.decode("just text").texts == ("just text",)  # type: ignore[union-attr]
    assert codec.decode('{"text": "json"}').texts == ("json",)  # type: ignore[union-attr]
    assert codec.decode("42").texts == ("42",)  # type: ignore[union-attr]
    with pytest.raises(ProtocolError, match="not JSON"):
        codec.decode('{"text": "broken')  # meant as JSON: a protocol error, not a text


def test_webhooks_in_auto_mode_still_want_json() -> None:
    codec = _codec("http://127.0.0.1:1/chat")
    with pytest.raises(ProtocolError, match="not JSON"):
        codec.decode("<html>not the bot</html>")


def _press(action: str) -> Outgoing:
    button = QuickReply("Pro plan", '{"plan": "pro"}', action=action)
    return Outgoing(text="Pro plan", session_id="s", timestamp=STAMP, choice=button)


def test_button_presses_go_out_the_platforms_way() -> None:
    rasa = _codec("http://h:5005", preset="rasa-rest")
    assert json.loads(rasa.encode(_press("postBack")))["message"] == '{"plan": "pro"}'
    bf = _codec("http://h:3978", preset="botframework")
    im_back = json.loads(bf.encode(_press("imBack")))
    assert im_back["text"] == '{"plan": "pro"}' and "value" not in im_back
    message_back = json.loads(bf.encode(_press("messageBack")))
    assert message_back["text"] == "Pro plan" and message_back["value"] == {"plan": "pro"}
    botkit = _codec("ws://h:3000/")
    assert json.loads(botkit.encode(_press("postBack")))["text"] == '{"plan": "pro"}'


def test_rich_messages_round_trip_and_plain_ones_keep_their_old_json_form() -> None:
    plain = Message("hi", STAMP, ParticipantRole.AGENT)
    assert set(to_json(plain)) == {"schema_version", "type", "content", "timestamp", "sender"}
    rich = Message(
        "",
        STAMP,
        ParticipantRole.AGENT,
        attachments=(Attachment("image", url="https://x/i.png"),),
        quick_replies=(QuickReply("Yes", "/y"), QuickReply("No", "/n")),
    )
    assert from_json(to_json(rich), Message) == rich
    assert rich.display_text() == "[image] https://x/i.png\n[buttons: Yes | No]"


def test_public_url_drops_user_info_and_secret_query_values() -> None:
    url = "https://user:pw@bot.example.com/chat?token=abc&lang=en&api_key=k"
    assert public_url(url) == "https://bot.example.com/chat?token=***&lang=en&api_key=***"
    assert public_url("wss://h/ws?key=${BOT_KEY}") == "wss://h/ws?key=***"


def test_string_leaves_name_every_item_or_the_first_as_a_wildcard() -> None:
    # wire_ids reads every item; the probe's "set text = ..." hint reads the first as [*].
    document = {"a": "x", "b": [{"t": "1"}, {"t": "2"}], "n": 3, "e": []}
    assert string_leaves(document) == [("a", "x"), ("b[0].t", "1"), ("b[1].t", "2")]
    assert string_leaves(document, every_item=False) == [("a", "x"), ("b[*].t", "1")]
    assert string_leaves([{"text": "hi"}], every_item=False) == [("$[*].text", "hi")]
    assert string_leaves(["s", "t"]) == [("$[0]", "s"), ("$[1]", "t")]
    assert string_leaves("bare") == [("$", "bare")]


def test_the_ids_the_bot_sees() -> None:
    bf = profile_for_url("http://h:3978", kind="webhook", preset="botframework", environ={})
    assert wire_ids(bf.request.body, "abc") == {
        "convsim_session": "abc",
        "from.id": "customer-abc",
        "conversation.id": "abc",
    }
    rasa = profile_for_url("http://h:5005", kind="webhook", preset="rasa-rest", environ={})
    assert wire_ids(rasa.request.body, "abc") == {"convsim_session": "abc", "sender": "abc"}
    plain = profile_for_url("ws://h:1/", kind="ws", preset="plain-ws", environ={})
    assert wire_ids(plain.request.body, "abc") == {"convsim_session": "abc"}
    info = describe_profile(bf)
    assert info == {
        "kind": "webhook",
        "url": "http://h:3978/api/messages",
        "preset": "botframework",
        "response_mode": "callback",
    }
