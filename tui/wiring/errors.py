"""The error a person can fix: the CLI prints it as one line and exits 2, without a traceback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class UserError(Exception):
    """An error the user can fix; printed as one line, exit code 2, no traceback."""


@contextlib.contextmanager
def as_user_error(*kinds: type[Exception], prefix: str = "") -> Iterator[None]:
    """Re-raise ``kinds`` (scenario, profile, channel errors...) as :class:`UserError`.

    Their messages are already written for people (file, line, closest key); only the exit
    code and the missing traceback differ, so the text is kept as it is.
    """
    try:
        yield
    except kinds as exc:
        raise UserError(f"{prefix}{exc}") from exc
