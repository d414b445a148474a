"""``convsim test``: a batch with a verdict, for CI.

Runs every SCENARIO up to ``--runs`` times (through the same batch engine as ``convsim batch``),
checks each conversation against the scenario's ``[expect]`` table, attributes failures to
the agent, the simulator or the infrastructure, re-runs the last two kinds, and gives each
scenario a verdict on its pass rate. Exit codes: 0 every scenario passes, 1 one fails its
expectations (or, with ``--baseline``, regressed), 2 usage error, 3 the run itself failed
(bot unreachable, nothing judgeable, or a budget stopped it before a verdict).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import attrs

from convsim_core.batch import BatchFolderError, BatchSession, collect, summarize
from convsim_core.batch.cases import CaseState, TestCase, build_cases
from convsim_core.batch.evaluate import evaluate
from convsim_core.batch.gate import (
    DEFAULT_MIN_DROP,
    GateResult,
    describe_target,
    format_gate,
    regression_gate,
)
from convsim_core.batch.junit import write_junit
from convsim_core.batch.manifest import has_manifest, read_manifest
from convsim_core.batch.markdown import write_markdown
from convsim_core.batch.retry import RetryPolicy
from convsim_core.batch.summary import BatchSummary
from convsim_core.batch.testpolicy import Budget, TestPolicy
from convsim_core.batch.verdict import ScenarioVerdict, format_verdicts
from convsim_core.expectations import Expectations
from tui.commands import batch as batch_command
from tui.commands.batch_options import TEST_TEXTS, add_batch_options
from tui.commands.batch_progress import announce_resume, finish_hint, run_with_progress
from tui.commands.command import Command
from tui.commands.regression import SHARE
from tui.numbers import POSITIVE_WHOLE, NumberRule, add_number
from tui.outputs import check_out, check_out_folder
from tui.wiring.batch_job import BatchJob
from tui.wiring.errors import UserError

RETRIES = NumberRule(whole=True, minimum=0, maximum=20)

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_RUN_FAILED = 3


def _arguments(parser: argparse.ArgumentParser) -> None:
    add_batch_options(parser, TEST_TEXTS)
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="write a Markdown summary here"
    )
    add_number(
        parser,
        "--retries",
        rule=RETRIES,
        default=2,
        metavar="N",
        help="re-run a simulator or infrastructure fault up to N times (2)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="gate on a significant pass-rate drop against this earlier batch folder instead "
        "of min_pass_rate",
    )
    add_number(
        parser,
        "--min-drop",
        rule=SHARE,
        default=DEFAULT_MIN_DROP,
        metavar="SHARE",
        help="with --baseline: warn when the runs cannot detect a drop this large (0.2)",
    )
    add_number(
        parser,
        "--k",
        rule=POSITIVE_WHOLE,
        metavar="K",
        help="the k of pass^k and pass@k (3; capped at the counted runs)",
    )
    parser.add_argument(
        "--until-decided",
        action="store_true",
        help="stop sampling a scenario once its verdict cannot change at 95%% confidence",
    )
    add_number(
        parser,
        "--max-llm-calls",
        rule=POSITIVE_WHOLE,
        metavar="N",
        help="start no conversation after N LLM calls (resumable)",
    )
    add_number(
        parser,
        "--max-tokens",
        rule=POSITIVE_WHOLE,
        metavar="N",
        help="start no conversation after N LLM tokens (resumable)",
    )


@attrs.frozen
class TestRun:
    """What one invocation produced, for the reports and the exit code."""

    __test__ = False  # not a pytest test class

    summary: BatchSummary
    verdicts: tuple[ScenarioVerdict, ...]
    cases: tuple[TestCase, ...]
    gate: GateResult | None
    budget_note: str | None
    folder: Path


def _expectations(job: BatchJob) -> dict[str, Expectations]:
    found: dict[str, Expectations] = {}
    missing = []
    for key, scenario in job.scenarios.items():
        if scenario.expect is None:
            missing.append(scenario.source)
        else:
            found[key] = scenario.expect
    if missing:
        raise UserError(
            f"{missing[0]}: no [expect] table (convsim test needs one in every scenario;"
            " see docs/scenarios.md)"
        )
    return found


def _policy(
    args: argparse.Namespace, job: BatchJob, expectations: dict[str, Expectations]
) -> TestPolicy:
    planned: dict[str, int] = {}
    for run in job.plan.planned_runs():
        planned[run.scenario] = planned.get(run.scenario, 0) + 1
    prior = []
    run_scenarios: dict[str, str] = {}
    if job.resume and has_manifest(job.folder):
        verdicts = evaluate(collect([job.folder]), expectations)
        for verdict in verdicts:
            for attempt in verdict.attempts:
                prior.append(attempt)
                run_scenarios[attempt.run_id] = verdict.scenario
    budget = Budget(max_llm_calls=args.max_llm_calls, max_tokens=args.max_tokens)
    return TestPolicy(
        expectations,
        planned,
        retries=args.retries,
        until_decided=args.until_decided,
        budget=budget,
        k=args.k,
        prior=prior,
        prior_scenarios=run_scenarios,
    )


def _session(job: BatchJob, policy: TestPolicy) -> BatchSession:
    settings = {**job.settings(), "test": True, "until_decided": policy.until_decided}
    if policy.k is not None:
        settings["k"] = policy.k
    return job.session(
        settings=settings,
        policy=policy,
        extra_runs=lambda session: policy.owed_retries(session.resume_state.done),
    )


def _baseline(
    args: argparse.Namespace, job: BatchJob, verdicts: tuple[ScenarioVerdict, ...]
) -> GateResult | None:
    if args.baseline is None:
        return None
    try:
        old = summarize(collect([args.baseline]))
        old_manifest = read_manifest(args.baseline)
    except BatchFolderError as exc:
        raise UserError(f"--baseline: {exc}") from exc
    return regression_gate(
        old.verdicts,
        verdicts,
        min_drop=args.min_drop,
        old_target=describe_target(old_manifest.settings),
        new_target=describe_target(job.settings()),
    )


def _incomplete(
    cases: tuple[TestCase, ...], policy: TestPolicy, note: str | None
) -> tuple[TestCase, ...]:
    """A budget stop leaves undecided scenarios without a verdict: say so, don't pass them."""
    if note is None:
        return cases
    marked = []
    for case in cases:
        v = case.verdict
        if v is not None and v.runs < v.planned and policy.decision(v.scenario) is None:
            case = attrs.evolve(
                case,
                state=CaseState.ERROR,
                message=f"incomplete: {note} after {len(v.final)} of {v.planned} runs",
            )
        marked.append(case)
    return tuple(marked)


