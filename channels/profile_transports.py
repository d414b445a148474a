"""The ``[bot.socketio]`` and ``[bot.directline]`` tables of a bot profile.

Split from :mod:`channels.profile_parts` because each belongs to one transport: a Socket.IO bot is
a set of event names around the usual request/reply templates, a Direct Line bot is an Azure
endpoint plus where its secret lives. The keys are documented at the top of
:mod:`channels.profile`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from channels.paths import JsonPath, PathError
from channels.profile_reader import ProfileError, Table
from channels.templates import FrameTemplate, TemplateError, env_names_in, expand_env

_TRANSPORTS = ("polling", "websocket")


@attrs.frozen
class SocketIOSpec:
    """How to hold a conversation over Socket.IO (defaults: Rasa's socket channel)."""

    path: str = "/socket.io"
    namespace: str = "/"
    transports: tuple[str, ...] = _TRANSPORTS
    auth: str | None = None
    """The CONNECT packet's auth payload as JSON; ``{session_id}`` and ``${NAME}`` are filled in
    when connecting (so a token read from the environment never sits in the profile)."""
    query: tuple[tuple[str, str], ...] = ()
    user_event: str = "user_uttered"
    bot_events: tuple[str, ...] = ("bot_uttered",)
    session_request: str | None = None
    """Emitted (with ``session_data``) after every connect, before any customer message."""
    session_data: FrameTemplate | None = None
    session_confirm: str | None = None
    """If set, the session is usable only once the bot emitted this event."""
    turn_end: str | None = None
    """An event that ends the bot's turn (Chainlit's ``task_end``); else the settle time does."""
    quick_replies: JsonPath | None = None
    """Where button titles are in a bot event (Rasa: ``quick_replies[*].title``)."""

    def auth_payload(self, session_id: str, environ: Mapping[str, str]) -> Any:
        if self.auth is None:
            return None
        return _fill(json.loads(self.auth), session_id, environ, "bot.socketio.auth")

    def query_string(self, session_id: str, environ: Mapping[str, str]) -> list[tuple[str, str]]:
        return [
            (name, _fill(value, session_id, environ, f"bot.socketio.query.{name}"))
            for name, value in self.query
        ]


@attrs.frozen
class DirectLineSpec:
    """How to reach a bot through Direct Line 3.0 (Azure Bot Service)."""

    secret_env: str | None = "DIRECTLINE_SECRET"
    """The environment variable holding the Direct Line secret; never the value. A secret
    starts any number of conversations (and renews an expired token)."""
    token_env: str | None = None
    """Token mode: the environment variable holding a Direct Line token (from ``POST
    /tokens/generate`` or a bot's token endpoint). A token is for ONE conversation: it is sent
    as the bearer of ``POST /conversations``, which answers with that conversation, and kept
    alive with ``/tokens/refresh``; there is no secret to renew it once it expired."""
    user_id: str = "convsim-{session_id}"
    user_name: str = "Customer"
    locale: str = "en-US"
    stream: bool = True
    """Receive over the conversation's WebSocket; False polls ``GET .../activities`` only."""
    poll_interval: float = 1.0
    refresh_margin: float = 120.0
    """Refresh the conversation token this many seconds before it expires."""
    start_event: str | None = None
    """An event activity sent first (e.g. ``webchat/join``) for bots that greet on it."""

    def user(self, session_id: str) -> str:
        return self.user_id.replace("{session_id}", session_id)

    @property
    def credential_env(self) -> str | None:
        """The variable the bearer credential is read from (None: no Authorization at all)."""
        return self.token_env or self.secret_env


def _fill(value: Any, session_id: str, environ: Mapping[str, str], where: str) -> Any:
    """``{session_id}`` first, then ``${NAME}``: a secret's value is never searched for holes."""
    if isinstance(value, str):
        return expand_env(value.replace("{session_id}", session_id), environ, where=where)
    if isinstance(value, dict):
        return {k: _fill(v, session_id, environ, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, session_id, environ, where) for v in value]
    return value


def _env_refs(value: Any) -> set[str]:
    if isinstance(value, str):
        return env_names_in(value)
    if isinstance(value, Mapping):
        return set().union(*(_env_refs(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_env_refs(v) for v in value)) if value else set()
    return set()


def _event(table: Table, key: str, default: str | None) -> str | None:
    value = table.text(key)
    if value is None:
        return default
    return value or None  # "" switches off what a preset set


def _session_template(table: Table, key: str) -> FrameTemplate | None:
    value = table.raw(key)
    if value is None or value == "":
        return None
    fmt = "text" if isinstance(value, str) else "json"
    try:
        template = FrameTemplate.from_value(value, format=fmt, where=table.where(key))
    except TemplateError as exc:
        raise ProfileError(str(exc)) from exc
    if template.placeholders - {"session_id"}:
        raise ProfileError(f"{table.where(key)}: only {{session_id}} can be used here")
    return template


def parse_socketio(table: Table, env: Mapping[str, str]) -> SocketIOSpec:
    table.only(attrs.fields_dict(SocketIOSpec))  # every key is a field of the spec
    path = table.text("path") or "/socket.io"
    if not path.startswith("/"):
        raise ProfileError(
            f"{table.where('path')}: expected a path starting with '/', got {path!r}"
        )
    namespace = table.text("namespace") or "/"
    if not namespace.startswith("/"):
        raise ProfileError(
            f"{table.where('namespace')}: expected a namespace starting with '/', got {namespace!r}"
        )
    transports = table.text_list("transports") or _TRANSPORTS
    for name in transports:
        if name not in _TRANSPORTS:
            raise ProfileError(
                f"{table.where('transports')}: expected 'polling' and/or 'websocket', got {name!r}"
            )
    auth_value = table.raw("auth")
    if auth_value is not None and not isinstance(auth_value, Mapping):
        raise ProfileError(f"{table.where('auth')}: expected a table")
    auth = json.dumps(auth_value) if auth_value else None
    missing = sorted(name for name in _env_refs(auth_value) if name not in env)
    query_table = table.table("query")
    query = tuple((name, query_table.required(name)) for name in query_table.keys())  # noqa: SIM118
    for _name, value in query:
        missing += sorted(n for n in env_names_in(value) if n not in env)
    if missing:
        raise ProfileError(
            f"{table.where('auth')}: environment variable {', '.join(missing)} is not set"
        )
    user_event = table.text("user_event") or "user_uttered"
    bot_events = table.text_list("bot_events") or ("bot_uttered",)
    quick = table.text("quick_replies")
    try:
        quick_path = JsonPath.compile(quick) if quick else None
    except PathError as exc:
        raise ProfileError(f"{table.where('quick_replies')}: {exc}") from exc
    spec = SocketIOSpec(
        path=path,
        namespace=namespace,
        transports=tuple(transports),
        auth=auth,
        query=query,
        user_event=user_event,
        bot_events=tuple(bot_events),
        session_request=_event(table, "session_request", None),
        session_data=_session_template(table, "session_data"),
        session_confirm=_event(table, "session_confirm", None),
        turn_end=_event(table, "turn_end", None),
        quick_replies=quick_path,
    )
    if spec.session_confirm is not None and spec.session_request is None:
        raise ProfileError(
            f"{table.where('session_confirm')}: needs session_request (the event it answers)"
        )
    return spec


def parse_directline(table: Table, env: Mapping[str, str]) -> DirectLineSpec:
    table.only(attrs.fields_dict(DirectLineSpec))
    secret_env = table.text("secret_env")
    token_env = table.text("token_env") or None
    if token_env is not None:
        if secret_env:
            raise ProfileError(
                f"{table.where('token_env')}: set secret_env or token_env, not both"
                " (a secret starts any number of conversations, a token exactly one)"
            )
        secret_env = ""
        if token_env not in env:
            raise ProfileError(
                f"{table.where('token_env')}: environment variable {token_env} is not set"
                " (it holds a Direct Line token; the token itself never goes in a profile)"
            )
    if secret_env is None:
        secret_env = "DIRECTLINE_SECRET"
    if secret_env and secret_env not in env:
        raise ProfileError(
            f"{table.where('secret_env')}: environment variable {secret_env} is not set"
            " (it holds the Direct Line secret; the secret itself never goes in a profile)"
        )
    return DirectLineSpec(
        secret_env=secret_env or None,
        token_env=token_env,
        user_id=table.text("user_id") or "convsim-{session_id}",
        user_name=table.text("user_name") or "Customer",
        locale=table.text("locale") or "en-US",
        stream=table.boolean("stream", True),
        poll_interval=table.seconds("poll_interval", 1.0, positive=True),
        refresh_margin=table.seconds("refresh_margin", 120.0),
        start_event=table.text("start_event") or None,
    )
