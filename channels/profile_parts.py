"""The parts of a bot profile (what to send, how to read replies, reconnects, callbacks).

Each part is a frozen attrs class with the parser for its TOML table next to it, so
:mod:`channels.profile` reads as the profile as a whole.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

from channels.paths import JsonPath, PathError
from channels.profile_reader import ProfileError, Table
from channels.templates import FrameTemplate, TemplateError


@attrs.frozen
class RequestSpec:
    body: FrameTemplate
    setup: FrameTemplate | None = None
    """Sent once when a session starts (``send_setup = false`` leaves it out)."""
    resend_setup: bool = False


@attrs.frozen
class ReplySpec:
    format: str = "json"
    text: tuple[JsonPath, ...] = ()
    turn_complete: JsonPath | None = None
    filter_path: JsonPath | None = None
    filter_values: tuple[str | int | float | bool, ...] = ()
    session: JsonPath | None = None
    id: JsonPath | None = None


@attrs.frozen
class ReconnectPolicy:
    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    retry_sent: bool = False
    """Webhooks: also retry a request that may have reached the bot (the server disconnected
    mid-request). Off: the bot could process the message twice."""

    def delay(self, attempt: int) -> float:
        """Seconds to wait before reconnect attempt ``attempt`` (1-based): exponential, capped."""
        return float(min(self.backoff * 2 ** (attempt - 1), self.max_backoff))


@attrs.frozen
class CallbackSpec:
    host: str = "127.0.0.1"
    port: int = 0
    path: str = "/callback"
    public_url: str | None = None


def _template(table: Table, key: str, fmt: str) -> FrameTemplate | None:
    value = table.raw(key)
    if value is None:
        return None
    try:
        return FrameTemplate.from_value(value, format=fmt, where=table.where(key))
    except TemplateError as exc:
        raise ProfileError(str(exc)) from exc


def parse_request(table: Table, *, kind: str, response_mode: str) -> RequestSpec:
    table.only(("format", "body", "setup", "resend_setup", "send_setup"))
    fmt = table.choice("format", ("json", "text"), "json")
    if fmt == "text" and kind == "webhook":
        raise ProfileError(f"{table.where('format')}: webhooks send JSON; 'text' is for websockets")
    raw_body = table.raw("body")
    if raw_body is not None and not (raw_body.strip() if isinstance(raw_body, str) else raw_body):
        raise ProfileError(
            f"{table.where('body')}: empty; expected the message template (e.g. with {{text}})"
        )
    body = _template(table, "body", fmt)
    if body is None:
        raise ProfileError(f"{table.where('body')}: missing; expected the message template")
    setup = _template(table, "setup", fmt) if table.boolean("send_setup", True) else None
    for template, key in ((body, "body"), (setup, "setup")):
        if template is None:
            continue
        if response_mode != "callback" and template.placeholders & {"callback_url", "service_url"}:
            raise ProfileError(
                f"{table.where(key)}: {{callback_url}}/{{service_url}} need response_mode ="
                " 'callback' (convsim only runs a callback server for callback bots)"
            )
    return RequestSpec(body=body, setup=setup, resend_setup=table.boolean("resend_setup", False))


def _path(table: Table, key: str) -> JsonPath | None:
    text = table.text(key)
    if not text:  # "" switches off a path a preset set
        return None
    try:
        return JsonPath.compile(text)
    except PathError as exc:
        raise ProfileError(f"{table.where(key)}: {exc}") from exc


def parse_reply(table: Table) -> ReplySpec:
    table.only(("format", "text", "turn_complete", "filter", "session", "id"))
    fmt = table.choice("format", ("json", "text", "auto"), "json")
    texts: list[JsonPath] = []
    for text in table.text_list("text"):
        try:
            texts.append(JsonPath.compile(text))
        except PathError as exc:
            raise ProfileError(f"{table.where('text')}: {exc}") from exc
    if fmt == "json" and not texts:
        raise ProfileError(f"{table.where('text')}: missing; expected the JSON path of reply texts")
    flt = table.table("filter")
    flt.only(("path", "equals"))
    filter_path = _path(flt, "path")
    filter_values = flt.scalars("equals")
    if (filter_path is None) != (not filter_values):
        raise ProfileError(f"{table.where('filter')}: expected both 'path' and 'equals'")
    return ReplySpec(
        format=fmt,
        text=tuple(texts),
        turn_complete=_path(table, "turn_complete"),
        filter_path=filter_path,
        filter_values=filter_values,
        session=_path(table, "session"),
        id=_path(table, "id"),
    )


def parse_reconnect(table: Table) -> ReconnectPolicy:
    table.only(("attempts", "backoff", "max_backoff", "retry_sent"))
    return ReconnectPolicy(
        attempts=table.integer("attempts", 3, minimum=0),
        backoff=table.seconds("backoff", 0.5),
        max_backoff=table.seconds("max_backoff", 8.0),
        retry_sent=table.boolean("retry_sent", False),
    )


def parse_callback(table: Table) -> CallbackSpec:
    table.only(("host", "port", "path", "public_url"))
    path = table.text("path") or "/callback"
    if not path.startswith("/"):
        raise ProfileError(
            f"{table.where('path')}: expected a path starting with '/', got {path!r}"
        )
    public_url = table.text("public_url") or None
    if public_url is not None and urlsplit(public_url).scheme not in ("http", "https"):
        raise ProfileError(f"{table.where('public_url')}: expected an http(s):// URL")
    return CallbackSpec(
        host=table.text("host") or "127.0.0.1",
        port=table.integer("port", 0, minimum=0, maximum=65535),
        path=path,
        public_url=public_url.rstrip("/") if public_url else None,
    )
