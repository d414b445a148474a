"""``convsim batch``: run scenarios many times, at most C conversations at once, into a folder.

Full simulations by default; ``--ws URL`` / ``--webhook URL`` (or ``--demo-bot``) run hybrid
conversations against a real bot instead. Without ``--headless`` a live dashboard shows every
conversation; headless prints a progress bar. The folder holds one transcript per conversation,
``batch.json`` (what was asked) and ``summary.json``/``summary.csv`` (what happened), and
``--resume`` finishes an interrupted batch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from convsim_core.batch import (
    BatchFolderError,
    BatchPlan,
    BatchSession,
    BatchSummary,
    PlannedRun,
    ScenarioEntry,
    ShardSpec,
    format_table,
    read_manifest,
    unique_keys,
)
from convsim_core.batch.limits import RateLimits
from convsim_core.batch.manifest import BUILTIN_PREFIX, has_manifest, scenario_location
from convsim_core.batch.progress import ProgressPrinter
from convsim_core.persistence import TranscriptSink
from convsim_core.runners.base import Runner
from tui.cli import UserError
from tui.commands.bot_options import add_bot_options

if TYPE_CHECKING:
    from convsim_core.batch.ratelimit import BatchRateLimiter
    from convsim_core.channel import Channel
    from convsim_core.scenario_models import Scenario

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
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
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="scenario file, folder of scenario files, or built-in name (e.g. demo); "
        "optional with --resume",
    )
    parser.add_argument("--runs", type=_positive_int, metavar="N", help="runs per scenario (10)")
    parser.add_argument(
        "--concurrency",
        "-c",
        type=_positive_int,
        default=10,
        metavar="C",
        help="conversations at once (10)",
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="batch folder (a new one)")
    parser.add_argument(
        "--seed", type=int, metavar="S", help="base seed for every scenario (default: theirs)"
    )
    parser.add_argument("--shard", type=_shard, metavar="K/N", help="run only shard K of N")
    parser.add_argument(
        "--resume", action="store_true", help="finish an interrupted batch in --out"
    )
    parser.add_argument(
        "--headless", action="store_true", help="print progress instead of the dashboard"
    )
    parser.add_argument(
        "--progress-every",
        type=_positive_int,
        metavar="N",
        help="headless, not a terminal: print a progress line every N conversations",
    )
    add_bot_options(parser, prefix="hybrid: ")
    limits = parser.add_argument_group("LLM rate limits (shared by all conversations)")
    limits.add_argument("--rpm", type=_positive_float, metavar="N", help="requests per minute")
    limits.add_argument("--tpm", type=_positive_float, metavar="N", help="tokens per minute")
    llm = parser.add_mutually_exclusive_group()
    llm.add_argument("--offline", action="store_true", help="play every side offline")
    llm.add_argument("--llm", action="store_true", help="play every non-scripted side by LLM")
    parser.set_defaults(handler=run)


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return number


def _shard(value: str) -> ShardSpec:
    try:
        return ShardSpec.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# -- scenarios ----------------------------------------------------------------------------------


def load_scenarios(specs: list[str]) -> list[tuple[str, Scenario]]:
    """``(source, scenario)`` for every argument: files, folders of files, built-in names."""
    from convsim_core.scenario import (
        ScenarioError,
        builtin_scenario,
        list_builtin_scenarios,
        list_scenarios,
        load_scenario,
    )

    loaded: list[tuple[str, Scenario]] = []
    try:
        for spec in specs:
            path = Path(spec)
            if path.is_dir():
                files = list_scenarios(path)
                if not files:
                    raise UserError(f"{spec}: no scenario files (*.toml) in this folder")
                loaded.extend((str(f.resolve()), load_scenario(f)) for f in files)
            elif path.exists() or path.suffix == ".toml":
                loaded.append((str(path.resolve()), load_scenario(path)))
            elif spec in list_builtin_scenarios():
                loaded.append((BUILTIN_PREFIX + spec, builtin_scenario(spec)))
            else:
                raise UserError(f"{spec}: no such scenario file, folder or built-in scenario")
    except ScenarioError as exc:
        raise UserError(str(exc)) from exc
    return loaded


def _load_entry(folder: Path, location: str) -> Scenario:
    from convsim_core.scenario import ScenarioError, builtin_scenario, load_scenario

    try:
        if location.startswith(BUILTIN_PREFIX):
            return builtin_scenario(location.removeprefix(BUILTIN_PREFIX))
        return load_scenario(location)
    except ScenarioError as exc:
        raise UserError(f"{folder}: {exc}") from exc


# -- the batch ----------------------------------------------------------------------------------


@attrs.frozen
class BotTarget:
    """Where hybrid conversations go: a URL, a bot profile file, or the in-process demo bot."""

    kind: str
    """``ws`` or ``webhook`` (as ``profile_for_url`` takes it); ``profile`` for a file."""
    url: str | None = None
    preset: str | None = None
    demo_bot: bool = False
    profile: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "preset": self.preset,
            "demo_bot": self.demo_bot,
            "profile": self.profile,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BotTarget:
        return cls(
            kind=str(data["kind"]),
            url=data.get("url"),
            preset=data.get("preset"),
            demo_bot=bool(data.get("demo_bot")),
            profile=data.get("profile"),
        )

    def profiles(self, scenarios: Mapping[str, Scenario], demo_url: str | None) -> dict[str, Any]:
        """One bot profile per scenario (a scenario's ``[bot]`` table tunes a URL target)."""
        from channels.profile import ProfileError, load_bot_profile, profile_for_url

        try:
            if self.demo_bot:
                from tui.commands.connect import demo_bot_profile

                assert demo_url is not None
                shared = demo_bot_profile(demo_url, kind=self.kind, preset=self.preset)
                return dict.fromkeys(scenarios, shared)
            if self.profile is not None:
                return dict.fromkeys(scenarios, load_bot_profile(self.profile))
            assert self.url is not None
            return {
                key: profile_for_url(self.url, kind=self.kind, preset=self.preset, base=sc.bot)
                for key, sc in scenarios.items()
            }
        except (ProfileError, OSError) as exc:
            raise UserError(str(exc)) from exc


@attrs.define
class BatchJob:
    """Everything ``convsim batch`` decided before running: plan, scenarios, target, limits."""

    plan: BatchPlan
    scenarios: dict[str, Scenario]
    folder: Path
    concurrency: int
    resume: bool
    target: BotTarget | None = None
    limits: RateLimits = attrs.field(factory=RateLimits)
    use_llm: bool | None = None
    channels: dict[str, Channel] = attrs.field(factory=dict)

    @property
    def mode(self) -> str:
        return "full" if self.target is None else "hybrid"

    def settings(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "bot": self.target.to_dict() if self.target else None,
            "rate_limits": self.limits.to_dict(),
            "use_llm": self.use_llm,
        }

    def session(self) -> BatchSession:
        try:
            return BatchSession(
                self.plan,
                self.scenarios,
                self.make_runner,
                folder=self.folder,
                concurrency=self.concurrency,
                resume=self.resume,
                mode=self.mode,
                settings=self.settings(),
            )
        except BatchFolderError as exc:
            raise UserError(str(exc)) from exc

    def make_runner(
        self, scenario: Scenario, run: PlannedRun, transcript: TranscriptSink
    ) -> Runner:
        """The batch's runner factory: one fresh runner per conversation."""
        if self.target is None:
            from convsim_core.builder import build_full_runner

            return build_full_runner(
                scenario, seed=run.seed, transcript=transcript, use_llm=self.use_llm
            )
        from convsim_core.hybrid_builder import build_hybrid_runner

        return build_hybrid_runner(
            scenario,
            self.channels[run.scenario],
            seed=run.seed,
            transcript=transcript,
            use_llm=self.use_llm,
        )

    def limiter(self) -> BatchRateLimiter | None:
        if not self.limits.enabled:
            return None
        from convsim_core.batch.ratelimit import BatchRateLimiter

        return BatchRateLimiter(self.limits)

    def prepare_llm_cache(self) -> None:
        """Open the shared LLM response cache once, before many conversations race to it."""
        from convsim_core.builder import llm_available, llm_settings

        if self.use_llm is False:
            return
        for scenario in self.scenarios.values():
            if llm_available(scenario):
                from convsim_core.llm import configure_cache

                configure_cache(llm_settings(scenario))

    @contextlib.asynccontextmanager
    async def bot_channels(self) -> AsyncIterator[None]:
        """Start the demo bot if asked, and open one channel per scenario for the batch."""
        if self.target is None:
            yield
            return
        from channels.factory import check_reachable, make_channel
        from convsim_core.channel import ChannelError

        async with contextlib.AsyncExitStack() as stack:
            demo_url = None
            if self.target.demo_bot:
                from channels.demo_bot import DemoBotServer

                demo_url = (await stack.enter_async_context(DemoBotServer())).url
            checked: set[str] = set()
            for key, profile in self.target.profiles(self.scenarios, demo_url).items():
                if profile.url not in checked:
                    checked.add(profile.url)
                    try:
                        await check_reachable(profile)
                    except ChannelError as exc:
                        raise UserError(str(exc)) from exc
                # One channel per scenario, shared by its conversations (one session each).
                channel = make_channel(profile)
                stack.push_async_callback(channel.close)
                self.channels[key] = channel
            try:
                yield
            finally:
                self.channels.clear()


def build_job(args: argparse.Namespace) -> BatchJob:
    """Turn the command line (and, on --resume, the folder's manifest) into a job."""
    target = _target(args)
    limits = RateLimits(requests_per_minute=args.rpm, tokens_per_minute=args.tpm)
    use_llm = True if args.llm else False if args.offline else None
    if args.resume and args.out is None:
        raise UserError("--resume needs --out DIR (the folder of the batch to finish)")
    folder: Path = args.out or _default_folder()
    if args.resume and not args.scenarios and has_manifest(folder):
        return _job_from_manifest(args, folder, target, limits, use_llm)
    if not args.scenarios:
        raise UserError("name at least one SCENARIO (a file, a folder or a built-in name)")
    loaded = load_scenarios(args.scenarios)
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
    plan = BatchPlan(entries, args.runs or 10, args.shard)
    scenarios = {key: scenario for key, (_, scenario) in zip(keys, loaded, strict=True)}
    return BatchJob(plan, scenarios, folder, args.concurrency, args.resume, target, limits, use_llm)


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
    if target is None and isinstance(settings.get("bot"), Mapping):
        target = BotTarget.from_dict(settings["bot"])
    if not limits.enabled and isinstance(settings.get("rate_limits"), Mapping):
        recorded = settings["rate_limits"]
        limits = RateLimits(recorded.get("requests_per_minute"), recorded.get("tokens_per_minute"))
    if use_llm is None and isinstance(settings.get("use_llm"), bool):
        use_llm = settings["use_llm"]
    scenarios = {
        entry.key: _load_entry(folder, scenario_location(folder, manifest, entry.key))
        for entry in plan.scenarios
    }
    return BatchJob(plan, scenarios, folder, args.concurrency, True, target, limits, use_llm)


def _target(args: argparse.Namespace) -> BotTarget | None:
    from tui.commands.connect import URL_FLAGS

    if args.preset and not (any(getattr(args, flag) for flag in URL_FLAGS) or args.demo_bot):
        raise UserError(
            "--preset needs --ws URL, --webhook URL, --socketio URL, --directline URL or --demo-bot"
        )
    for flag in URL_FLAGS:
        if getattr(args, flag):
            return BotTarget(flag, getattr(args, flag), args.preset)
    if args.profile:
        return BotTarget("profile", profile=str(args.profile.resolve()))
    if args.demo_bot:
        return BotTarget(args.demo_bot, None, args.preset, demo_bot=True)
    return None


def _default_folder() -> Path:
    import os

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    root = Path(os.environ.get("CONVSIM_HOME") or "runs")
    return root / "batches" / stamp


async def execute(job: BatchJob, session: BatchSession) -> BatchSummary:
    """Run the prepared session inside the bot/channel setup the job needs."""
    job.prepare_llm_cache()
    async with job.bot_channels():
        return await session.run(limiter=job.limiter())


def run(args: argparse.Namespace) -> int:
    job = build_job(args)
    session = job.session()
    resumed = session.resume_state
    if resumed.done or resumed.set_aside:
        print(
            f"resuming {job.folder}: {len(resumed.done)} finished, {len(resumed.todo)} to run"
            f" ({len(resumed.set_aside)} unfinished transcript(s) set aside)",
            file=sys.stderr,
        )
    headless = args.headless
    if not headless and not sys.stdout.isatty():
        print("convsim: stdout is not a terminal; running headless", file=sys.stderr)
        headless = True
    if not headless:
        from tui.batch_dashboard import run_batch_dashboard

        code = run_batch_dashboard(session, lambda: execute(job, session))
        if session.summary is not None:
            print(format_table(session.summary))
        print(f"batch folder: {job.folder}")
        return code
    printer = ProgressPrinter(sys.stderr, session.executor.counts, every=args.progress_every)
    session.executor.listener = printer
    try:
        summary = asyncio.run(execute(job, session))
    except KeyboardInterrupt:
        printer.close()
        print(
            f"interrupted: finished conversations are in {job.folder}; "
            f"finish with: convsim batch --resume --out {job.folder}",
            file=sys.stderr,
        )
        return 130
    printer.close()
    print(format_table(summary))
    print(f"batch folder: {job.folder}")
    counts = session.executor.counts
    return 1 if counts.errors else 0
