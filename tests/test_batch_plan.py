"""Planning: per-run seeds, run ids and deterministic shards."""

from __future__ import annotations

import pytest

from convsim_core.batch import BatchPlan, ScenarioEntry, ShardSpec, derive_seed, unique_keys
from convsim_core.batch.plan import interleave, safe_name
from tests.test_batch_helpers import plan_of


def test_seeds_are_reproducible_and_differ_between_runs_and_scenarios() -> None:
    seeds = [derive_seed(7, i) for i in range(1000)]
    assert seeds == [derive_seed(7, i) for i in range(1000)]
    assert len(set(seeds)) == 1000
    assert not set(seeds) & {derive_seed(8, i) for i in range(1000)}
    assert all(0 <= s < 2**31 for s in seeds)


def test_plan_lists_every_run_with_its_seed_and_a_file_safe_id() -> None:
    plan = plan_of(["refund", "cancel"], runs=3)
    runs = plan.all_runs()
    assert [r.run_id for r in runs] == [
        "refund-0000",
        "refund-0001",
        "refund-0002",
        "cancel-0000",
        "cancel-0001",
        "cancel-0002",
    ]
    assert runs[1].seed == derive_seed(1, 1)
    assert runs[4].seed == derive_seed(2, 1)
    assert plan.planned_runs() == runs


def test_shards_are_disjoint_cover_the_batch_and_are_balanced() -> None:
    whole = plan_of(["a", "b", "c"], runs=400)
    everything = {r.run_id for r in whole.all_runs()}
    shards = [plan_of(["a", "b", "c"], 400, ShardSpec(k, 4)).planned_runs() for k in range(1, 5)]
    ids = [{r.run_id for r in shard} for shard in shards]
    assert set().union(*ids) == everything
    assert sum(len(s) for s in ids) == len(everything)  # disjoint
    for shard in ids:
        assert 200 <= len(shard) <= 400, len(shard)  # 300 expected per shard
    # Same seeds in a shard as in the whole batch: a shard is a slice, not a different batch.
    by_id = {r.run_id: r.seed for r in whole.all_runs()}
    assert all(by_id[r.run_id] == r.seed for shard in shards for r in shard)


def test_shard_membership_depends_only_on_scenario_and_run_index() -> None:
    alone = plan_of(["a"], runs=50, shard=ShardSpec(2, 3)).planned_runs()
    with_other = plan_of(["a", "z"], runs=50, shard=ShardSpec(2, 3)).planned_runs()
    assert [r.run_index for r in alone] == [r.run_index for r in with_other if r.scenario == "a"]


def test_all_shards_share_the_batch_id_which_tracks_scenarios_seeds_and_runs() -> None:
    ids = {plan_of(["a"], 10, ShardSpec(k, 3)).batch_id for k in (1, 2, 3)}
    assert ids == {plan_of(["a"], 10).batch_id}
    assert plan_of(["a"], 11).batch_id not in ids
    other_seed = BatchPlan((ScenarioEntry("a", "builtin:a", seed=99),), 10)
    assert other_seed.batch_id not in ids


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "1/0", "1/2/3"])
def test_bad_shard_specs_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="shard"):
        ShardSpec.parse(text)


def test_shard_spec_round_trips() -> None:
    assert str(ShardSpec.parse("2/5")) == "2/5"


def test_scenario_keys_are_unique_and_file_safe() -> None:
    assert unique_keys(["refund", "refund", "a b/c"]) == ["refund", "refund-2", "a-b-c"]
    assert safe_name("../..") == "scenario"


def test_interleave_alternates_scenarios() -> None:
    runs = plan_of(["a", "b"], runs=2).all_runs()
    assert [r.run_id for r in interleave(runs)] == ["a-0000", "b-0000", "a-0001", "b-0001"]


def test_duplicate_keys_and_empty_plans_are_rejected() -> None:
    entry = ScenarioEntry("a", "x", 1)
    with pytest.raises(ValueError, match="unique"):
        BatchPlan((entry, entry), 1)
    with pytest.raises(ValueError, match="runs"):
        BatchPlan((entry,), 0)
