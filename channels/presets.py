"""Named starting points for a bot profile, written in the same layout as a ``[bot]`` table.

A preset is plain data merged *under* whatever the user writes, so every preset setting can be
overridden key by key. Each preset also names the path its endpoint usually lives at: a URL given
with no path at all (``http://localhost:5005``) gets it appended.
"""

from __future__ import annotations

import copy
from typing import Any

import attrs


@attrs.frozen
class Preset:
    name: str
    description: str
    kind: str
    default_path: str
    settings: dict[str, Any] = attrs.field(eq=False, hash=False)
    callback_settings: dict[str, Any] | None = attrs.field(default=None, eq=False, hash=False)
    """Merged over ``settings`` when the profile says ``response_mode = "callback"``."""
    callback_path: str | None = None


_GENERIC_JSON = Preset(
    name="generic-json",
    description="JSON webhook: POST {session_id, text}, replies in the response (or via callback)",
    kind="webhook",
    default_path="/webhook",
    settings={
        "response_mode": "sync",
        "request": {"body": {"session_id": "{session_id}", "text": "{text}"}},
        # "auto": {"replies": [{"text"}]}, a bare JSON array, {"text"} and plain text all read.
        "reply": {"format": "auto", "session": "session_id"},
    },
    # The async form: the bot answers 202 and later POSTs each reply to callback_url.
    callback_settings={
        "request": {
            "body": {
                "session_id": "{session_id}",
                "text": "{text}",
                "callback_url": "{callback_url}",
            }
        },
        "reply": {"format": "auto", "turn_complete": "final", "session": "session_id"},
    },
    callback_path="/webhook/async",
)

_RASA_REST = Preset(
    name="rasa-rest",
    description="Rasa's REST channel: POST {sender, message}, answer [{recipient_id, text}, ...]",
    kind="webhook",
    default_path="/webhooks/rest/webhook",
    settings={
        "response_mode": "sync",
        "request": {"body": {"sender": "{session_id}", "message": "{text}"}},
        # Items may be text, image, buttons (title/payload) or custom: "auto" reads them all.
        "reply": {"format": "auto"},
    },
    # Rasa's callback channel: answers "success", then POSTs each message (with its
    # recipient_id) to the URL in the bot's credentials.yml.
    callback_settings={
        "reply": {"format": "auto", "session": "recipient_id"},
    },
    callback_path="/webhooks/callback/webhook",
)

_BOTFRAMEWORK = Preset(
    name="botframework",
    description="Bot Framework bot: convsim plays the connector and serves /v3/conversations",
    kind="webhook",
    default_path="/api/messages",
    settings={
        "response_mode": "callback",
        # Bot Framework bots answer 200 only after their turn handler finished (202 if async).
        "response_ends_turn": True,
        "request": {
            "body": {
                "type": "message",
                "id": "{message_id}",
                "timestamp": "{timestamp}",
                "channelId": "convsim",
                "serviceUrl": "{service_url}",
                "from": {"id": "customer-{session_id}", "name": "Customer", "role": "user"},
                "recipient": {"id": "bot", "name": "Bot", "role": "bot"},
                "conversation": {"id": "{session_id}"},
                "text": "{text}",
                "textFormat": "plain",
                "locale": "en-US",
            },
            # What a channel sends when a user opens the chat: the bot's welcome is tested too.
            # [bot.request] send_setup = false switches it off.
            "setup": {
                "type": "conversationUpdate",
                "id": "{message_id}",
                "timestamp": "{timestamp}",
                "channelId": "convsim",
                "serviceUrl": "{service_url}",
                "from": {"id": "customer-{session_id}", "name": "Customer", "role": "user"},
                "recipient": {"id": "bot", "name": "Bot", "role": "bot"},
                "conversation": {"id": "{session_id}"},
                "membersAdded": [
                    {"id": "bot", "name": "Bot"},
                    {"id": "customer-{session_id}", "name": "Customer"},
                ],
                "locale": "en-US",
            },
        },
        "reply": {
            "format": "auto",
            "filter": {"path": "type", "equals": "message"},
            "session": "conversation.id",
        },
    },
)

_DEMO_WS = Preset(
    name="demo-ws",
    description="JSON WebSocket, sessions multiplexed by session_id, typing frames, final flag",
    kind="websocket",
    default_path="/ws",
    settings={
        "request": {"body": {"type": "message", "session_id": "{session_id}", "text": "{text}"}},
        "reply": {
            "text": "text",
            "turn_complete": "final",
            "filter": {"path": "type", "equals": "message"},
            "session": "session_id",
        },
        "websocket": {"session_mode": "multiplexed"},
    },
)

