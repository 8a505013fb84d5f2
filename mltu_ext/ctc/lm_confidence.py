"""Word confidence for readings decoded with a language model.

A beam search with a language model changes some words of a greedy line reading; the network
gave those words' characters low probabilities, yet many of them are right, so the CTC word
confidence of such a reading no longer says how often a word is right, at any temperature
(benchmarks/confidence_lines/RESULTS.md, runs 007-009). Here a word's confidence is instead a
logistic function of three things the reader knows: the log of its CTC confidence, whether
the language model changed it (the word has no match in the greedy reading of the same line),
and how familiar the language model finds its spelling (the mean log probability of its
characters and the space after it, :func:`spelling_score`):

    confidence = sigmoid(w0 * log(ctc confidence) + w1 * changed + w2 * spelling + w3)

The four weights are fitted on validation lines by maximum likelihood (:func:`fit_weights`)
and kept in the model's language model file; a file with three weights (no spelling term) is
read with w2 = 0. A text's confidence stays its least sure word's; character confidences stay
the network's.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from mltu_ext.ctc.beam_lm import CharNgramLM
from mltu_ext.ctc.confidence import Reading
from mltu_ext.errors import ConfigError

_TINY = 1e-12
WEIGHTS = 4  # log confidence, changed, spelling, intercept


def changed_words(text: str, greedy: str) -> list[bool]:
    """For each space-separated word of ``text``: True when the greedy reading has no match for it.

    >>> changed_words("la maison blanche", "la maisen blanche")
    [False, True, False]
    """
    words, plain = text.split(), greedy.split()
    changed = [True] * len(words)
    for block in difflib.SequenceMatcher(a=words, b=plain, autojunk=False).get_matching_blocks():
        for i in range(block.a, block.a + block.size):
            changed[i] = False
    return changed


def spelling_score(lm: CharNgramLM | None, word: str) -> float:
    """Mean log probability, under ``lm``, of the word's characters and the space after it, after a space.

    Near 0 for a word the language model's texts hold, far below for an unknown spelling; 0
    without a language model. The word is scored on its own, so that one misread word does not
    lower its neighbours' scores.
    """
    if lm is None:
        return 0.0
    history, total = " ", 0.0
    for char in word + " ":
        total += lm.logprob(history, char)
        history += char
    return total / (len(word) + 1)


def full_weights(weights: Sequence[float]) -> tuple[float, float, float, float]:
    """Four weights; three (a file from before the spelling term) read as (w0, w1, 0, w2)."""
    if len(weights) == WEIGHTS - 1:
        return float(weights[0]), float(weights[1]), 0.0, float(weights[2])
    if len(weights) != WEIGHTS:
        raise ConfigError(f"word confidence needs {WEIGHTS} weights (or 3), got {len(weights)}")
    return float(weights[0]), float(weights[1]), float(weights[2]), float(weights[3])


@dataclass
class WordTable:
    """One row a word: what the map reads of it, and (for fitting) whether it is right."""

    confidences: list[float] = field(default_factory=list)  # CTC word confidences
    changed: list[bool] = field(default_factory=list)
    spelling: list[float] = field(default_factory=list)  # spelling_score
    right: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.confidences)

    def features(self) -> np.ndarray:
        """(N, 4): log CTC confidence, changed (0/1), spelling score, 1 for the intercept."""
        logs = np.log(np.clip(np.asarray(self.confidences, np.float64), _TINY, 1.0))
        columns = [logs, np.asarray(self.changed, np.float64), np.asarray(self.spelling, np.float64)]
        return np.stack([*columns, np.ones_like(logs)], axis=1)

    def subset(self, keep: np.ndarray) -> WordTable:
        """The rows where ``keep`` (a boolean mask) is True."""
        rows = np.flatnonzero(keep)
        return WordTable(*([column[i] for i in rows] for column in self._columns()))

    def extend(self, other: WordTable) -> None:
        """Append ``other``'s rows."""
        for mine, theirs in zip(self._columns(), other._columns(), strict=True):
            mine.extend(theirs)

    def _columns(self) -> tuple[list, list, list, list]:
        """The four columns, in the order of the constructor."""
        return self.confidences, self.changed, self.spelling, self.right


def fit_weights(table: WordTable) -> tuple[float, float, float, float]:
    """The logistic weights (w0, w1, w2, w3) of highest likelihood, by Newton's method.

    A tiny ridge keeps the step defined when a feature does not vary (no word changed).
    """
    x = table.features()
    y = np.asarray(table.right, np.float64)
    w = np.zeros(WEIGHTS)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y)
        hessian = (x * (p * (1 - p))[:, None]).T @ x + 1e-6 * np.eye(WEIGHTS)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return full_weights(w.tolist())


