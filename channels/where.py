"""Where a conversation went: the bot's address without secrets and the ids the bot saw.

Recorded in every transcript header so a failed conversation can be found in the bot's own
logs (Rasa's ``sender``, Botkit's ``user``, Bot Framework's ``conversation.id``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from channels.paths import string_leaves
from channels.profile import BotProfile
from channels.templates import FrameTemplate

_SECRET_WORDS = ("token", "key", "secret", "sig", "password", "passwd", "auth", "code", "jwt")
_HIDDEN = "***"


def public_url(url: str) -> str:
    """``url`` without user info and with secret-looking query values replaced by ``***``.

    Profiles keep ``${NAME}`` references unexpanded, so a secret from the environment never
    reaches this function; this catches secrets written into the URL itself.
    """
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [
                (name, _HIDDEN if any(w in name.lower() for w in _SECRET_WORDS) else value)
                for name, value in pairs
            ],
            safe="${}*",
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def describe_profile(profile: BotProfile) -> dict[str, Any]:
    """The transcript header's ``bot`` entry: kind, URL, preset and the profile file."""
    info: dict[str, Any] = {
        "kind": profile.kind,
        "url": public_url(profile.url),
        "preset": profile.preset,
    }
    if profile.kind == "webhook":
        info["response_mode"] = profile.response_mode
    else:
        info["session_mode"] = profile.session_mode
    source = profile.source
    if source and not source.startswith(("bot URL ", "<")):
        info["profile"] = source
    return info


def wire_ids(template: FrameTemplate, session_id: str) -> dict[str, str]:
    """Each field of the request that carries the session id, with the value the bot sees.

    ``{"sender": S}`` for Rasa, ``{"conversation.id": S, "from.id": "customer-S"}`` for Bot
    Framework; a plain-text bot sees no id, so there only convsim's own session id is given.
    """
    ids: dict[str, str] = {"convsim_session": session_id}
    if template.format != "json":
        return ids
    document = json.loads(template.source)
    for path, value in string_leaves(document):
        if "{session_id}" in value:
            ids[path] = value.replace("{session_id}", session_id)
    return ids
