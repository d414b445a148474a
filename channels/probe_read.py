"""What ``convsim probe`` concluded, and the reading of the frames it collected.

Shared by the WebSocket probe (:mod:`channels.probe`) and the HTTP probes
(:mod:`channels.probe_http`); pure functions over recorded exchanges.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import attrs

from channels.paths import string_leaves
from channels.presets import PRESETS
from channels.probe_wire import Exchange, Frame
from channels.rich import Reply, Unreadable, read_replies


@attrs.frozen
class Finding:
    """What the probe concluded."""

    protocol: str
    usable: bool
    profile: dict[str, Any] | None = None
    """The ``[bot]`` table to use, when there is one."""
    replies: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    """Why not, or what to watch out for; plain sentences."""


@attrs.frozen
class ProbeResult:
    url: str
    exchanges: tuple[Exchange, ...]
    finding: Finding


@attrs.define
class Read:
    """The frames of one exchange, sorted into readable replies and the rest."""

    replies: list[Reply] = attrs.field(factory=list)
    json_replies: int = 0
    plain_replies: int = 0
    unreadable: list[tuple[Frame, str]] = attrs.field(factory=list)
    documents: list[Any] = attrs.field(factory=list)


def read_frames(frames: tuple[Frame, ...] | list[Frame], *, plain_ok: bool = True) -> Read:
    read = Read()
    for frame in frames:
        try:
            document = json.loads(frame.data)
        except ValueError:
            if plain_ok and frame.data.strip() and frame.data.lstrip()[:1] not in "{[":
                read.replies.append(Reply(frame.data))
                read.plain_replies += 1
            else:
                read.unreadable.append((frame, "not JSON"))
            continue
        read.documents.append(document)
        try:
            replies = read_replies(document)
        except Unreadable as exc:
            read.unreadable.append((frame, str(exc)))
            continue
        if replies:
            read.replies.extend(replies)
            read.json_replies += 1
    return read


def texts_of(replies: list[Reply]) -> tuple[str, ...]:
    shown = []
    for reply in replies:
        parts = [reply.text] if reply.text else []
        parts += [a.describe() for a in reply.attachments]
        if reply.quick_replies:
            parts.append("[buttons: " + " | ".join(q.title for q in reply.quick_replies) + "]")
        shown.append(" ".join(parts))
    return tuple(shown)


_META = frozenset({"status", "type", "id", "locale", "channel", "timestamp", "code", "lang"})


def unreadable_notes(read: Read) -> tuple[str, ...]:
    frame, why = read.unreadable[0]
    notes = [f"the bot answered, but convsim could not read it ({why}): {frame.data[:160]!r}"]
    for document in read.documents:
        fields = [
            (path, value)
            for path, value in string_leaves(document, every_item=False)
            if path.rsplit(".", 1)[-1].lower() not in _META and not path.lower().endswith("id")
        ]
        # The longest string is the likeliest message; ids and status words are short.
        paths = [path for path, _ in sorted(fields, key=lambda item: -len(item[1]))]
        if paths:
            notes.append(
                "if the reply text is in one of these fields, set it in the profile:"
                f' [bot.reply] format = "json", text = "{paths[0]}"'
                + (f" (other string fields: {', '.join(paths[1:4])})" if paths[1:] else "")
            )
            break
    return tuple(notes)


def usable(
    protocol: str, profile: dict[str, Any], read: Read, notes: Iterable[str] = ()
) -> Finding:
    """A protocol convsim can talk to: the profile to use and what the bot said in ``read``."""
    return Finding(protocol, True, profile, replies=texts_of(read.replies), notes=tuple(notes))


def preset_finding(protocol: str, preset: str, profile: dict[str, Any], note: str) -> Finding:
    """Socket.IO and Direct Line: the presets of issue 12, usable when this build has them."""
    if preset in PRESETS:
        return Finding(protocol, True, profile, notes=(note,))
    return Finding(
        protocol,
        False,
        profile,
        notes=(note, f"this convsim build has no {preset!r} preset yet, so it cannot talk to it"),
    )
