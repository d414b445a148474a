"""Refuse user regular expressions that can backtrack without bound.

Python's ``re`` has no time limit and holds the GIL, so ``(a|aa)+$`` against a long bot reply
stalled a simulation for a minute and even the wall-time cap could not interrupt it. The
patterns that do this are repeats over something that can match the same text in more than one
way: a repeat inside a repeat (``(a+)+``) or alternatives inside a repeat (``(a|aa)+``). Those
are refused when the scenario loads; possessive repeats and atomic groups, which never
backtrack, are allowed.
"""

from __future__ import annotations

import re
from re import _constants as _c  # type: ignore[attr-defined]  # 3.11+: what re uses
from re import _parser as _sre  # type: ignore[attr-defined]
from typing import Any

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}
_UNBOUNDED = 50
"""A repeat allowing more than this many copies counts as unbounded."""


def backtracking_risk(pattern: str) -> str | None:
    """Why ``pattern`` may take exponential time (None when it cannot); ``re.error`` if invalid."""
    try:
        tree = _sre.parse(pattern)
    except RecursionError:
        return "it is nested too deeply"
    return _walk(list(tree), inside_repeat=False)


def check_pattern(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern``, raising ``ValueError`` for invalid or explosive ones."""
    try:
        compiled = re.compile(pattern)
        risk = backtracking_risk(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    if risk is not None:
        raise ValueError(
            f"the regular expression {pattern!r} can take exponential time ({risk});"
            " write it without repeating a group that has alternatives or repeats inside"
        )
    return compiled


def _walk(items: list[tuple[Any, Any]], *, inside_repeat: bool) -> str | None:
    for op, av in items:
        if op in _REPEATS:
            _low, high, body = av
            unbounded = high == _c.MAXREPEAT or high > _UNBOUNDED
            if unbounded and inside_repeat:
                return "a repeat inside a repeat"
            if unbounded and _has_branch(list(body)):
                return "alternatives inside a repeat"
            found = _walk(list(body), inside_repeat=inside_repeat or unbounded)
        elif op is _c.POSSESSIVE_REPEAT or op is _c.ATOMIC_GROUP:
            continue  # never backtracks into
        else:
            found = None
            for child in _children(op, av):
                found = found or _walk(child, inside_repeat=inside_repeat)
        if found is not None:
            return found
    return None


def _has_branch(items: list[tuple[Any, Any]]) -> bool:
    for op, av in items:
        if op is _c.BRANCH:
            return True
        if op is _c.POSSESSIVE_REPEAT or op is _c.ATOMIC_GROUP:
            continue
        if op in _REPEATS:
            if _has_branch(list(av[2])):
                return True
            continue
        if any(_has_branch(child) for child in _children(op, av)):
            return True
    return False


def _children(op: Any, av: Any) -> list[list[tuple[Any, Any]]]:
    if op is _c.SUBPATTERN:
        return [list(av[3])]
    if op is _c.BRANCH:
        return [list(branch) for branch in av[1]]
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        return [list(av[1])]
    if op is _c.GROUPREF_EXISTS:
        return [list(part) for part in av[1:] if part is not None]
    return []
