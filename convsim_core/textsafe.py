"""Text from the outside world (bot replies, callback paths, files) made safe to print or log.

A bot reply is data, but a terminal treats some characters as commands: ESC sequences set the
window title, clear the screen, write the clipboard or hide text; a carriage return or a
newline in a log argument forges a log line. Everything shown to a person goes through one of
the two functions here, which replace those characters by visible escapes (``\\x1b``); the
transcript on disk keeps the exact text.
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""Direction overrides and isolates: they reorder what the eye sees ("trojan source")."""

_UNSAFE_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
"""C0 controls except tab and newline, DEL, C1 controls, line separators, bidi controls."""
_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
"""The same plus tab and newline: a log line stays one line."""

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab shown as an escape."""
    if _UNSAFE_TEXT.search(text) is None:  # the common case: no copy
        return text
    return _UNSAFE_TEXT.sub(_escape, text)


def one_line(text: str) -> str:
    """``text`` as one harmless line (newlines too become ``\\n``): for logs and one-line errors."""
    if _UNSAFE_LINE.search(text) is None:
        return text
    return _UNSAFE_LINE.sub(_escape, text)


def has_controls(text: str) -> bool:
    """Whether :func:`printable` would change ``text``."""
    return _UNSAFE_TEXT.search(text) is not None
