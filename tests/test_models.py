from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from convsim_core import models
from convsim_core.serialization import SchemaError, dumps, from_json, loads, to_json

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _outcomes() -> models.Outcomes:
    return models.Outcomes(
        (
            models.Outcome("resolved", "Customer issue was fully resolved"),
            models.Outcome("escalated", "Issue was escalated to supervisor"),
        )
    )


def test_role_other_side() -> None:
    assert models.ParticipantRole.AGENT.other is models.ParticipantRole.CUSTOMER
    assert models.ParticipantRole.CUSTOMER.other is models.ParticipantRole.AGENT


def test_models_are_frozen() -> None:
    message = models.Message("hi", T0, models.ParticipantRole.CUSTOMER)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        message.content = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: models.MessageDraft(3, models.ParticipantRole.AGENT), "content must be a string"),  # type: ignore[arg-type]
        (lambda: models.MessageDraft("hi", "agent"), "sender must be a ParticipantRole"),  # type: ignore[arg-type]
        (lambda: models.Message("hi", "2026-01-01", models.ParticipantRole.AGENT), "timestamp"),  # type: ignore[arg-type]
        (lambda: models.Intent("customer", "x"), "role must be a ParticipantRole"),  # type: ignore[arg-type]
        (lambda: models.Outcome("Resolved", "x"), "lowercase slug"),
        (lambda: models.Outcome("sale completed", "x"), "lowercase slug"),
        (lambda: models.Outcome("", "x"), "lowercase slug"),
    ],
)
def test_bad_values_raise_clear_value_errors(build: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        build()  # type: ignore[operator]


def test_outcome_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique; repeated: resolved"):
        models.Outcomes((models.Outcome("resolved", "a"), models.Outcome("resolved", "b")))


def test_outcome_lookup() -> None:
    outcomes = _outcomes()
    assert outcomes.get_outcome_by_name("escalated") == models.Outcome(
        "escalated", "Issue was escalated to supervisor"
    )
    assert outcomes.get_outcome_by_name("missing") is None
    assert outcomes.names == ("resolved", "escalated")


def test_conversation_with_message_returns_new_copy() -> None:
    first = models.Message("hi", T0, models.ParticipantRole.CUSTOMER)
    conversation = models.Conversation((first,))
    second = models.Message("hello", T0, models.ParticipantRole.AGENT)
    grown = conversation.with_message(second)
    assert conversation.messages == (first,)
    assert grown.messages == (first, second)
    assert grown.last_message == second


def test_usage_adds_up() -> None:
    total = models.Usage(1, 10, 5, 0) + models.Usage(2, 3, 4, 1)
    assert total == models.Usage(3, 13, 9, 1)
    assert total.total_tokens == 22


@pytest.mark.parametrize("bad", [-1, True, "3", 2.5])
def test_usage_counts_are_whole_numbers(bad: object) -> None:
    with pytest.raises(ValueError, match="prompt_tokens must be a whole number >= 0"):
        models.Usage(prompt_tokens=bad)  # type: ignore[arg-type]


def _result() -> models.ConversationResult:
    outcomes = _outcomes()
    messages = (
        models.Message("Hello, I need help", T0, models.ParticipantRole.CUSTOMER),
        models.Message(
            "Sure — what's up? ✨",
            T0.replace(second=5, microsecond=120),
            models.ParticipantRole.AGENT,
        ),
    )
    return models.ConversationResult(
        conversation=models.Conversation(messages, outcomes.outcomes[0]),
        duration_seconds=0.25,
        termination_reason=models.TerminationReason.OUTCOME_REACHED,
        termination_detail="outcome 'resolved' reached",
        usage=models.Usage(2, 30, 12, 1),
        judgement=models.Judgement(outcomes.outcomes[0], "agent said refunded", 1),
        inferred_intent="get a refund",
        seed=42,
        protocol_errors=("not JSON: {oops",),
    )


@pytest.mark.parametrize(
    "model",
    [
        models.MessageDraft("hi", models.ParticipantRole.CUSTOMER),
        models.Message("hi", T0, models.ParticipantRole.AGENT),
        models.Message("naive time", datetime(2026, 1, 1, 12, 0), models.ParticipantRole.AGENT),
        models.Intent(models.ParticipantRole.AGENT, "Upsell customer to premium plan"),
        models.Outcome("sale_completed", "Customer completed a purchase"),
        _outcomes(),
        models.Conversation((models.Message("hi", T0, models.ParticipantRole.CUSTOMER),)),
        models.Usage(1, 2, 3, 4),
        _result(),
    ],
)
def test_json_round_trips_exactly(model: object) -> None:
    data = to_json(model)
    assert data["schema_version"] == 1
    assert loads(dumps(model)) == model
    assert from_json(data) == model


def test_json_is_stable() -> None:
    text = dumps(models.Message("hi", T0, models.ParticipantRole.AGENT))
    assert text == (
        '{"schema_version":1,"type":"message","content":"hi",'
        '"timestamp":"2026-03-01T09:30:00+00:00","sender":"agent"}'
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{oops", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"schema_version": 99, "type": "message"}', "unsupported schema_version 99"),
        ('{"schema_version": 1, "type": "banana"}', "unknown type tag 'banana'"),
        (
            '{"schema_version":1,"type":"message","content":3,'
            '"timestamp":"2026-01-01T00:00:00","sender":"agent"}',
            r"expected a string, got int @ \$.content",
        ),
        (
            '{"schema_version":1,"type":"message","content":"x",'
            '"timestamp":"2026-01-01T00:00:00","sender":"bot"}',
            r"ParticipantRole @ \$.sender",
        ),
        (
            '{"schema_version":1,"type":"outcome","name":"Bad Name","description":"x"}',
            "lowercase slug",
        ),
    ],
)
def test_bad_json_gets_a_clear_error(text: str, fragment: str) -> None:
    with pytest.raises(SchemaError, match=fragment):
        loads(text)


def test_loads_checks_expected_type() -> None:
    with pytest.raises(SchemaError, match="expected a 'result' document, got 'message'"):
        loads(
            dumps(models.Message("hi", T0, models.ParticipantRole.AGENT)), models.ConversationResult
        )


def test_restamped_copies_every_field_but_the_timestamp() -> None:
    values = {
        "content": "pick one",
        "timestamp": T0,
        "sender": models.ParticipantRole.CUSTOMER,
        "author": "person",
        "attachments": (models.Attachment("image", "https://example.com/a.png"),),
        "quick_replies": (models.QuickReply("Yes", "yes"),),
        "choice": models.QuickReply("Yes", "yes"),
    }
    # A field added to Message must be added here and to Message.restamped (written out).
    assert [field.name for field in attrs.fields(models.Message)] == list(values)
    message = models.Message(**values)  # type: ignore[arg-type]
    later = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    restamped = message.restamped(later)
    assert restamped == attrs.evolve(message, timestamp=later)
    assert restamped.timestamp == later and message.timestamp == T0
