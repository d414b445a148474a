"""A scenario's ``[expect]`` table: what counts as a passing conversation, checked in one place.

A conversation passes when it ended in one of the ``pass`` outcomes, none of the ``fail``
outcomes, within ``max_messages``, and the agent said every ``must_say`` phrase and none of the
``must_not_say`` ones. ``min_pass_rate`` is the share of conversations that must pass for the
scenario to pass (see :mod:`convsim_core.batch.verdict`). Every finding records the index of
the message it is about, so a report can point at the exact line.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from convsim_core.models import Message, Outcomes, ParticipantRole
from convsim_core.regexsafe import check_pattern
from convsim_core.scenario_reader import ScenarioError, TableReader, describe_type


class FindingKind(enum.StrEnum):
    NO_OUTCOME = "no_outcome"
    WRONG_OUTCOME = "wrong_outcome"
    FORBIDDEN_OUTCOME = "forbidden_outcome"
    TOO_LONG = "too_long"
    MISSING_PHRASE = "missing_phrase"
    FORBIDDEN_PHRASE = "forbidden_phrase"


@attrs.frozen
class PhraseCheck:
    """A phrase (case-insensitive, whitespace-tolerant) or a regular expression."""

    text: str
    regex: bool = False
    pattern: re.Pattern[str] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.regex:
            check_pattern(self.text)  # runs on the bot's text: explosive patterns are refused
            compiled = re.compile(self.text, re.IGNORECASE)
        else:
            words = [re.escape(word) for word in self.text.split()]
            compiled = re.compile(r"\s+".join(words), re.IGNORECASE)
        object.__setattr__(self, "pattern", compiled)

    @property
    def label(self) -> str:
        return f"/{self.text}/" if self.regex else repr(self.text)

    def first_match(self, messages: Sequence[Message], role: ParticipantRole) -> int | None:
        for index, message in enumerate(messages):
            if message.sender is role and self.pattern.search(message.content):
                return index
        return None

    def to_dict(self) -> dict[str, Any] | str:
        return {"regex": self.text} if self.regex else self.text


@attrs.frozen
class Expectations:
    passing: tuple[str, ...]
    """Outcomes that count as a pass (``pass`` in the file)."""
    failing: tuple[str, ...] = ()
    """Forbidden outcomes (``fail``): reaching one is a failure whatever else happened."""
    max_messages: int | None = None
    min_pass_rate: float = 1.0
    must_say: tuple[PhraseCheck, ...] = ()
    must_not_say: tuple[PhraseCheck, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "pass": list(self.passing),
            "fail": list(self.failing),
            "max_messages": self.max_messages,
            "min_pass_rate": self.min_pass_rate,
            "must_say": [c.to_dict() for c in self.must_say],
            "must_not_say": [c.to_dict() for c in self.must_not_say],
        }


@attrs.frozen
class Finding:
    """One reason a conversation did not pass."""

    kind: FindingKind
    detail: str
    message_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "detail": self.detail, "message_index": self.message_index}


@attrs.frozen
class ConversationCheck:
    findings: tuple[Finding, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def summary(self) -> str:
        return "; ".join(f.detail for f in self.findings) or "passed"


def check_conversation(
    expect: Expectations,
    outcome: str | None,
    messages: Sequence[Message],
    *,
    agent: ParticipantRole = ParticipantRole.AGENT,
) -> ConversationCheck:
    """Every way ``messages`` (ending in ``outcome``) falls short of ``expect``."""
    findings: list[Finding] = []
    if outcome is not None and outcome in expect.failing:
        findings.append(Finding(FindingKind.FORBIDDEN_OUTCOME, f"forbidden outcome {outcome!r}"))
    elif outcome is None:
        findings.append(
            Finding(FindingKind.NO_OUTCOME, f"no outcome (expected {_names(expect.passing)})")
        )
    elif outcome not in expect.passing:
        findings.append(
            Finding(
                FindingKind.WRONG_OUTCOME,
                f"outcome {outcome!r} (expected {_names(expect.passing)})",
            )
        )
    if expect.max_messages is not None and len(messages) > expect.max_messages:
        findings.append(
            Finding(
                FindingKind.TOO_LONG,
                f"{len(messages)} messages (at most {expect.max_messages})",
                expect.max_messages,
            )
        )
    for check in expect.must_say:
        if check.first_match(messages, agent) is None:
            findings.append(
                Finding(FindingKind.MISSING_PHRASE, f"the agent never said {check.label}")
            )
    for check in expect.must_not_say:
        index = check.first_match(messages, agent)
        if index is not None:
            findings.append(
                Finding(
                    FindingKind.FORBIDDEN_PHRASE,
                    f"the agent said {check.label} (message {index})",
                    index,
                )
            )
    return ConversationCheck(tuple(findings))


def _names(names: Iterable[str]) -> str:
    return " or ".join(repr(n) for n in names)


# -- reading the table ----------------------------------------------------------------------------


def read_expectations(reader: TableReader | None, outcomes: Outcomes) -> Expectations | None:
    """The ``[expect]`` table of a scenario (None when there is none)."""
    if reader is None:
        return None
    passing = reader.names_of("pass", outcomes.names, "outcomes")
    if not passing:
        raise reader.error("pass", "expected at least one outcome that counts as a pass")
    failing = reader.names_of("fail", outcomes.names, "outcomes")
    both = sorted(set(passing) & set(failing))
    if both:
        raise reader.error("fail", f"{', '.join(map(repr, both))} is in both pass and fail")
    max_messages = reader.optional_integer("max_messages", minimum=1)
    rate = reader.number("min_pass_rate", 1.0, minimum=0.0)
    if rate > 1.0:
        raise reader.error("min_pass_rate", f"expected a share between 0 and 1, got {rate:g}")
    expect = Expectations(
        passing=passing,
        failing=failing,
        max_messages=max_messages,
        min_pass_rate=rate,
        must_say=_phrases(reader, "must_say"),
        must_not_say=_phrases(reader, "must_not_say"),
    )
    reader.finish()
    return expect


def _phrases(reader: TableReader, name: str) -> tuple[PhraseCheck, ...]:
    raw = reader.raw_value(name, [])
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise reader.error(
            name, f"expected an array of phrases or {{ regex = '...' }}, got {describe_type(raw)}"
        )
    checks: list[PhraseCheck] = []
    for index, item in enumerate(raw):
        key = f"{reader.key(name)}[{index}]"
        if isinstance(item, str) and item.strip():
            checks.append(PhraseCheck(item))
            continue
        if isinstance(item, dict) and set(item) == {"regex"} and isinstance(item["regex"], str):
            try:
                checks.append(PhraseCheck(item["regex"], regex=True))
            except ValueError as exc:  # check_pattern's words: invalid or explosive
                raise ScenarioError(reader.source, key, str(exc)) from None
            continue
        raise ScenarioError(
            reader.source,
            key,
            f"expected a non-empty phrase or {{ regex = '...' }}, got {describe_type(item)}"
            f" {item!r}",
        )
    return tuple(checks)
