"""Confidence that means what it says: temperature scaling of the CTC posteriors, and how to measure it.

A network trained with CTC is over-sure of its own readings. Dividing the
log-probabilities by a temperature T > 1 before the confidences are taken
(:func:`temper`) spreads them without changing the greedy text (the arg-max
of every step stays). T is chosen on validation lines so that words read
with confidence p are right about a fraction p of the time
(:func:`fit_temperature`, by expected calibration error). A predicted word
counts as right when a word-level alignment of the line pairs it with the
same word of the reference (:func:`word_outcomes`). How well a fitted
temperature carries over to writers it was not fitted on is measured by
:func:`held_out_by_group`: each writer's words are scored at the temperature
fitted on all the other writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_TINY = 1e-30
GRID = tuple(float(t) for t in np.round(np.arange(0.5, 4.01, 0.1), 2))  # the temperatures tried


def temper(probs: np.ndarray, temperature: float) -> np.ndarray:
    """``probs`` (..., C) with their logarithms divided by ``temperature``, renormalised over C.

    >>> temper(np.array([[0.9, 0.1]]), 2.0).round(3).tolist()
    [[0.75, 0.25]]
    """
    if temperature == 1.0:
        return probs
    logits = np.log(np.asarray(probs, np.float64) + _TINY) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    out = np.exp(logits)
    return (out / out.sum(axis=-1, keepdims=True)).astype(np.float32)


def word_outcomes(predicted: str, reference: str) -> list[bool]:
    """For each word of ``predicted``: True when the best word alignment pairs it with the same word.

    >>> word_outcomes("le chat dort ici", "le chien dort")
    [True, False, True, False]
    """
    ours, theirs = predicted.split(), reference.split()
    rows, cols = len(ours) + 1, len(theirs) + 1
    cost = np.zeros((rows, cols), np.int32)
    cost[:, 0], cost[0, :] = np.arange(rows), np.arange(cols)
    for i in range(1, rows):
        for j in range(1, cols):
            same = ours[i - 1] == theirs[j - 1]
            cost[i, j] = min(cost[i - 1, j] + 1, cost[i, j - 1] + 1, cost[i - 1, j - 1] + (0 if same else 1))
    right = [False] * len(ours)
    i, j = len(ours), len(theirs)
    while i and j:  # walk back, preferring the diagonal
        same = ours[i - 1] == theirs[j - 1]
        if cost[i, j] == cost[i - 1, j - 1] + (0 if same else 1):
            right[i - 1] = same
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return right


@dataclass(frozen=True)
class ReliabilityBin:
    """One confidence bin: its range, how many words fall in it, their mean confidence and share right."""

    low: float
    high: float
    count: int
    confidence: float
    accuracy: float


def reliability_bins(
    confidences: Sequence[float], right: Sequence[bool], bins: int = 10
) -> list[ReliabilityBin]:
    """The non-empty ones of ``bins`` equal-width confidence bins (1.0 falls in the last).

    >>> found = reliability_bins([0.75, 0.25, 1.0], [True, False, False], 2)
    >>> [(b.count, b.confidence, b.accuracy) for b in found]
    [(1, 0.25, 0.0), (2, 0.875, 0.5)]
    """
    conf = np.asarray(confidences, np.float64)
    hits = np.asarray(right, np.float64)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    found = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            found.append(
                ReliabilityBin(
                    b / bins,
                    (b + 1) / bins,
                    int(inside.sum()),
                    float(conf[inside].mean()),
                    float(hits[inside].mean()),
                )
            )
    return found


def expected_calibration_error(confidences: Sequence[float], right: Sequence[bool], bins: int = 10) -> float:
    """The mean gap between confidence and accuracy over ``bins`` equal-width bins, weighted by their sizes.

    >>> round(expected_calibration_error([0.9, 0.9, 0.2, 0.2], [True, False, False, False]), 3)
    0.3
    """
    if len(confidences) == 0:
        return 0.0
    gap = sum(b.count * abs(b.confidence - b.accuracy) for b in reliability_bins(confidences, right, bins))
    return float(gap / len(confidences))


def error_after_keeping(confidences: Sequence[float], right: Sequence[bool], keep: float = 0.9) -> float:
    """The share of wrong words among the ``keep`` most confident ones (all words: ``keep=1``)."""
    conf = np.asarray(confidences, np.float64)
    hits = np.asarray(right, bool)
    if conf.size == 0:
        return 0.0
    count = max(1, round(keep * conf.size))
    chosen = np.argsort(-conf, kind="stable")[:count]
    return float(1.0 - hits[chosen].mean())


def _line_words(
    probs: Sequence[np.ndarray],
    texts: Sequence[str],
    references: Sequence[str],
    vocabulary: str,
    temperature: float,
) -> list[tuple[list[float], list[bool]]]:
    """Per line: its predicted words' confidences at ``temperature`` and whether each is right."""
    from mltu_ext.ctc.confidence import read_confidences

    blank = len(vocabulary)
    lines = []
    for row, text, reference in zip(probs, texts, references, strict=True):
        reading = read_confidences(temper(row, temperature)[None], [text], vocabulary, blank)[0]
        lines.append(([w.confidence for w in reading.words], word_outcomes(text, reference)))
    return lines