def run(args: argparse.Namespace) -> int:
    # A folder or a path under a file would only fail after the whole run: refuse it now.
    if args.junit is not None:
        check_out(args.junit, what="the JUnit report (--junit)")
    if args.markdown is not None:
        check_out(args.markdown, what="the Markdown summary (--markdown)")
    if args.baseline is not None:  # checked before spending a whole run on it
        if not args.baseline.is_dir():
            raise UserError(f"--baseline: {args.baseline} is not a folder")
        try:
            read_manifest(args.baseline)
        except BatchFolderError as exc:
            raise UserError(f"--baseline: {exc}") from exc
    job = batch_command.build_job(args)
    check_out_folder(job.folder)
    expectations = _expectations(job)
    if job.target is not None and not job.target.demo_bot:
        job.target.profiles(job.scenarios, None)  # a bad URL or profile is a usage error (2)
    policy = _policy(args, job, expectations)
    session = _session(job, policy)
    announce_resume(job, session)
    try:
        # One pause-and-retry per conversation on an outage (``convsim batch`` retries a
        # channel error three times): --retries re-runs infrastructure faults as recorded,
        # fresh samples, so one pause for a restarting bot is enough and a broken one fails fast.
        summary = run_with_progress(
            job, session, command="test", every=args.progress_every, retry=RetryPolicy(attempts=1)
        )
    except UserError as exc:
        print(f"convsim: error: {exc}", file=sys.stderr)
        _report_failed_run(args, job, str(exc))
        print(f"batch folder: {job.folder}", file=sys.stderr)
        return EXIT_RUN_FAILED
    if summary is None:
        return 130
    verdicts = summary.verdicts
    gate = _baseline(args, job, verdicts)
    note = policy.budget.exhausted if policy.budget_skipped else None
    cases = _incomplete(build_cases(verdicts, gate=gate, seconds=_seconds(summary)), policy, note)
    outcome = TestRun(summary, verdicts, cases, gate, note, job.folder)
    skipped = sum(policy.not_started.values())
    if skipped:
        print(f"--until-decided: {skipped} conversation(s) not needed", file=sys.stderr)
    _report(args, outcome)
    return _exit_code(outcome)


