"""How every hand-written TOML file (scenarios, bot profiles) is read and how its errors read.

Scenario files and bot profiles are both written by hand, often by the same person on the same
afternoon; a mistake in either must be reported the same way: the file, the dotted key, what
was expected and what was there, and for a misspelt key the closest allowed one. The
scenario reader (:mod:`convsim_core.scenario_reader`) and the profile reader
(:mod:`channels.profile_reader`) both word their errors with these functions, and both files
are opened by :func:`read_toml_file`.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

_SHOWN_CHARS = 60


_TYPE_NAMES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "a boolean"),  # before int: a bool is an int to isinstance
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (list, "an array"),
    (Mapping, "a table"),
    ((datetime, date, time), "a date/time"),
)


def describe_type(value: object) -> str:
    """The TOML name of a value's type, for error messages."""
    for kind, name in _TYPE_NAMES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def shown(value: object) -> str:
    """The value as written, shortened: a whole table in an error line helps nobody."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def expected(what: str, value: object) -> str:
    """``expected an integer >= 1, got a string 'ten'``."""
    return f"expected {what}, got {describe_type(value)} {shown(value)}"


def unknown_key(name: str, allowed: Iterable[str]) -> str:
    """``unknown key (did you mean 'max_messages'?)``, else the allowed keys."""
    options = sorted(allowed)
    close = difflib.get_close_matches(name, options, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(options)}"
    return f"unknown key ({hint})"


MISSING = "missing required key"


def read_toml_file(path: Path, what: str, fail: Callable[[str], Exception]) -> dict[str, Any]:
    """The parsed ``what`` file ("scenario", "bot profile"); ``fail(problem)`` builds the error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail(f"no such {what} file") from None
    except UnicodeDecodeError:
        raise fail(f"not a {what} (not UTF-8 text)") from None
    except OSError as exc:
        raise fail(f"cannot read the {what} file: {exc.strerror or exc}") from exc
    return parse_toml(text, fail, what)


def parse_toml(
    text: str, fail: Callable[[str], Exception], what: str = "TOML document"
) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise fail(f"invalid TOML: {exc}") from None
    except RecursionError:
        raise fail(f"not a usable {what} (nested too deeply)") from None
