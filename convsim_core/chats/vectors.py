"""TF-IDF vectors and k-means in numpy: enough to group chats and compare texts offline."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from convsim_core.chats.retrieval import words

Matrix = npt.NDArray[np.float32]


class TfIdf:
    """Fitted on one set of texts; vocabulary capped to the most frequent words."""

    def __init__(self, texts: Sequence[str], *, max_words: int = 2000) -> None:
        documents = [set(words(text)) for text in texts]
        frequency = Counter(word for doc in documents for word in doc)
        common = [w for w, n in frequency.most_common(max_words) if n >= 1]
        self.vocabulary = {word: i for i, word in enumerate(common)}
        count = max(len(documents), 1)
        self.idf = np.array(
            [math.log((1 + count) / (1 + frequency[w])) + 1 for w in common], dtype=np.float32
        )

    def transform(self, texts: Sequence[str]) -> Matrix:
        matrix = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float32)
        for row, text in enumerate(texts):
            for word, n in Counter(words(text)).items():
                column = self.vocabulary.get(word)
                if column is not None:
                    matrix[row, column] = n
        matrix *= self.idf
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        normalised: Matrix = (matrix / norms).astype(np.float32)
        return normalised

    def top_words(self, vector: npt.NDArray[np.float32], n: int) -> list[str]:
        names = list(self.vocabulary)
        order = np.argsort(-vector)[:n]
        return [names[i] for i in order if vector[i] > 0]


def kmeans(
    matrix: Matrix, k: int, *, seed: int = 0, rounds: int = 30
) -> tuple[npt.NDArray[np.int64], Matrix]:
    """Spherical k-means (cosine) with k-means++ seeding; deterministic for a seed."""
    rng = np.random.default_rng(seed)
    count = matrix.shape[0]
    k = max(1, min(k, count))
    centres = [int(rng.integers(count))]
    for _ in range(1, k):
        similarity = matrix @ matrix[centres].T
        distance = np.clip(1.0 - similarity.max(axis=1), 0.0, None) ** 2
        total = float(distance.sum())
        if total <= 0:
            break
        centres.append(int(rng.choice(count, p=distance / total)))
    centroids = matrix[centres].copy()
    labels = np.zeros(count, dtype=np.int64)
    for _ in range(rounds):
        new_labels = np.argmax(matrix @ centroids.T, axis=1)
        if np.array_equal(new_labels, labels) and _ > 0:
            break
        labels = new_labels
        for cluster in range(len(centroids)):
            members = matrix[labels == cluster]
            if len(members):
                centre = members.mean(axis=0)
                norm = float(np.linalg.norm(centre))
                centroids[cluster] = centre / norm if norm else centre
    return labels, centroids
