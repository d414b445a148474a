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
    """``cannot reach <URL>: <cause>``, the URL without user info or secret query values (a URL
    typed on the command line may carry them; messages end up in CI logs)."""
    from channels.where import public_url  # where -> profile -> ... would be an import cycle

    cause = exc if isinstance(exc, str) else describe(exc)
    return ChannelError(f"cannot reach {public_url(url)}: {cause}")
