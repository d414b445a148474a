"""One wording for wire failures, so every channel names the URL and the cause the same way."""

from __future__ import annotations

from convsim_core.channel import ChannelError


def describe(exc: BaseException) -> str:
    """A short cause for a user-facing message (exception text, else its type)."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def unreachable(url: str, exc: BaseException | str) -> ChannelError:
    """``cannot reach <URL>: <cause>``; pass the profile's unexpanded URL (no secrets in it)."""
    cause = exc if isinstance(exc, str) else describe(exc)
    return ChannelError(f"cannot reach {url}: {cause}")