def _seconds(summary: BatchSummary) -> dict[str, float]:
    return {s.scenario: round(s.duration_mean * s.runs, 3) for s in summary.scenarios}


def _report(args: argparse.Namespace, outcome: TestRun) -> None:
    print(format_verdicts(outcome.verdicts))
    notes: list[str] = []
    if outcome.gate is not None:
        print(format_gate(outcome.gate))
        notes.extend(outcome.gate.warnings)
    if outcome.budget_note is not None:
        line = (
            f"stopped: {outcome.budget_note}; conversations not run have no transcript; "
            + finish_hint("test", outcome.folder)
        )
        print(line, file=sys.stderr)
        notes.append(line)
    if outcome.summary.config_hashes:
        notes.append(f"config hash {', '.join(outcome.summary.config_hashes)}")
    properties = {
        "batch_folder": str(outcome.folder),
        "config_hash": ", ".join(outcome.summary.config_hashes),
    }
    if args.junit is not None:
        print(f"JUnit: {write_junit(args.junit, outcome.cases, properties=properties)}")
    if args.markdown is not None:
        print(f"Markdown: {write_markdown(args.markdown, outcome.cases, notes=notes)}")
    print(f"batch folder: {outcome.folder}")


def _report_failed_run(args: argparse.Namespace, job: BatchJob, reason: str) -> None:
    """The run never got going (the bot unreachable): CI still gets its reports, one error
    per scenario, so the build shows why instead of a missing file."""
    message = f"the run failed: {reason}"
    cases = tuple(TestCase(key, CaseState.ERROR, message, ()) for key in job.scenarios)
    if args.junit is not None:
        properties = {"batch_folder": str(job.folder)}
        print(f"JUnit: {write_junit(args.junit, cases, properties=properties)}", file=sys.stderr)
    if args.markdown is not None:
        written = write_markdown(args.markdown, cases, notes=[f"convsim test: {message}"])
        print(f"Markdown: {written}", file=sys.stderr)


def _exit_code(outcome: TestRun) -> int:
    states = {case.state for case in outcome.cases}
    if CaseState.FAILED in states:
        return EXIT_FAIL
    if CaseState.ERROR in states or not outcome.cases:
        return EXIT_RUN_FAILED
    return EXIT_PASS


COMMAND = Command(
    "test",
    help="run scenarios and gate on their [expect] tables (for CI)",
    description=(
        "Run every SCENARIO up to --runs times, check each conversation against the "
        "scenario's [expect] table and give each scenario a verdict on its pass rate "
        "(Wilson 95% interval, pass^k, pass@k). Simulator and infrastructure faults are "
        "not counted and are re-run up to --retries times. --junit and --markdown write "
        "reports for CI systems and pull requests."
    ),
    epilog=(
        "exit codes: 0 every scenario passes, 1 a scenario fails its expectations (with "
        "--baseline: its pass rate dropped significantly), 2 usage error, 3 the run itself "
        "failed (bot unreachable, every conversation a channel error, budget reached)"
    ),
    arguments=_arguments,
    handler=run,
    defaults={"shard": None, "retry_errors": False},
)