def _line_words_table(
    probs: Sequence[np.ndarray],
    texts: Sequence[str],
    references: Sequence[str],
    vocabulary: str,
    grid: Sequence[float],
) -> dict[float, list[tuple[list[float], list[bool]]]]:
    """:func:`_line_words` at every temperature of ``grid``, each line aligned once.

    Dividing the log-probabilities by T > 0 and renormalising per step scales every
    path's score alike, so the best CTC alignment of a text is the same at every
    temperature: only the aligned steps' tempered probabilities change.
    """
    from mltu_ext.ctc.confidence import read_confidences

    blank = len(vocabulary)
    lookup = {c: i for i, c in enumerate(vocabulary)}
    table: dict[float, list[tuple[list[float], list[bool]]]] = {float(t): [] for t in grid}
    for row, text, reference in zip(probs, texts, references, strict=True):
        reading = read_confidences(row[None], [text], vocabulary, blank)[0]
        outcome = word_outcomes(text, reference)
        words, current = [], []  # per word: (start, end, label) of its characters
        for char in [*reading.chars, None]:
            if char is None or char.char == " ":
                if current:
                    words.append(current)
                current = []
            else:
                current.append((char.start, char.end, lookup[char.char]))
        for t in table:
            tempered = temper(row, t)  # (T, C)
            peaks = [[tempered[a:b, k].max() if b > a else 0.0 for a, b, k in word] for word in words]
            confidences = [float(np.prod(word)) for word in peaks]
            table[t].append((confidences, outcome))
    return table


def _pooled(lines: Sequence[tuple[list[float], list[bool]]]) -> tuple[list[float], list[bool]]:
    return [c for conf, _ in lines for c in conf], [r for _, right in lines for r in right]


def word_confidences(
    probs: Sequence[np.ndarray],
    texts: Sequence[str],
    references: Sequence[str],
    vocabulary: str,
    temperature: float,
) -> tuple[list[float], list[bool]]:
    """Every predicted word's confidence at ``temperature`` and whether it is right, over all lines.

    ``probs`` holds each line's (T, C) posteriors, ``texts`` its greedy reading.
    """
    return _pooled(_line_words(probs, texts, references, vocabulary, temperature))


def fit_temperature(
    probs: Sequence[np.ndarray],
    texts: Sequence[str],
    references: Sequence[str],
    vocabulary: str,
    grid: Sequence[float] = GRID,
) -> tuple[float, float]:
    """The temperature of ``grid`` with the lowest word-confidence ECE on these lines, and that ECE."""
    table = _line_words_table(probs, texts, references, vocabulary, grid)
    best = (1.0, float("inf"))
    for temperature, lines in table.items():
        ece = expected_calibration_error(*_pooled(lines))
        if ece < best[1]:
            best = (temperature, ece)
    return best


@dataclass(frozen=True)
class HeldOut:
    """Words scored at temperatures fitted without their own group (writer)."""

    confidences: list[float]
    right: list[bool]
    temperatures: dict[str, float]  # group -> the temperature fitted on the other groups

    @property
    def ece(self) -> float:
        """The expected calibration error of all groups' held-out words together."""
        return expected_calibration_error(self.confidences, self.right)


def held_out_by_group(
    probs: Sequence[np.ndarray],
    texts: Sequence[str],
    references: Sequence[str],
    groups: Sequence[str],
    vocabulary: str,
    grid: Sequence[float] = GRID,
) -> HeldOut:
    """Each group's words at the temperature of ``grid`` fitted (lowest ECE) on the other groups' lines.

    ``groups`` names each line's group (its writer). This is how a temperature
    fitted on some writers serves a writer it never saw, with every group
    measured once; raises ValueError with fewer than two groups.
    """
    names = sorted(set(groups))
    if len(names) < 2:
        raise ValueError(f"held-out calibration needs at least two groups, got {len(names)}")
    # (lines) per temperature, computed once: the fits below only regroup them
    table = _line_words_table(probs, texts, references, vocabulary, grid)
    confidences: list[float] = []
    right: list[bool] = []
    temperatures = {}
    for name in names:
        inside = [g == name for g in groups]
        ece = {
            t: expected_calibration_error(*_pooled([x for x, i in zip(lines, inside, strict=True) if not i]))
            for t, lines in table.items()
        }
        best = min(table, key=ece.__getitem__)
        temperatures[name] = best
        conf, hits = _pooled([x for x, i in zip(table[best], inside, strict=True) if i])
        confidences += conf
        right += hits
    return HeldOut(confidences, right, temperatures)