_GENERIC_WS = Preset(
    name="generic-ws",
    description=(
        "WebSocket, one session per connection: sends JSON {type, text, user, session_id};"
        " reads each reply frame as JSON (text at the usual places) or as plain text"
    ),
    kind="websocket",
    default_path="",
    settings={
        # Botkit's web adapter keys conversations by "user" and wants type = "message".
        "request": {
            "body": {
                "type": "message",
                "text": "{text}",
                "user": "{session_id}",
                "session_id": "{session_id}",
            }
        },
        "reply": {"format": "auto"},
        "websocket": {"session_mode": "connection"},
    },
)

_PLAIN_WS = Preset(
    name="plain-ws",
    description="Plain-text WebSocket: one connection per session, one text frame per message",
    kind="websocket",
    default_path="/ws/plain",
    settings={
        "request": {"format": "text", "body": "{text}"},
        "reply": {"format": "text"},
        "websocket": {"session_mode": "connection"},
    },
)

_RASA_SOCKETIO = Preset(
    name="rasa-socketio",
    description="Rasa's socket channel: user_uttered / bot_uttered, session_request/confirm",
    kind="socketio",
    default_path="",
    settings={
        # Rasa keys the conversation by session_id when session_persistence is on, so the same
        # id is requested again after a reconnect and the bot's tracker carries on.
        "request": {"body": {"message": "{text}", "session_id": "{session_id}"}},
        "reply": {"text": "text"},
        "socketio": {
            "path": "/socket.io",
            "user_event": "user_uttered",
            "bot_events": ["bot_uttered"],
            "session_request": "session_request",
            "session_data": {"session_id": "{session_id}"},
            "session_confirm": "session_confirm",
            "quick_replies": "quick_replies[*].title",
        },
    },
)

_CHAINLIT = Preset(
    name="chainlit",
    description="Chainlit app: client_message / new_message, a turn ends with task_end",
    kind="socketio",
    default_path="",
    settings={
        "request": {
            "body": {
                "message": {
                    "id": "{message_id}",
                    "threadId": "",
                    "name": "User",
                    "type": "user_message",
                    "output": "{text}",
                    "createdAt": "{timestamp}",
                },
                "fileReferences": [],
            }
        },
        # new_message also carries tool and run steps; only assistant messages are replies.
        "reply": {
            "text": "output",
            "filter": {"path": "type", "equals": "assistant_message"},
            "id": "id",
        },
        "socketio": {
            "path": "/ws/socket.io",
            "transports": ["websocket"],
            "auth": {
                "sessionId": "{session_id}",
                "clientType": "webapp",
                "userEnv": "{}",
                "chatProfile": "",
                "threadId": "",
            },
            "user_event": "client_message",
            # A streamed answer is often sent empty first and completed by update_message (same
            # id): empty steps are skipped and a repeated id is delivered once.
            "bot_events": ["new_message", "update_message"],
            "session_request": "connection_successful",
            "turn_end": "task_end",
        },
    },
)

_DIRECTLINE = Preset(
    name="directline",
    description="Azure Bot Service via Direct Line 3.0: secret or token from env, stream + polling",
    kind="directline",
    default_path="/v3/directline",
    settings={
        "request": {"body": {"type": "message", "text": "{text}", "textFormat": "plain"}},
        "reply": {"text": "text"},
        # secret_env defaults to DIRECTLINE_SECRET; token_env (one conversation) replaces it
    },
)

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        _GENERIC_JSON,
        _RASA_REST,
        _BOTFRAMEWORK,
        _GENERIC_WS,
        _DEMO_WS,
        _PLAIN_WS,
        _RASA_SOCKETIO,
        _CHAINLIT,
        _DIRECTLINE,
    )
}
DEFAULT_PRESET = {
    "webhook": "generic-json",
    "websocket": "generic-ws",
    "socketio": "rasa-socketio",
    "directline": "directline",
}
"""Used when a profile names no preset: the generic form for its kind (never the demo bot's
multiplexed protocol, which only ``preset = "demo-ws"`` asks for)."""


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(
            f"unknown preset {name!r}; expected one of {', '.join(sorted(PRESETS))}"
        ) from None


def preset_settings(name: str, *, response_mode: str | None = None) -> dict[str, Any]:
    """A fresh copy of the preset's settings (the callback variant if asked for and available)."""
    preset = get_preset(name)
    settings = copy.deepcopy(preset.settings)
    if response_mode == "callback" and preset.callback_settings is not None:
        for key, value in copy.deepcopy(preset.callback_settings).items():
            settings[key] = value
    return settings


def preset_path(name: str, *, response_mode: str | None = None) -> str:
    preset = get_preset(name)
    if response_mode == "callback" and preset.callback_path is not None:
        return preset.callback_path
    return preset.default_path
