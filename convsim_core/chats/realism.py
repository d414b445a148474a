"""How close simulated customers come to real ones, per scenario.

Five measures, each in [0, 1] where 1 is "like the real chats", and their mean as the score:

- ``length``: 1 - the Kolmogorov-Smirnov distance between words-per-turn distributions;
- ``turns``: the same for customer turns per conversation;
- ``vocabulary``: the share of the simulated customers' words that real customers use;
- ``nearest``: the mean TF-IDF cosine of each simulated turn to its nearest real turn;
- ``indistinguishable``: 1 - 2 max(0, accuracy - 0.5) of a naive Bayes classifier telling simulated
  turns from real ones under 5-fold cross-validation (accuracy 50% = indistinguishable).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import attrs
import numpy as np

from convsim_core.chats.retrieval import words
from convsim_core.chats.vectors import TfIdf

FOLDS = 5
MAX_CLASSIFIER_TURNS = 2000


@attrs.frozen
class Realism:
    simulated_turns: int
    real_turns: int
    mean_words_simulated: float
    mean_words_real: float
    length: float
    turns: float
    vocabulary: float
    nearest: float
    classifier_accuracy: float

    @property
    def indistinguishable(self) -> float:
        # Below chance is no better than chance (identical sets even score below it, since a
        # held-out turn's twin sits in the other class): only accuracy above 50% counts.
        return max(0.0, 1.0 - 2.0 * max(0.0, self.classifier_accuracy - 0.5))

    @property
    def score(self) -> float:
        parts = (self.length, self.turns, self.vocabulary, self.nearest, self.indistinguishable)
        return sum(parts) / len(parts)

    def to_json(self) -> dict[str, float | int]:
        return {
            **attrs.asdict(self),
            "indistinguishable": round(self.indistinguishable, 4),
            "score": round(self.score, 4),
        }


def measure(
    simulated: Sequence[Sequence[str]], real: Sequence[Sequence[str]], *, seed: int = 0
) -> Realism:
    """``simulated`` and ``real``: the customer turns of each conversation."""
    sim_turns = [t for chat in simulated for t in chat if t.strip()]
    real_turns = [t for chat in real for t in chat if t.strip()]
    if not sim_turns or not real_turns:
        raise ValueError("realism needs customer turns on both sides")
    sim_lengths = [len(t.split()) for t in sim_turns]
    real_lengths = [len(t.split()) for t in real_turns]
    real_vocabulary = {w for t in real_turns for w in words(t)}
    sim_vocabulary = {w for t in sim_turns for w in words(t)}
    vocabulary = (
        len(sim_vocabulary & real_vocabulary) / len(sim_vocabulary) if sim_vocabulary else 0
    )
    return Realism(
        simulated_turns=len(sim_turns),
        real_turns=len(real_turns),
        mean_words_simulated=round(sum(sim_lengths) / len(sim_lengths), 2),
        mean_words_real=round(sum(real_lengths) / len(real_lengths), 2),
        length=round(1 - ks_distance(sim_lengths, real_lengths), 4),
        turns=round(
            1 - ks_distance([len(c) for c in simulated if c], [len(c) for c in real if c]), 4
        ),
        vocabulary=round(vocabulary, 4),
        nearest=round(_nearest(sim_turns, real_turns), 4),
        classifier_accuracy=round(classifier_accuracy(sim_turns, real_turns, seed=seed), 4),
    )


def ks_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """The two-sample Kolmogorov-Smirnov statistic: the largest gap between the two CDFs."""
    if not a or not b:
        return 1.0
    xs, ys = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    grid = np.concatenate([xs, ys])
    cdf_a = np.searchsorted(xs, grid, side="right") / len(xs)
    cdf_b = np.searchsorted(ys, grid, side="right") / len(ys)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def _nearest(sim_turns: Sequence[str], real_turns: Sequence[str]) -> float:
    tfidf = TfIdf([*sim_turns, *real_turns], max_words=5000)
    real = tfidf.transform(real_turns)
    total = 0.0
    for start in range(0, len(sim_turns), 256):
        block = tfidf.transform(sim_turns[start : start + 256])
        total += float((block @ real.T).max(axis=1).sum())
    return total / len(sim_turns)


def classifier_accuracy(simulated: Sequence[str], real: Sequence[str], *, seed: int = 0) -> float:
    """Cross-validated accuracy of multinomial naive Bayes on balanced classes."""
    rng = random.Random(seed)
    size = min(len(simulated), len(real), MAX_CLASSIFIER_TURNS // 2)
    if size < FOLDS:
        return 0.5  # too few turns to tell anything apart
    sim = rng.sample(list(simulated), size)
    rea = rng.sample(list(real), size)
    samples = [(t, 0) for t in sim] + [(t, 1) for t in rea]
    rng.shuffle(samples)
    correct = 0
    for fold in range(FOLDS):
        test = samples[fold::FOLDS]
        train = [s for i, s in enumerate(samples) if i % FOLDS != fold]
        model = _NaiveBayes(train)
        correct += sum(model.predict(text) == label for text, label in test)
    return correct / len(samples)


class _NaiveBayes:
    """Words plus a length bucket as features, Laplace smoothing: small and fast enough."""

    def __init__(self, samples: Sequence[tuple[str, int]]) -> None:
        self.counts = [Counter[str](), Counter[str]()]
        self.priors = [0, 0]
        for text, label in samples:
            self.counts[label].update(_features(text))
            self.priors[label] += 1
        self.vocabulary = len(set(self.counts[0]) | set(self.counts[1])) + 1
        self.totals = [sum(c.values()) for c in self.counts]

    def predict(self, text: str) -> int:
        scores = []
        for label in (0, 1):
            score = math.log(self.priors[label] + 1)
            denominator = self.totals[label] + self.vocabulary
            for feature in _features(text):
                score += math.log((self.counts[label][feature] + 1) / denominator)
            scores.append(score)
        return int(scores[1] > scores[0])


def _features(text: str) -> list[str]:
    tokens = [w for w in text.lower().split() if w]
    return [*tokens, f"<len:{min(len(tokens) // 4, 8)}>", f"<first:{tokens[0] if tokens else ''}>"]


REFERENCE_CHATS = 100


def reference_chats(library_folder: Path, query: str) -> list[Sequence[str]]:
    """The real chats a scenario is compared with: the ones most like its conversations."""
    from convsim_core.chats.retrieval import bm25_for, open_library

    library = open_library(library_folder)
    chosen: list[str] = []
    for hit in bm25_for(library_folder).search_now(query, REFERENCE_CHATS * 10):
        if hit.chat_id not in chosen:
            chosen.append(hit.chat_id)
        if len(chosen) >= REFERENCE_CHATS:
            break
    by_id = {chat.chat_id: chat for chat in library.chats()}
    chats = [by_id[c] for c in chosen if c in by_id]
    if len(chats) < 20:  # too little alike: compare with the whole library
        chats = library.chats()
    return [chat.customer_texts for chat in chats]
