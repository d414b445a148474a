"""How well a judge agrees with people: precision, recall, confusion, accuracy, Cohen's kappa.

People label conversations in a CSV (``conversation_id,outcome``, see the labels format in
``docs/scenarios.md``; further columns are ignored; a later row for the same conversation
wins) or by confirming/overriding the outcome in play mode, which the transcript keeps. A team
needs these figures before it trusts a pass rate computed by the judge.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs

NONE = "none"


class LabelsError(Exception):
    """A labels file that cannot be used; one line naming the file and line."""


def read_labels(path: Path, known: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """conversation id -> label, checked against ``known`` (id -> its scenario's outcomes)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LabelsError(f"{path}: no such labels file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelsError(f"{path}: cannot read the labels file: {exc}") from None
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    if header is None or [h.strip() for h in header[:2]] != ["conversation_id", "outcome"]:
        raise LabelsError(f"{path}:1: expected the header 'conversation_id,outcome'")
    labels: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            raise LabelsError(f"{path}:{number}: expected conversation_id,outcome")
        conversation, outcome = row[0].strip(), row[1].strip()
        if conversation not in known:
            raise LabelsError(f"{path}:{number}: unknown conversation {conversation!r}")
        legal = {*known[conversation], NONE}
        if outcome not in legal:
            raise LabelsError(
                f"{path}:{number}: unknown outcome {outcome!r} for {conversation}"
                f" (one of {', '.join(sorted(legal))})"
            )
        labels[conversation] = outcome  # last row wins
    return labels


@attrs.frozen
class Agreement:
    """Judge vs people over the conversations both labelled."""

    pairs: tuple[tuple[str, str], ...]
    """(human label, judge label) per conversation."""

    @property
    def labels(self) -> tuple[str, ...]:
        seen = {label for pair in self.pairs for label in pair}
        return tuple(sorted(seen - {NONE})) + ((NONE,) if NONE in seen else ())

    @property
    def confusion(self) -> Counter[tuple[str, str]]:
        return Counter(self.pairs)

    @property
    def accuracy(self) -> float:
        return sum(h == j for h, j in self.pairs) / len(self.pairs) if self.pairs else 0.0

    def precision(self, label: str) -> float | None:
        judged = [h for h, j in self.pairs if j == label]
        return sum(h == label for h in judged) / len(judged) if judged else None

    def recall(self, label: str) -> float | None:
        true = [j for h, j in self.pairs if h == label]
        return sum(j == label for j in true) / len(true) if true else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa: agreement beyond what the two label frequencies give by chance."""
        total = len(self.pairs)
        if not total:
            return None
        humans = Counter(h for h, _ in self.pairs)
        judges = Counter(j for _, j in self.pairs)
        expected = sum(humans[k] * judges[k] for k in self.labels) / (total * total)
        if expected == 1.0:
            return 1.0 if self.accuracy == 1.0 else 0.0
        return (self.accuracy - expected) / (1 - expected)


def format_agreement(agreement: Agreement) -> list[str]:
    labels = agreement.labels
    lines = [
        f"agreement with people on {len(agreement.pairs)} conversations:"
        f" accuracy {agreement.accuracy:.1%}, Cohen's kappa {_number(agreement.kappa)}"
    ]
    lines.append("  outcome            precision  recall")
    for label in labels:
        precision = _share(agreement.precision(label))
        recall = _share(agreement.recall(label))
        lines.append(f"  {label:<18} {precision:>9}  {recall:>6}")
    width = max([len(label) for label in labels] + [8])
    lines.append("  confusion (rows: people, columns: judge)")
    lines.append("  " + " " * width + " " + " ".join(f"{label:>{width}}" for label in labels))
    confusion = agreement.confusion
    for human in labels:
        cells = " ".join(f"{confusion[(human, judged)]:>{width}}" for judged in labels)
        lines.append(f"  {human:<{width}} {cells}")
    return lines


def pairs_for(labels: Mapping[str, str], judged: Mapping[str, str]) -> Sequence[tuple[str, str]]:
    return tuple((labels[c], judged[c]) for c in sorted(labels) if c in judged)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
