"""Checks on what a bot profile names: URLs that parse, headers that can be sent.

Each refuses at load what would otherwise fail later with a traceback (``ws://host:99999``,
``http://]``) or only when the first message is sent (a header value with CRLF).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import SplitResult, urlsplit

from channels.profile_reader import ProfileError
from channels.templates import TemplateError, expand_env


def split_url(url: str, where: str) -> SplitResult:
    """``urlsplit`` with every way a URL can be malformed as a :class:`ProfileError`."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
    except ValueError as exc:
        raise ProfileError(f"{where}: not a valid URL {url!r}: {exc}") from None
    if any(ch in url for ch in "\r\n\x00 "):
        raise ProfileError(f"{where}: not a valid URL {url!r}: it contains spaces or controls")
    return parts


def check_header(name: str, value: str, env: Mapping[str, str], where: str) -> None:
    """A header that cannot be sent is refused at load, not when the first message goes out."""
    if not _TOKEN.fullmatch(name):
        raise ProfileError(f"{where}: {name!r} is not a valid HTTP header name")
    if not isinstance(value, str):
        raise ProfileError(f"{where}: expected a string, got {value!r}")
    try:
        expanded = expand_env(value, env, where=where)
    except TemplateError:
        expanded = value  # a missing variable is reported by _check_env
    if any(ch in expanded for ch in "\r\n\x00"):
        raise ProfileError(
            f"{where}: a header value cannot contain a line break or NUL (header injection)"
        )


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""RFC 9110 token: the characters a header name may have."""
