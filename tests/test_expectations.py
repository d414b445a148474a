"""The [expect] table: parsing (with one-line errors) and the central conversation check."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from convsim_core.expectations import FindingKind, check_conversation
from convsim_core.models import Message, ParticipantRole
from convsim_core.scenario import ScenarioError, load_scenario

BASE = """
title = "Refund"
initial_message = "I was charged twice."
[[outcomes]]
name = "refunded"
keywords = ["refund has been issued"]
said_by = "agent"
[[outcomes]]
name = "escalated"
keywords = ["supervisor"]
[[outcomes]]
name = "abandoned"
keywords = ["forget it"]
"""

EXPECT = """
[expect]
pass = ["refunded"]
fail = ["escalated"]
max_messages = 4
min_pass_rate = 0.8
must_say = ["refund has   been issued", { regex = "ORD-\\\\d{3}" }]
must_not_say = ["restocking fee"]
"""


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "refund.toml"
    path.write_text(BASE + text, encoding="utf-8")
    return load_scenario(path)


def _chat(*lines: tuple[str, str]) -> tuple[Message, ...]:
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    return tuple(Message(text, stamp, ParticipantRole(role)) for role, text in lines)


def test_expect_table_is_parsed(tmp_path: Path) -> None:
    expect = _load(tmp_path, EXPECT).expect
    assert expect is not None
    assert expect.passing == ("refunded",)
    assert expect.failing == ("escalated",)
    assert expect.max_messages == 4
    assert expect.min_pass_rate == 0.8
    assert [c.regex for c in expect.must_say] == [False, True]
    assert _load(tmp_path, "").expect is None


def test_min_pass_rate_defaults_to_every_run(tmp_path: Path) -> None:
    expect = _load(tmp_path, '[expect]\npass = ["refunded"]\n').expect
    assert expect is not None and expect.min_pass_rate == 1.0


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('pass = ["refundd"]', "expect.pass[0]: 'refundd' is not one of the outcomes"),
        ("pass = []", "expect.pass: expected at least one outcome"),
        ('pass = ["refunded"]\nfail = ["refunded"]', "is in both pass and fail"),
        ('pass = ["refunded"]\nmin_pass_rate = 1.5', "expected a share between 0 and 1"),
        ('pass = ["refunded"]\nmust_say = [{ regex = "(" }]', "invalid regular expression"),
        ('pass = ["refunded"]\nmust_say = [3]', "expect.must_say[0]: expected a non-empty"),
        ('pass = ["refunded"]\nmust_sey = ["x"]', "unknown key (did you mean 'must_say'?)"),
    ],
)
def test_bad_expect_tables_are_one_line_errors(tmp_path: Path, table: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        _load(tmp_path, "[expect]\n" + table + "\n")
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_passing_conversation_has_no_findings(tmp_path: Path) -> None:
    expect = _load(tmp_path, EXPECT).expect
    assert expect is not None
    chat = _chat(
        ("customer", "I was charged twice on ORD-123."),
        ("agent", "Your REFUND has been\nissued for ORD-123."),
    )
    assert check_conversation(expect, "refunded", chat).passed


def test_every_shortfall_is_found_with_its_message_index(tmp_path: Path) -> None:
    expect = _load(tmp_path, EXPECT).expect
    assert expect is not None
    chat = _chat(
        ("customer", "I was charged twice; the refund has been issued? ORD-123"),
        ("agent", "Let me check."),
        ("agent", "There is a restocking fee."),
        ("customer", "Fine."),
        ("agent", "Transferring you to a supervisor."),
    )
    check = check_conversation(expect, "escalated", chat)
    kinds = [(f.kind, f.message_index) for f in check.findings]
    assert kinds == [
        (FindingKind.FORBIDDEN_OUTCOME, None),
        (FindingKind.TOO_LONG, 4),
        # The customer's words never count as the agent's.
        (FindingKind.MISSING_PHRASE, None),
        (FindingKind.MISSING_PHRASE, None),
        (FindingKind.FORBIDDEN_PHRASE, 2),
    ]
    assert "the agent said 'restocking fee' (message 2)" in check.summary


def test_wrong_and_missing_outcomes(tmp_path: Path) -> None:
    expect = _load(tmp_path, '[expect]\npass = ["refunded"]\n').expect
    assert expect is not None
    chat = _chat(("customer", "hi"), ("agent", "hello"))
    wrong = check_conversation(expect, "abandoned", chat).findings
    assert [f.kind for f in wrong] == [FindingKind.WRONG_OUTCOME]
    none = check_conversation(expect, None, chat).findings
    assert [f.kind for f in none] == [FindingKind.NO_OUTCOME]
