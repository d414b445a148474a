"""``convsim judge``: re-judge saved transcripts, and check a judge against human labels.

    convsim judge TRANSCRIPT_OR_DIR... [--scenario FILE] [--judge KIND] [--labels FILE]

Writes each new verdict beside its transcript (``<stem>.verdict.json``; the recorded result is
never overwritten) and prints what changed. With ``--labels`` (a CSV ``conversation_id,outcome``)
and/or play-mode verdicts saved in the transcripts, prints per-outcome precision and recall, a
confusion matrix, accuracy and Cohen's kappa. The logic lives in ``convsim_core.rejudge`` and
``convsim_core.agreement``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from convsim_core.agreement import Agreement, LabelsError, format_agreement, pairs_for, read_labels
from convsim_core.persistence import Transcript
from convsim_core.rejudge import (
    RejudgeError,
    Verdict,
    change_summary,
    read,
    rejudge,
    scenario_for,
    transcript_paths,
    write_verdict,
)
from convsim_core.scenario import load_scenario
from convsim_core.scenario_models import JUDGE_KINDS, Scenario
from convsim_core.scenario_reader import ScenarioError
from tui.commands.command import Command
from tui.wiring.errors import UserError


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "targets", nargs="+", metavar="TRANSCRIPT_OR_DIR", help="transcripts or folders of them"
    )
    parser.add_argument(
        "--scenario",
        type=Path,
        metavar="FILE",
        help="outcome definitions to use (default: each transcript's)",
    )
    parser.add_argument(
        "--judge",
        choices=JUDGE_KINDS,
        metavar="KIND",
        help=f"{', '.join(JUDGE_KINDS)} (default: the scenario's judge.kind)",
    )
    parser.add_argument(
        "--labels",
        type=Path,
        metavar="FILE",
        help="CSV conversation_id,outcome of human labels (play-mode verdicts count too)",
    )


async def handle_judge(args: argparse.Namespace) -> int:
    given: Scenario | None = None
    if args.scenario is not None:
        try:
            given = load_scenario(args.scenario)
        except FileNotFoundError:
            raise UserError(f"{args.scenario}: no such scenario file") from None
        except ScenarioError as exc:
            raise UserError(str(exc)) from None
    outcomes_of: dict[str, tuple[str, ...]] = {}
    try:
        loaded = [(transcript, scenario_for(transcript, given)) for transcript in _read_all(args)]
    except RejudgeError as exc:
        raise UserError(str(exc)) from None
    for transcript, scenario in loaded:
        outcomes_of[transcript.path.stem] = scenario.outcomes.names
    # The labels file is checked before any verdict is written: bad input changes nothing.
    given_labels: dict[str, str] = {}
    if args.labels is not None:
        try:
            given_labels = read_labels(args.labels, outcomes_of)
        except LabelsError as exc:
            raise UserError(str(exc)) from None
    verdicts: list[Verdict] = []
    try:
        for transcript, scenario in loaded:
            verdict = await rejudge(transcript, scenario, args.judge)
            write_verdict(verdict)
            verdicts.append(verdict)
    except RejudgeError as exc:
        raise UserError(str(exc)) from None
    for line in change_summary(verdicts):
        print(line)
    print(f"verdicts written beside the transcripts (*.verdict.json), judge: {verdicts[0].judge}")
    labels = {v.conversation_id: v.human for v in verdicts if v.human is not None}
    labels.update(given_labels)
    if args.labels is not None or labels:
        judged = {v.conversation_id: v.judged for v in verdicts}
        agreement = Agreement(tuple(pairs_for(labels, judged)))
        if not agreement.pairs:
            raise UserError("no labelled conversations among the transcripts")
        for line in format_agreement(agreement):
            print(line)
    return 0


def _read_all(args: argparse.Namespace) -> list[Transcript]:
    return [read(path) for path in transcript_paths(args.targets)]


COMMAND = Command(
    "judge",
    help="re-judge saved transcripts; compare a judge with human labels",
    description=(
        "Re-label saved transcripts with the current outcome definitions and write the new"
        " verdicts beside them (<name>.verdict.json; the recorded result is kept). With"
        " --labels, compare the judge with people: precision, recall, confusion matrix,"
        " accuracy and Cohen's kappa."
    ),
    arguments=_arguments,
    handler=handle_judge,
)
