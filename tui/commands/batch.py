"""``convsim batch``: run scenarios many times, at most C conversations at once, into a folder.

Full simulations by default; ``--ws URL`` / ``--webhook URL`` (or ``--demo-bot``) run hybrid
conversations against a real bot instead. Without ``--headless`` a live dashboard shows every
conversation; headless prints a progress bar. The folder holds one transcript per conversation,
``batch.json`` (what was asked) and ``summary.json``/``summary.csv`` (what happened), and
``--resume`` finishes an interrupted batch.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from convsim_core.batch import (
    BatchFolderError,
    BatchPlan,
    ScenarioEntry,
    ShardSpec,
    format_table,
    read_manifest,
    unique_keys,
)
from convsim_core.batch.limits import RateLimits
from convsim_core.batch.manifest import has_manifest, scenario_location
from convsim_core.batch.spread import WorkerError
from tui.batch_checks import check_llm_keys, recorded_concurrency
from tui.commands.batch_options import BATCH_TEXTS, add_batch_options
from tui.commands.batch_progress import announce_resume, finish_hint, run_with_progress
from tui.commands.command import Command
from tui.commands.scale_options import scale_options
from tui.outputs import check_out_folder
from tui.wiring.batch_job import BatchJob
from tui.wiring.bots import BotChoice, BotTarget
from tui.wiring.errors import UserError, as_user_error
from tui.wiring.scenarios import load_batch_entry, load_scenarios

__all__ = ["COMMAND", "BatchJob", "BotTarget", "build_job", "load_scenarios", "run"]

logger = logging.getLogger(__name__)


def _arguments(parser: argparse.ArgumentParser) -> None:
    add_batch_options(parser, BATCH_TEXTS)
    parser.add_argument("--shard", type=_shard, metavar="K/N", help="run only shard K of N")
    parser.add_argument(
        "--retry-errors",
        action="store_true",
        help="with --resume: also run again the conversations that ended in an error"
        " (bot unreachable, LLM failure)",
    )
    parser.add_argument(
        "--headless", action="store_true", help="print progress instead of the dashboard"
    )


def _shard(value: str) -> ShardSpec:
    try:
        return ShardSpec.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# -- the batch ----------------------------------------------------------------------------------


def build_job(args: argparse.Namespace) -> BatchJob:
    """Turn the command line (and, on --resume, the folder's manifest) into a job."""
    target = _target(args)
    limits = RateLimits(requests_per_minute=args.rpm, tokens_per_minute=args.tpm)
    use_llm = True if args.llm else False if args.offline else None
    if args.resume and args.out is None:
        raise UserError("--resume needs --out DIR (the folder of the batch to finish)")
    folder: Path = args.out or _default_folder()
    if args.retry_errors and not args.resume:
        raise UserError("--retry-errors goes with --resume (it re-runs a batch's failed runs)")
    if args.resume and not args.scenarios and has_manifest(folder):
        job = _job_from_manifest(args, folder, target, limits, use_llm)
        check_llm_keys(job.scenarios.values(), job.use_llm)
        return job
    if not args.scenarios:
        raise UserError("name at least one SCENARIO (a file, a folder or a built-in name)")
    loaded = load_scenarios(args.scenarios)
    check_llm_keys((scenario for _, scenario in loaded), use_llm)
    keys = unique_keys([scenario.name for _, scenario in loaded])
    entries = tuple(
        ScenarioEntry(
            key=key,
            source=source,
            seed=scenario.seed if args.seed is None else args.seed,
            title=scenario.title,
        )
        for key, (source, scenario) in zip(keys, loaded, strict=True)
    )
    try:
        plan = BatchPlan(entries, args.runs or 10, args.shard)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    scenarios = {key: scenario for key, (_, scenario) in zip(keys, loaded, strict=True)}
    concurrency = args.concurrency or 10
    job = BatchJob(
        plan,
        scenarios,
        folder,
        concurrency,
        args.resume,
        target,
        limits,
        use_llm,
        **scale_options(args),
    )
    job.retry_errors = args.retry_errors
    return job


def _job_from_manifest(
    args: argparse.Namespace,
    folder: Path,
    target: BotTarget | None,
    limits: RateLimits,
    use_llm: bool | None,
) -> BatchJob:
    try:
        manifest = read_manifest(folder)
    except BatchFolderError as exc:
        raise UserError(str(exc)) from exc
    plan = manifest.plan
    if args.runs is not None and args.runs != plan.runs:
        raise UserError(f"{folder} was started with --runs {plan.runs}")
    settings = manifest.settings
    with as_user_error(ValueError, prefix=f"{folder}: "):
        if target is None and isinstance(settings.get("bot"), Mapping):
            target = BotTarget.from_dict(settings["bot"])
        if not limits.enabled and isinstance(settings.get("rate_limits"), Mapping):
            limits = RateLimits.from_dict(settings["rate_limits"])
    if use_llm is None and isinstance(settings.get("use_llm"), bool):
        use_llm = settings["use_llm"]
    scenarios = {
        entry.key: load_batch_entry(folder, scenario_location(folder, manifest, entry.key))
        for entry in plan.scenarios
    }
    concurrency = args.concurrency or recorded_concurrency(settings) or 10
    job = BatchJob(
        plan, scenarios, folder, concurrency, True, target, limits, use_llm, **scale_options(args)
    )
    job.retry_errors = args.retry_errors
    return job


def _target(args: argparse.Namespace) -> BotTarget | None:
    return BotTarget.from_choice(BotChoice.from_args(args))


def _default_folder() -> Path:
    import os

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    root = Path(os.environ.get("CONVSIM_HOME") or "runs")
    return root / "batches" / stamp


def run(args: argparse.Namespace) -> int:
    job = build_job(args)
    check_out_folder(job.folder)
    session = job.session()
    announce_resume(job, session)
    headless = args.headless
    if not headless and not sys.stdout.isatty():
        print("convsim: stdout is not a terminal; running headless", file=sys.stderr)
        headless = True
    try:
        if headless:
            summary = run_with_progress(job, session, command="batch", every=args.progress_every)
            if summary is None:
                return 130
            # Errors recorded by an earlier attempt count too: --resume must not make them a 0.
            code = 1 if session.executor.counts.errors or summary.total.errors else 0
        else:
            from tui.batch_dashboard import run_batch_dashboard

            code = run_batch_dashboard(session, lambda: job.execute(session))
            summary = session.summary
    except WorkerError as exc:
        print(f"convsim: {exc}; {finish_hint('batch', job.folder)}", file=sys.stderr)
        return 1
    if summary is not None:
        print(format_table(summary))
    print(f"batch folder: {job.folder}")
    return code


COMMAND = Command(
    "batch",
    help="run scenarios many times and summarise the outcomes",
    description=(
        "Run every SCENARIO --runs times with its own reproducible seed per run, at most "
        "--concurrency conversations at once, writing one transcript per conversation plus "
        "batch.json and summary.json/summary.csv to --out. Full simulations unless a bot "
        "is given with --ws, --webhook, --socketio, --directline, --profile or --demo-bot."
    ),
    epilog=(
        "exit codes: 0 every conversation ran, 1 some ended in an error (see the summary), "
        "2 usage error, 130 interrupted (finish with --resume)"
    ),
    arguments=_arguments,
    handler=run,
)
