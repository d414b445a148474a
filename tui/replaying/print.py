"""The replay comparison as plain text: per turn, recorded and new side by side, then a diff."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence

from convsim_core.replay import ReplayComparison, Turn, word_diff
from tui.formatting import clip
from tui.headless import HeadlessPrinter


def print_comparison(result: ReplayComparison, printer: HeadlessPrinter | None = None) -> None:
    printer = printer or HeadlessPrinter()
    style = printer.style
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 160))
    column = (width - 3) // 2
    printer.line(style.bold(f"Replay of {result.path.name}"))
    for turn in result.turns:
        _turn(printer, turn, column)
    printer.line()
    outcome = f"recorded {result.recorded_outcome or 'none'} · new {result.new_outcome or 'none'}"
    printer.line(
        f"{style.bold('Outcome:'.ljust(12))}"
        + (style.warn(outcome + "  (changed)") if result.outcome_changed else outcome)
    )
    changed = len(result.changed_turns)
    skipped = len(result.not_replayed)
    unsent = f" ({skipped} not replayed: the replay broke off)" if skipped else ""
    printer.line(
        f"{style.bold('Changed:'.ljust(12))}{changed} of {len(result.turns)} turns{unsent}"
    )
    if result.error:
        printer.line(f"{style.bold('Error:'.ljust(12))}{style.warn(result.error)}")
    if result.new_transcript is not None:
        printer.line(f"{style.bold('Transcript:'.ljust(12))}{result.new_transcript}")
    printer.line()


def _turn(printer: HeadlessPrinter, turn: Turn, column: int) -> None:
    style = printer.style
    printer.line()
    if not turn.replayed:
        mark = style.dim("not replayed")
    else:
        mark = style.warn("changed") if turn.changed else style.dim("same")
    said = f"customer: {turn.customer}" if turn.customer is not None else "the bot opens"
    printer.line(f"{style.bold(f'Turn {turn.number}')}  {mark}  {clip(said, column * 2)}")
    left = _wrap(turn.recorded_text or "(no answer)", column)
    right = _wrap(turn.new_text or ("(no answer)" if turn.replayed else "(not replayed)"), column)
    printer.line(style.dim(f"{'recorded'.ljust(column)} | new"))
    for index in range(max(len(left), len(right))):
        a = left[index] if index < len(left) else ""
        b = right[index] if index < len(right) else ""
        printer.line(f"{a.ljust(column)} | {b}")
    if turn.changed:
        pieces = []
        for op, text in word_diff(turn.recorded_text, turn.new_text):
            if op == "-":
                pieces.append(style.warn(f"[-{text}-]"))
            elif op == "+":
                pieces.append(style.bold(f"{{+{text}+}}"))
            else:
                pieces.append(text)
        printer.line(style.dim("diff: ") + " ".join(pieces))


def print_summary(
    results: Sequence[ReplayComparison], printer: HeadlessPrinter | None = None
) -> None:
    printer = printer or HeadlessPrinter()
    style = printer.style
    changed = [r for r in results if r.changed]
    turns = sum(len(r.turns) for r in results)
    changed_turns = sum(len(r.changed_turns) for r in results)
    outcomes = sum(1 for r in results if r.outcome_changed)
    printer.line(style.bold("Summary"))
    printer.line(
        f"{len(results)} conversations replayed: {len(changed)} changed,"
        f" {changed_turns} of {turns} turns changed, {outcomes} outcomes changed"
    )
    for result in results:
        status = style.warn("changed") if result.changed else style.dim("same")
        outcome = (
            f"  outcome {result.recorded_outcome or 'none'} -> {result.new_outcome or 'none'}"
            if result.outcome_changed
            else ""
        )
        failed = f"  error: {result.error}" if result.error else ""
        printer.line(
            f"  {result.path.stem:<32} {status:<8} {len(result.changed_turns)}/{len(result.turns)}"
            f" turns{outcome}{failed}"
        )


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(paragraph, width) or [""])
    return lines
