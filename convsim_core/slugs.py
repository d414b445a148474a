"""The one definition of a slug: the names people type in scenario files and on the command line.

Scenario names may use ``-`` (they become file names: ``refund-request``); outcome names may
not (they are identifiers in reports and CSV columns: ``sale_completed``). One pattern, one
switch, so the two rules cannot drift apart.
"""

from __future__ import annotations

import re

_SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")


def is_slug(text: str, *, dash: bool = True) -> bool:
    """Lowercase a-z, 0-9 and ``_`` (and ``-`` when ``dash``), starting with a letter."""
    return bool(_SLUG.match(text)) and (dash or "-" not in text)
