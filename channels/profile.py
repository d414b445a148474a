"""A bot profile: everything convsim needs to know to talk to one real bot over the wire.

Profiles are written as a TOML ``[bot]`` table (in a scenario, or a file of their own) on top of
a preset. Only ``url`` is required: ``convsim probe URL`` prints a ready profile. Below, every
value shown is the real default for ``url = "http://127.0.0.1:8080/webhook"`` (a webhook, so the
``generic-json`` preset); commented-out keys have no default. Where a preset sets a key
differently, the comment says so (tests/test_profile.py checks this block against the code)::

    [bot]
    url = "http://127.0.0.1:8080/webhook"  # no path at all -> the preset's usual path is appended
    preset = "generic-json"     # default: generic-json (http) | generic-ws (ws); also rasa-rest,
                                # botframework, demo-ws (the demo bot only), plain-ws,
                                # rasa-socketio, chainlit, directline
    kind = "webhook"            # webhook | websocket (alias ws) | socketio | directline; default:
                                # the preset's, else the URL's scheme
    method = "POST"
    response_mode = "sync"      # webhook: sync (replies in the HTTP response) | callback;
                                # botframework: callback
    response_ends_turn = false  # callback: any 2xx but 202 ends the bot's turn; botframework: true
    response_timeout = 30.0     # seconds to wait for an HTTP response
    connect_timeout = 10.0
    settle_seconds = 1.0        # quiet time after which the bot's turn is taken as over
    max_body_bytes = 1048576    # larger frames/bodies are protocol errors
    max_connections = 0         # webhook: open HTTP connections at most (0 = no limit)
    # health_url = "/health"    # a GET before the run (relative to the bot's origin)
    # signing_secret_env = "BOT_SECRET"  # HMAC-SHA256 signs requests and verifies callbacks:
                                # X-Convsim-Signature: t=<unix>,n=<nonce>,sha256=<hex of
                                # HMAC("<t>.<n>." + raw body)>; stale (> 300 s) or
                                # replayed (nonce seen before) signatures are refused

    # [bot.headers]             # names are HTTP tokens; values without CR/LF/NUL
    # Authorization = "Bearer ${BOT_TOKEN}"   # ${NAME}: from the environment, required

    [bot.request]
    format = "json"             # json | text (plain-ws)
    body = { session_id = "{session_id}", text = "{text}" }   # the preset's; generic-ws sends
                                # { type = "message", text, user, session_id }, rasa-rest
                                # { sender, message }, botframework a message Activity
    # setup = { type = "start" }  # sent once at the start; botframework: a conversationUpdate
    send_setup = true           # false: leave the setup message out (no conversationUpdate)
    resend_setup = false        # websocket: send the setup frame again after a reconnect

    [bot.reply]
    format = "auto"             # auto (JSON with the text at the usual places - text, message,
                                # content, reply, lists of those, Rasa and Bot Framework shapes -
                                # and images/buttons; on websockets plain text, decided per frame)
                                # | json (the paths below) | text; demo-ws: json, plain-ws: text
    # text = "replies[*].text"  # JSON path(s) of the reply text; required with format = "json"
    # turn_complete = "final"   # a boolean flag: the bot's turn is over (demo-ws, callbacks)
    # filter = { path = "type", equals = "message" }  # other frames are dropped (demo-ws,
                                # botframework); one that carries a text is a protocol error
    session = "session_id"      # routes callbacks and multiplexed frames to their session;
                                # botframework: conversation.id; rasa-rest callback: recipient_id
    # id = "id"                 # a reply id seen twice is delivered once

    [bot.websocket]
    session_mode = "connection" # connection (one per session) | multiplexed (demo-ws)
    ping_interval = 20.0        # 0 disables keep-alive pings
    ping_timeout = 20.0

    [bot.reconnect]
    attempts = 3
    backoff = 0.5               # doubled per attempt, capped at max_backoff
    max_backoff = 8.0
    retry_sent = false          # webhook: also retry a request that may have reached the bot
                                # (server disconnected mid-request); off: never sent twice

    [bot.callback]              # the server convsim runs for callback bots
    host = "127.0.0.1"
    port = 0                    # 0: any free port (Rasa's callback channel needs a fixed one)
    path = "/callback"
    # public_url = "https://..."  # the base URL the bot must use to reach it

Socket.IO and Direct Line bots (``kind = "socketio"`` / ``"directline"``, presets
``rasa-socketio``, ``chainlit``, ``directline``) have a table of their own::

    [bot.socketio]                   # kind = "socketio" (http(s):// or ws(s):// URL of the server)
    path = "/socket.io"              # the Socket.IO endpoint (Chainlit: "/ws/socket.io")
    namespace = "/"
    transports = ["polling", "websocket"]   # or just ["websocket"]
    auth = { token = "${BOT_TOKEN}" }       # CONNECT auth payload; {session_id}, ${NAME} allowed
    query = { user = "{session_id}" }       # extra query parameters on the handshake
    user_event = "user_uttered"      # the event a customer message is emitted as (request.body)
    bot_events = ["bot_uttered"]     # events carrying bot messages (read with [bot.reply])
    session_request = "session_request"     # optional set-up event, emitted after every connect
    session_data = { session_id = "{session_id}" }
    session_confirm = "session_confirm"     # optional: wait for this answer before chatting
    turn_end = ""                    # optional event that ends the bot's turn (Chainlit: task_end)
    quick_replies = "quick_replies[*].title"  # optional JSON path of button titles

    [bot.directline]                 # kind = "directline" (URL: https://directline.botframework.com)
    secret_env = "DIRECTLINE_SECRET" # env var with the secret (any number of conversations;
                                     # checked with POST /tokens/generate); "" = no Authorization
    token_env = ""                   # OR: env var with a token, instead of secret_env: a token
                                     # is for ONE conversation (a batch of more is refused); it
                                     # starts it with POST /conversations, /tokens/refresh keeps
                                     # it alive, and it is first checked when the chat starts
    user_id = "convsim-{session_id}" # the customer's from.id (its echoed activities are dropped)
    user_name = "Customer"
    locale = "en-US"
    stream = true                    # receive on the stream WebSocket (polling if it fails)
    poll_interval = 1.0              # seconds between GET .../activities?watermark= when polling
    refresh_margin = 120.0           # refresh the token this many seconds before it expires
    start_event = ""                 # optional event activity sent first, e.g. "webchat/join"

Unknown keys are errors so a typo never silently falls back to a default.

Over 400 lines on purpose: a hundred of them are the reference block above, which the tests
check against the code, so the documented defaults cannot drift from the ones in force.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import attrs

from channels.presets import DEFAULT_PRESET, PRESETS, get_preset, preset_path, preset_settings
from channels.profile_checks import check_header as _check_header
from channels.profile_checks import split_url as _split_url
from channels.profile_parts import (
    CallbackSpec,
    ReconnectPolicy,
    ReplySpec,
    RequestSpec,
    parse_callback,
    parse_reconnect,
    parse_reply,
    parse_request,
)
from channels.profile_reader import ProfileError, Table
from channels.profile_transports import (
    DirectLineSpec,
    SocketIOSpec,
    parse_directline,
    parse_socketio,
)
from channels.templates import TemplateError, env_names_in, expand_env
from convsim_core.toml_reader import read_toml_file

__all__ = [
    "BotProfile",
    "CallbackSpec",
    "DirectLineSpec",
    "ProfileError",
    "ReconnectPolicy",
    "ReplySpec",
    "RequestSpec",
    "SocketIOSpec",
    "load_bot_profile",
    "profile_for_url",
]

_KINDS = {
    "websocket": "websocket",
    "ws": "websocket",
    "webhook": "webhook",
    "socketio": "socketio",
    "directline": "directline",
}
_SECTIONS = (
    "headers",
    "request",
    "reply",
    "websocket",
    "reconnect",
    "callback",
    "socketio",
    "directline",
)
_TOP_KEYS = (
    "preset",
    "kind",
    "url",
    "method",
    "response_mode",
    "response_ends_turn",
    "response_timeout",
    "connect_timeout",
    "settle_seconds",
    "max_body_bytes",
    "max_connections",
    "health_url",
    "signing_secret_env",
    *_SECTIONS,
)
_SCHEMES = {
    "websocket": ("ws", "wss"),
    "webhook": ("http", "https"),
    "socketio": ("http", "https", "ws", "wss"),
    "directline": ("http", "https"),
}


@attrs.frozen
class BotProfile:
    """How to reach and understand one bot. Build with :meth:`from_mapping` or a loader."""

    kind: str
    url: str
    request: RequestSpec
    reply: ReplySpec
    preset: str | None = None
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = ()
    """Header templates; :meth:`resolved_headers` fills ``${NAME}`` from the environment."""
    response_mode: str = "sync"
    response_ends_turn: bool = False
    response_timeout: float = 30.0
    connect_timeout: float = 10.0
    settle_seconds: float = 1.0
    max_body_bytes: int = 1024 * 1024
    max_connections: int = 0
    """Webhook connection pool size; 0 = no limit, so many concurrent conversations never
    queue for a connection (a queued request would spend its response timeout waiting)."""
    health_url: str | None = None
    signing_secret_env: str | None = None
    session_mode: str = "connection"
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    reconnect: ReconnectPolicy = attrs.field(factory=ReconnectPolicy)
    callback: CallbackSpec = attrs.field(factory=CallbackSpec)
    socketio: SocketIOSpec = attrs.field(factory=SocketIOSpec)
    directline: DirectLineSpec = attrs.field(factory=DirectLineSpec)
    source: str = attrs.field(default="<profile>", eq=False)
    """Where the profile came from, for error messages."""

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        *,
        source: str = "<profile>",
        environ: Mapping[str, str] | None = None,
    ) -> BotProfile:
        """Parse a ``[bot]`` table (preset first, then the table's own keys on top)."""
        env = os.environ if environ is None else environ
        if not isinstance(data, Mapping):
            raise ProfileError(f"{source}: [bot] must be a table, got {type(data).__name__}")
        top = Table(data, source, "bot.")
        preset = top.text("preset")
        if preset is not None and preset not in PRESETS:
            raise ProfileError(
                f"{top.where('preset')}: unknown preset {preset!r};"
                f" expected one of {', '.join(sorted(PRESETS))}"
            )
        kind = _kind(top, preset)
        preset = preset or DEFAULT_PRESET[kind]
        mode = top.optional_choice("response_mode", ("sync", "callback"))
        merged = _merge(preset_settings(preset, response_mode=mode), data)
        return _build(Table(merged, source, "bot."), kind=kind, preset=preset, env=env)

    def resolved_url(self, environ: Mapping[str, str] | None = None) -> str:
        return _expand(self.url, environ, f"{self.source}: bot.url")

    def resolved_headers(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Header values with ``${NAME}`` filled in; read when a channel starts, not stored."""
        return {
            name: _expand(value, environ, f"{self.source}: bot.headers.{name}")
            for name, value in self.headers
        }

    def signing_secret(self, environ: Mapping[str, str] | None = None) -> bytes | None:
        """The HMAC key from ``signing_secret_env``; None when signing is off."""
        if self.signing_secret_env is None:
            return None
        env = os.environ if environ is None else environ
        if self.signing_secret_env not in env:
            raise ProfileError(
                f"{self.source}: bot.signing_secret_env: environment variable"
                f" {self.signing_secret_env} is not set"
            )
        return env[self.signing_secret_env].encode("utf-8")

    def resolved_health_url(self) -> str | None:
        """The health URL made absolute: a bare path is taken relative to the bot's origin."""
        if self.health_url is None:
            return None
        if "://" in self.health_url:
            return self.health_url
        parts = urlsplit(self.url)
        scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
        return urlunsplit((scheme, parts.netloc, self.health_url, "", ""))


def load_bot_profile(path: str | Path, *, environ: Mapping[str, str] | None = None) -> BotProfile:
    """Read a profile file: its top level is the ``[bot]`` table, or it has a ``[bot]`` table."""
    file = Path(path)
    data = read_toml_file(file, "bot profile", lambda problem: ProfileError(f"{file}: {problem}"))
    table = data.get("bot", data) if isinstance(data.get("bot"), dict) else data
    return BotProfile.from_mapping(table, source=str(file), environ=environ)


def profile_for_url(
    url: str,
    *,
    kind: str,
    preset: str | None = None,
    base: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> BotProfile:
    """A profile for ``url`` (e.g. from the command line) over a scenario's ``[bot]`` table.

    ``kind`` and ``url`` replace the table's; ``preset`` replaces the table's preset when given.
    """
    data: dict[str, Any] = dict(base or {})
    data["url"] = url
    data["kind"] = kind
    if preset is not None:
        data["preset"] = preset
    return BotProfile.from_mapping(data, source="bot URL " + url, environ=environ)


def _expand(text: str, environ: Mapping[str, str] | None, where: str) -> str:
    try:
        return expand_env(text, os.environ if environ is None else environ, where=where)
    except TemplateError as exc:
        raise ProfileError(str(exc)) from exc


def _kind(top: Table, preset: str | None) -> str:
    raw = top.text("kind")
    if raw is not None:
        if raw not in _KINDS:
            raise ProfileError(
                f"{top.where('kind')}: expected 'webhook' or 'websocket' (or 'socketio',"
                f" 'directline'), got {raw!r}"
            )
        kind = _KINDS[raw]
        if preset is not None and get_preset(preset).kind != kind:
            # A WebSocket bot spoken to in Rasa's webhook format only ever times out.
            raise ProfileError(
                f"{top.where('preset')}: preset {preset!r} is for {get_preset(preset).kind}"
                f" bots, but this bot is reached over {kind}"
            )
        return kind
    if preset is not None:
        return get_preset(preset).kind
    scheme = _split_url(top.text("url") or "", top.where("url")).scheme
    if scheme in ("ws", "wss"):
        return "websocket"
    if scheme in ("http", "https"):
        return "webhook"
    raise ProfileError(f"{top.where('kind')}: missing; expected 'webhook' or 'websocket'")


def _merge(preset: dict[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """User keys over preset keys, table by table; templates and lists are replaced whole."""
    merged = dict(preset)
    for key, value in user.items():
        if key in _SECTIONS and isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _build(top: Table, *, kind: str, preset: str, env: Mapping[str, str]) -> BotProfile:
    top.only(_TOP_KEYS)
    url = _url(top, kind, preset, env)
    response_mode = top.choice("response_mode", ("sync", "callback"), "sync")
    if response_mode == "callback" and kind != "webhook":
        raise ProfileError(f"{top.where('response_mode')}: 'callback' needs kind = 'webhook'")
    headers = top.table("headers")
    header_pairs = tuple((name, headers.required(name)) for name in headers.keys())  # noqa: SIM118
    for name, value in header_pairs:
        _check_header(name, value, env, headers.where(name))
        _check_env(value, env, headers.where(name))
    secret_env = top.text("signing_secret_env")
    if secret_env is not None and secret_env not in env:
        raise ProfileError(
            f"{top.where('signing_secret_env')}: environment variable {secret_env} is not set"
        )
    for section in ("socketio", "directline"):
        if top.table(section).keys() and kind != section:
            raise ProfileError(f"{top.where(section)}: only for kind = '{section}' bots")
    ws = top.table("websocket")
    ws.only(("session_mode", "ping_interval", "ping_timeout"))
    profile = BotProfile(
        kind=kind,
        url=url,
        preset=preset,
        method=_method(top, kind),
        headers=header_pairs,
        request=parse_request(top.table("request"), kind=kind, response_mode=response_mode),
        reply=parse_reply(top.table("reply")),
        response_mode=response_mode,
        response_ends_turn=top.boolean("response_ends_turn", False),
        response_timeout=top.seconds("response_timeout", 30.0, positive=True),
        connect_timeout=top.seconds("connect_timeout", 10.0, positive=True),
        settle_seconds=top.seconds("settle_seconds", 1.0),
        max_body_bytes=top.integer("max_body_bytes", 1024 * 1024, minimum=64),
        max_connections=top.integer("max_connections", 0, minimum=0),
        health_url=top.text("health_url") or None,
        signing_secret_env=secret_env,
        session_mode=ws.choice("session_mode", ("connection", "multiplexed"), "connection"),
        ping_interval=ws.seconds("ping_interval", 20.0) or None,
        ping_timeout=ws.seconds("ping_timeout", 20.0) or None,
        reconnect=parse_reconnect(top.table("reconnect")),
        callback=parse_callback(top.table("callback")),
        socketio=parse_socketio(top.table("socketio"), env)
        if kind == "socketio"
        else SocketIOSpec(),
        directline=(
            parse_directline(top.table("directline"), env)
            if kind == "directline"
            else DirectLineSpec()
        ),
        source=top.source,
    )
    _check_consistency(profile, top)
    return profile


def _url(top: Table, kind: str, preset: str, env: Mapping[str, str]) -> str:
    url = top.required("url")
    _check_env(url, env, top.where("url"))
    parts = _split_url(expand_env(url, env, where=top.where("url")), top.where("url"))
    if parts.scheme not in _SCHEMES[kind] or not parts.hostname:
        schemes = " or ".join(f"{s}://" for s in _SCHEMES[kind])
        raise ProfileError(
            f"{top.where('url')}: a {kind} URL must start with {schemes}, got {url!r}"
        )
    if not (parts.path or parts.query or parts.fragment):
        mode = top.optional_choice("response_mode", ("sync", "callback"))
        url += preset_path(preset, response_mode=mode)
    return url


def _method(top: Table, kind: str) -> str:
    method = (top.text("method") or "POST").upper()
    if kind == "webhook" and method not in ("POST", "PUT", "PATCH"):
        raise ProfileError(f"{top.where('method')}: expected POST, PUT or PATCH, got {method!r}")
    return method


def _check_env(value: str, env: Mapping[str, str], where: str) -> None:
    missing = sorted(name for name in env_names_in(value) if name not in env)
    if missing:
        raise ProfileError(f"{where}: environment variable {', '.join(missing)} is not set")


def _check_consistency(profile: BotProfile, top: Table) -> None:
    """Settings that are each fine alone but cannot work together."""
    reply = profile.reply
    needs_routing = profile.response_mode == "callback" or (
        profile.kind == "websocket" and profile.session_mode == "multiplexed"
    )
    if needs_routing and reply.format != "text" and reply.session is None:
        raise ProfileError(
            f"{top.where('reply.session')}: missing; callbacks and multiplexed websockets need the"
            " JSON path of the session id in each frame (e.g. 'session_id')"
        )
    if profile.session_mode == "multiplexed" and reply.format == "text":
        raise ProfileError(
            f"{top.where('websocket.session_mode')}: plain-text frames carry no session id;"
            " use session_mode = 'connection'"
        )
    if profile.kind == "webhook" and reply.format == "text":
        raise ProfileError(
            f"{top.where('reply.format')}: webhooks answer JSON; 'text' is for websockets"
        )
