"""``convsim report``: summarise batch folders, merge shards, compare two batches, write HTML.

Folders that are different shards of the same batch are merged into one summary; two separate
batches are compared (the first is OLD, the second NEW) and outcome rates that moved beyond
chance are flagged. Everything is computed from the transcripts on disk.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from convsim_core.batch import (
    BatchFolderError,
    BatchManifest,
    collect,
    compare,
    format_comparison,
    format_table,
    read_manifest,
    summarize,
)
from convsim_core.batch.html import ReportBatch, write_html_report
from tui.commands.command import Command
from tui.commands.regression import SHARE, regression_exit
from tui.numbers import FINITE, add_number
from tui.outputs import check_out
from tui.wiring.errors import UserError


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folders", nargs="+", type=Path, metavar="DIR", help="batch folders")
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write an HTML report")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--merge", action="store_true", help="treat every folder as one batch")
    mode.add_argument(
        "--compare", action="store_true", help="compare: first folder OLD, second NEW"
    )
    add_number(
        parser,
        "--alpha",
        rule=FINITE,
        default=0.05,
        metavar="A",
        help="significance level for flagging changes (0.05)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="OLD NEW: exit 1 when a scenario's [expect] pass rate dropped beyond chance",
    )
    add_number(
        parser,
        "--min-drop",
        rule=SHARE,
        default=0.2,
        metavar="SHARE",
        help="warn when the runs cannot detect a pass-rate drop this large (0.2)",
    )


def group_folders(folders: list[Path]) -> list[list[Path]]:
    """Shard folders of one batch form one group; every other folder is a batch of its own."""
    groups: list[tuple[list[Path], BatchManifest | None, set[int]]] = []
    for folder in folders:
        try:
            manifest: BatchManifest | None = read_manifest(folder)
        except BatchFolderError:
            manifest = None
        shard = manifest.plan.shard if manifest else None
        placed = False
        if manifest is not None and shard is not None:
            for members, first, shards in groups:
                if first is None or first.batch_id != manifest.batch_id:
                    continue
                if shard.index not in shards and first.plan.shard is not None:
                    members.append(folder)
                    shards.add(shard.index)
                    placed = True
                    break
        if not placed:
            groups.append(([folder], manifest, {shard.index} if shard else set()))
    return [members for members, _, _ in groups]


def run(args: argparse.Namespace) -> int:
    if not 0 < args.alpha < 1:
        raise UserError("--alpha must be between 0 and 1")
    if args.html is not None:
        check_out(args.html, what="the HTML report")
    for folder in args.folders:
        if not folder.is_dir():
            raise UserError(f"{folder} is not a folder")
    groups = [list(args.folders)] if args.merge else group_folders(list(args.folders))
    if args.compare and len(args.folders) == 2 and len(groups) == 1:
        groups = [[args.folders[0]], [args.folders[1]]]
    if len(groups) > 2 or (args.compare and len(groups) != 2):
        raise UserError(
            "give one batch (or the shard folders of one batch), or two batches to compare;"
            f" got {len(groups)} batches (use --merge to add them all up)"
        )
    for folder in args.folders:
        check_batch_folder(folder)
    try:
        batches = [collect(group) for group in groups]
    except BatchFolderError as exc:
        raise UserError(str(exc)) from exc
    summaries = [summarize(batch) for batch in batches]
    if args.fail_on_regression and len(batches) != 2:
        raise UserError("--fail-on-regression needs two batches: OLD NEW")
    if len(batches) == 1:
        report = [ReportBatch("batch", batches[0], summaries[0])]
        if args.json:
            print(json.dumps(summaries[0].to_dict(), indent=2))
        else:
            print(format_table(summaries[0]))
        comparison = None
    else:
        comparison = compare(summaries[0], summaries[1], alpha=args.alpha)
        report = [
            ReportBatch("old", batches[0], summaries[0]),
            ReportBatch("new", batches[1], summaries[1]),
        ]
        if args.json:
            print(json.dumps(_comparison_json(comparison), indent=2))
        else:
            for label, summary in (("OLD", summaries[0]), ("NEW", summaries[1])):
                print(f"{label}: {', '.join(summary.folders)}")
                print(format_table(summary))
                print()
            print(format_comparison(comparison))
    if args.html is not None:
        written = write_html_report(args.html, report, comparison=comparison)
        print(f"HTML report: {written[0]} ({len(written) - 1} conversation pages)")
    if args.fail_on_regression:
        return regression_exit(
            groups, summaries, alpha=args.alpha, min_drop=args.min_drop, quiet_stdout=args.json
        )
    return 0


def check_batch_folder(folder: Path) -> None:
    """A folder that is not a batch (nothing of one in it) or whose manifest is corrupt: exit 2.

    A folder of batch transcripts without ``batch.json`` (copied, or written by the library)
    is still reported.
    """
    from convsim_core.batch.folder import transcript_files
    from convsim_core.batch.manifest import has_manifest
    from convsim_core.batch.records import read_record

    try:
        read_manifest(folder)
        return
    except BatchFolderError as exc:
        if has_manifest(folder):
            raise UserError(str(exc)) from None
    for path in transcript_files(folder):
        try:
            record = read_record(path)
        except (OSError, UnicodeDecodeError):
            continue
        if record.batch_id is not None or record.result is not None:
            return
    raise UserError(f"{folder} is not a batch folder (no batch.json and no convsim transcripts)")


def _comparison_json(comparison: Any) -> dict[str, Any]:
    return {
        "alpha": comparison.alpha,
        "old": comparison.old.to_dict(),
        "new": comparison.new.to_dict(),
        "changes": [
            {
                "scenario": c.scenario,
                "outcome": c.outcome,
                "old": [c.old_count, c.old_runs],
                "new": [c.new_count, c.new_runs],
                "z": round(c.z, 4),
                "p_value": c.p_value,
                "p_adjusted": c.p_adjusted,
                "flagged": c.flagged,
            }
            for c in comparison.changes
        ],
    }


COMMAND = Command(
    "report",
    help="summarise batch folders (merging shards) or compare two batches",
    description=(
        "Print the summary of a batch folder. Shard folders of one batch are merged; two "
        "different batches (OLD NEW) are compared, flagging outcome rates that changed "
        "beyond chance (Fisher's exact test, Holm-adjusted). --html writes a self-contained "
        "report with a chat page per conversation."
    ),
    arguments=_arguments,
    handler=run,
)
