"""Numbers on the command line, checked where they are typed and refused in the user's terms.

``float("nan")`` and ``float("inf")`` parse, ``int("x")`` fails with Python's wording, and
argparse reports a ``type=`` failure as "invalid _positive_int value". Every numeric flag goes
through a :class:`NumberRule` instead, so ``--max-messages x`` says
"--max-messages must be a whole number, got 'x'" and ``--speed nan`` says
"--speed must be a positive number, got 'nan'".

Add such a flag with :func:`add_number` and the rule::

    add_number(parser, "--runs", rule=RUNS, metavar="N")

or call :meth:`NumberRule.parse` (raises :class:`NumberError`) for values from elsewhere.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from typing import Any

import attrs


class NumberError(ValueError):
    """A number that breaks its rule; the message names the flag and quotes what was given."""


@attrs.frozen
class NumberRule:
    """What one flag accepts: whole or not, and its bounds (always finite, never nan)."""

    whole: bool = False
    minimum: float | None = None
    """Smallest value allowed (inclusive)."""
    above: float | None = None
    """Values must be greater than this (exclusive): ``above=0`` for "positive"."""
    maximum: float | None = None
    """Largest value allowed (inclusive): keeps ``--runs 1e12`` from eating the disk."""

    @property
    def noun(self) -> str:
        """How a message names the kind of number, e.g. "a positive number"."""
        if self.whole:
            return "a whole number"  # the bounds come with their own message
        if self.above == 0:
            return "a positive number"
        if self.minimum == 0:
            return "a non-negative number"
        return "a number"

    def parse(self, text: str, name: str) -> int | float:
        """``text`` as a number that keeps the rule; :class:`NumberError` naming ``name``."""
        value: int | float
        try:
            value = int(text) if self.whole else float(text)
        except ValueError:
            raise NumberError(f"{name} must be {self.noun}, got {text!r}") from None
        if not math.isfinite(value):
            raise NumberError(f"{name} must be {self.noun}, got {text!r}")
        if self.above is not None and not value > self.above:
            raise NumberError(f"{name} must be greater than {_show(self.above)}, got {text}")
        if self.minimum is not None and value < self.minimum:
            raise NumberError(f"{name} must be at least {_show(self.minimum)}, got {text}")
        if self.maximum is not None and value > self.maximum:
            raise NumberError(f"{name} must be at most {_show(self.maximum)}, got {text}")
        return value


def _show(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


MAX_RUNS = 100_000
"""Runs per scenario: far beyond any useful batch, far below a typo that fills the disk."""
MAX_CONCURRENCY = 1_000
"""Conversations at once: each holds a socket and an LLM request; beyond this they only queue."""

ANY_WHOLE = NumberRule(whole=True)
"""Seeds: any whole number."""
POSITIVE_WHOLE = NumberRule(whole=True, minimum=1)
POSITIVE = NumberRule(above=0)
NON_NEGATIVE = NumberRule(minimum=0)
RUNS = NumberRule(whole=True, minimum=1, maximum=MAX_RUNS)
CONCURRENCY = NumberRule(whole=True, minimum=1, maximum=MAX_CONCURRENCY)
PORT = NumberRule(whole=True, minimum=0, maximum=65535)
FINITE = NumberRule()


class NumberAction(argparse.Action):
    """An argparse action that parses its value with a :class:`NumberRule`.

    An action rather than ``type=`` because only the action knows the flag's name, which the
    message leads with; the error goes through the parser, so it is one line and exit code 2.
    """

    def __init__(
        self, option_strings: Sequence[str], dest: str, *, rule: NumberRule, **kwargs: Any
    ) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.rule = rule

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        name = option_string or self.metavar or self.dest
        try:
            number = self.rule.parse(str(values), str(name))
        except NumberError as exc:
            parser.error(str(exc))
        setattr(namespace, self.dest, number)


def add_number(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    *flags: str,
    rule: NumberRule,
    **kwargs: Any,
) -> argparse.Action:
    """Add a numeric flag that ``rule`` checks (``kwargs`` as ``add_argument`` takes them).

    One way for every numeric flag of every command, so none is left with a bare ``type=int``
    and Python's wording in its error.
    """
    return parser.add_argument(*flags, action=NumberAction, rule=rule, **kwargs)
