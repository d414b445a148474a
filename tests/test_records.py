"""Manifests, batch targets and rate limits go through the project's one cattrs converter.

Round trips, and one-line errors that name the field, for what convsim writes next to a batch.
"""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime

import pytest

from convsim_core.batch import BatchFolderError, BatchPlan, RateLimits, ScenarioEntry, ShardSpec
from convsim_core.batch.manifest import BatchManifest
from convsim_core.models import Message, Outcome, Outcomes, ParticipantRole
from convsim_core.serialization import TYPE_TAGS, Document, SchemaError, from_json, to_json
from tui.wiring.bots import BotTarget


def manifest() -> BatchManifest:
    plan = BatchPlan(
        (
            ScenarioEntry("refund", "/x/refund.toml", 3, "Refund"),
            ScenarioEntry("b", "builtin:b", 4),
        ),
        runs=2,
        shard=ShardSpec(1, 2),
    )
    return BatchManifest(
        plan,
        mode="hybrid",
        settings={"bot": {"kind": "ws"}},
        attempts=({"started_at": "then"},),
        copies={"refund": "scenarios/refund/refund.toml"},
    )


def test_a_manifest_round_trips_and_keeps_its_file_layout() -> None:
    original = manifest()
    data = json.loads(json.dumps(original.to_dict()))
    assert list(data) == [
        "convsim_batch",
        "batch_id",
        "created_at",
        "mode",
        "runs",
        "shard",
        "scenarios",
        "settings",
        "attempts",
        "planned",
    ]
    assert data["scenarios"][0] == {
        "key": "refund",
        "source": "/x/refund.toml",
        "seed": 3,
        "title": "Refund",
        "copy": "scenarios/refund/refund.toml",
    }
    assert data["scenarios"][1]["copy"] is None
    assert data["planned"][0] == {
        "id": original.plan.planned_runs()[0].run_id,
        "scenario": original.plan.planned_runs()[0].scenario,
        "run_index": original.plan.planned_runs()[0].run_index,
        "seed": original.plan.planned_runs()[0].seed,
    }
    assert BatchManifest.from_dict(data, source="batch.json") == original


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"runs": "many"}, "$.runs"),
        ({"scenarios": [{"key": "a", "source": "s"}]}, "seed"),
        ({"runs": 0}, "runs must be at least 1"),
        ({"shard": "3/2"}, "need 1 <= K <= N"),
    ],
)
def test_a_malformed_manifest_is_one_line_naming_the_field(
    change: dict[str, object], message: str
) -> None:
    data = {**manifest().to_dict(), **change}
    with pytest.raises(BatchFolderError) as raised:
        BatchManifest.from_dict(data, source="DIR/batch.json")
    text = str(raised.value)
    assert text.startswith("DIR/batch.json: malformed batch manifest: ")
    assert message in text and "\n" not in text


def test_rate_limits_round_trip_and_refuse_what_is_not_a_rate() -> None:
    limits = RateLimits(requests_per_minute=60, tokens_per_minute=None)
    assert limits.to_dict() == {"requests_per_minute": 60, "tokens_per_minute": None}
    assert RateLimits.from_dict(limits.to_dict()) == limits
    assert RateLimits.from_dict({}) == RateLimits()
    with pytest.raises(SchemaError, match="rate_limits"):
        RateLimits.from_dict({"requests_per_minute": "fast"})
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="requests_per_minute"):
            RateLimits(requests_per_minute=bad)


def test_bot_targets_round_trip() -> None:
    for target in (
        BotTarget("ws", "ws://127.0.0.1:1/ws", "demo-ws"),
        BotTarget("webhook", None, None, demo_bot=True),
        BotTarget("profile", profile="/x/bot.toml"),
    ):
        assert BotTarget.from_dict(json.loads(json.dumps(target.to_dict()))) == target
    with pytest.raises(SchemaError, match="bot target"):
        BotTarget.from_dict({"url": "ws://x"})  # no kind


def test_every_tagged_model_is_in_the_union_and_dispatches_on_its_tag() -> None:
    assert set(typing.get_args(Document)) == set(TYPE_TAGS)
    message = Message("hi", datetime(2026, 1, 5, tzinfo=UTC), ParticipantRole.AGENT)
    outcomes = Outcomes((Outcome("resolved", "done"),))
    for model in (message, outcomes):
        data = to_json(model)
        assert list(data)[:2] == ["schema_version", "type"]
        assert data["type"] == TYPE_TAGS[type(model)]
        assert from_json(data) == model
    with pytest.raises(SchemaError, match="expected a 'outcomes' document, got 'message'"):
        from_json(to_json(message), Outcomes)
    with pytest.raises(SchemaError, match="unknown type tag 'letter'"):
        from_json({**to_json(message), "type": "letter"})
