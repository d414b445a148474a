"""One wording for wire failures, so every channel names the URL and the cause the same way."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit

from convsim_core.channel import ChannelError

WRONG_ENDPOINT = frozenset({404, 405, 410})
"""HTTP statuses that say the URL (or method) is wrong rather than that one message failed."""


def describe(exc: BaseException) -> str:
    """A short cause for a user-facing message (exception text, else its type)."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def unreachable(url: str, exc: BaseException | str) -> ChannelError:
    """``cannot reach <URL>: <cause>``, the URL without user info or secret query values (a URL
    typed on the command line may carry them; messages end up in CI logs)."""
    from channels.where import public_url  # where -> profile -> ... would be an import cycle

    cause = exc if isinstance(exc, str) else describe(exc)
    return ChannelError(f"cannot reach {public_url(url)}: {cause}")


def wrong_endpoint(url: str, method: str, status: int) -> ChannelError:
    """``cannot reach <URL>: POST /path answered HTTP 404 Not Found (...)``: a server answered,
    but no bot is at that path. Worded as an unreachable bot (one clear failure, exit code 2 in
    ``convsim connect``), never as an unreadable reply: the bot never saw the message."""
    try:
        phrase = f" {HTTPStatus(status).phrase}"
    except ValueError:
        phrase = ""
    path = urlsplit(url).path or "/"
    why = f"this path does not take {method} requests" if status == 405 else "no bot at this path"
    return unreachable(
        url, f"{method} {path} answered HTTP {status}{phrase} ({why}: is it the bot's URL?)"
    )