def word_probability(confidence: float, changed: bool, spelling: float, weights: Sequence[float]) -> float:
    """The calibrated confidence of one word."""
    w = full_weights(weights)
    z = w[0] * math.log(min(max(confidence, _TINY), 1.0)) + w[1] * float(changed) + w[2] * spelling + w[3]
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def mapped(table: WordTable, weights: Sequence[float]) -> list[float]:
    """Every word of the table at these weights."""
    return [
        word_probability(c, f, s, weights)
        for c, f, s in zip(table.confidences, table.changed, table.spelling, strict=True)
    ]


def recalibrate(reading: Reading, greedy: str, weights: Sequence[float], lm: CharNgramLM | None) -> Reading:
    """``reading`` (a language model's text, CTC confidences) with its words' and text's confidence mapped."""
    if not reading.words:
        return reading
    changed = changed_words(reading.text, greedy)
    four = full_weights(weights)
    words = [
        replace(word, confidence=word_probability(word.confidence, flag, spelling_score(lm, word.text), four))
        for word, flag in zip(reading.words, changed, strict=True)
    ]
    return replace(reading, words=words, confidence=min(word.confidence for word in words))


def word_table(
    probs: Sequence[np.ndarray],
    texts: Sequence[str],
    references: Sequence[str],
    vocabulary: str,
    lm: CharNgramLM | None,
    temperature: float = 1.0,
) -> WordTable:
    """Over all lines: each word's CTC confidence, whether the language model changed it, its
    spelling score under ``lm``, whether it is right.

    ``probs`` holds each line's (T, C) posteriors (blank last), ``texts`` its reading with the
    language model; the confidences are taken at ``temperature``, as the recognizer takes them.
    """
    from mltu_ext.ctc.calibration import temper, word_outcomes
    from mltu_ext.ctc.confidence import read_confidences
    from mltu_ext.ctc.greedy import greedy_decode

    blank = len(vocabulary)
    table = WordTable()
    for row, text, reference in zip(probs, texts, references, strict=True):
        reading = read_confidences(temper(row, temperature)[None], [text], vocabulary, blank)[0]
        greedy = greedy_decode(row[None], vocabulary, blank)[0]
        table.confidences += [w.confidence for w in reading.words]
        table.spelling += [spelling_score(lm, w.text) for w in reading.words]
        table.changed += changed_words(text, greedy)
        table.right += word_outcomes(text, reference)
    return table


def held_out_probabilities(table: WordTable, groups: Sequence[object]) -> list[float]:
    """Each word's calibrated confidence under the weights fitted on the other groups' words only.

    ``groups`` names each word's writer: how well the map carries over to writers it was not
    fitted on, as ``calibration.held_out_by_group`` measures the temperature.
    """
    names = np.asarray([str(g) for g in groups])
    out = np.zeros(len(table))
    for name in sorted(set(names)):
        mine = names == name
        out[mine] = mapped(table.subset(mine), fit_weights(table.subset(~mine)))
    return out.tolist()


@dataclass
class WordMap:
    """Every word of some lines read with a language model, and the map fitted on them."""

    table: WordTable
    weights: tuple[float, float, float, float]  # fitted on all the words
    held_out: list[float] | None  # each word mapped by weights fitted without its group; None: < 2 groups


def fit_word_map(
    probs: Sequence[np.ndarray],
    texts: Sequence[str],
    references: Sequence[str],
    vocabulary: str,
    lm: CharNgramLM | None,
    temperature: float = 1.0,
    groups: Sequence[object] | None = None,
) -> WordMap:
    """Fit the word-confidence map on lines read with a language model (one group, e.g. a writer, per line).

    With two or more groups (and none of them None) each word is also mapped by the weights
    fitted on the other groups' words alone: how well the map carries over.
    """
    table = WordTable()
    word_groups: list[object] = []
    for i, (row, text, reference) in enumerate(zip(probs, texts, references, strict=True)):
        part = word_table([row], [text], [reference], vocabulary, lm, temperature)
        table.extend(part)
        word_groups += [None if groups is None else groups[i]] * len(part)
    held = None
    if groups is not None and None not in groups and len(set(groups)) >= 2:
        held = held_out_probabilities(table, word_groups)
    weights = fit_weights(table) if len(table) else (0.0, 0.0, 0.0, 0.0)
    return WordMap(table, weights, held)
