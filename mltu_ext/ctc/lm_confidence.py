"""Word confidence for readings decoded with a language model.

A beam search with a language model changes some words of a greedy line reading; the network
gave those words' characters low probabilities, yet many of them are right, so the CTC word
confidence of such a reading no longer says how often a word is right, at any temperature
(benchmarks/confidence_lines/RESULTS.md, runs 007-008). Here a word's confidence is instead a
logistic function of two things the reader knows: the log of its CTC confidence, and whether
the language model changed it (the word has no match in the greedy reading of the same line):

    confidence = sigmoid(w0 * log(ctc confidence) + w1 * changed + w2)

The three weights are fitted on validation lines by maximum likelihood (:func:`fit_weights`)
and kept in the model's language model file. A text's confidence stays its least sure word's;
character confidences stay the network's.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from mltu_ext.ctc.confidence import Reading

_TINY = 1e-12


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


def features(confidences: Sequence[float], changed: Sequence[bool]) -> np.ndarray:
    """(N, 3): log CTC confidence, changed (0/1), 1 for the intercept."""
    logs = np.log(np.clip(np.asarray(confidences, np.float64), _TINY, 1.0))
    return np.stack([logs, np.asarray(changed, np.float64), np.ones_like(logs)], axis=1)


def fit_weights(
    confidences: Sequence[float], changed: Sequence[bool], right: Sequence[bool]
) -> tuple[float, float, float]:
    """The logistic weights (w0, w1, w2) of highest likelihood, by Newton's method.

    A tiny ridge keeps the step defined when one feature does not vary (no word changed).
    """
    x = features(confidences, changed)
    y = np.asarray(right, np.float64)
    w = np.zeros(3)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y)
        hessian = (x * (p * (1 - p))[:, None]).T @ x + 1e-6 * np.eye(3)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return float(w[0]), float(w[1]), float(w[2])


def word_probability(confidence: float, changed: bool, weights: Sequence[float]) -> float:
    """The calibrated confidence of one word."""
    z = weights[0] * math.log(min(max(confidence, _TINY), 1.0)) + weights[1] * float(changed) + weights[2]
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def recalibrate(reading: Reading, greedy: str, weights: Sequence[float]) -> Reading:
    """``reading`` (a language model's text, CTC confidences) with its words' and text's confidence mapped."""
    if not reading.words:
        return reading
    changed = changed_words(reading.text, greedy)
    words = [
        replace(word, confidence=word_probability(word.confidence, flag, weights))
        for word, flag in zip(reading.words, changed, strict=True)
    ]
    return replace(reading, words=words, confidence=min(w.confidence for w in words))


def word_table(
    probs: Sequence[np.ndarray],
    texts: Sequence[str],
    references: Sequence[str],
    vocabulary: str,
    temperature: float = 1.0,
) -> tuple[list[float], list[bool], list[bool]]:
    """Over all lines: each word's CTC confidence, whether the language model changed it, whether it is right.

    ``probs`` holds each line's (T, C) posteriors (blank last), ``texts`` its reading with the
    language model; the confidences are taken at ``temperature``, as the recognizer takes them.
    """
    from mltu_ext.ctc.calibration import temper, word_outcomes
    from mltu_ext.ctc.confidence import read_confidences
    from mltu_ext.ctc.greedy import greedy_decode

    blank = len(vocabulary)
    confidences: list[float] = []
    changed: list[bool] = []
    right: list[bool] = []
    for row, text, reference in zip(probs, texts, references, strict=True):
        reading = read_confidences(temper(row, temperature)[None], [text], vocabulary, blank)[0]
        greedy = greedy_decode(row[None], vocabulary, blank)[0]
        confidences += [w.confidence for w in reading.words]
        changed += changed_words(text, greedy)
        right += word_outcomes(text, reference)
    return confidences, changed, right


def held_out_probabilities(
    confidences: Sequence[float], changed: Sequence[bool], right: Sequence[bool], groups: Sequence[object]
) -> list[float]:
    """Each word's calibrated confidence under the weights fitted on the other groups' words only.

    ``groups`` names each word's writer: how well the map carries over to writers it was not
    fitted on, as ``calibration.held_out_by_group`` measures the temperature.
    """
    conf = np.asarray(confidences, np.float64)
    flags = np.asarray(changed, bool)
    outcome = np.asarray(right, bool)
    names = np.asarray([str(g) for g in groups])
    mapped = np.zeros(len(conf))
    for name in sorted(set(names)):
        mine = names == name
        weights = fit_weights(conf[~mine], flags[~mine], outcome[~mine])
        mapped[mine] = [word_probability(c, f, weights) for c, f in zip(conf[mine], flags[mine], strict=True)]
    return mapped.tolist()


@dataclass
class WordMap:
    """Every word of some lines read with a language model, and the map fitted on them."""

    confidences: list[float]  # CTC word confidences
    changed: list[bool]
    right: list[bool]
    weights: tuple[float, float, float]  # fitted on all the words
    held_out: list[float] | None  # each word mapped by weights fitted without its group; None: < 2 groups


def fit_word_map(
    probs: Sequence[np.ndarray],
    texts: Sequence[str],
    references: Sequence[str],
    vocabulary: str,
    temperature: float = 1.0,
    groups: Sequence[object] | None = None,
) -> WordMap:
    """Fit the word-confidence map on lines read with a language model (one group, e.g. a writer, per line).

    With two or more groups (and none of them None) each word is also mapped by the weights
    fitted on the other groups' words alone: how well the map carries over.
    """
    tables = [
        word_table([p], [t], [r], vocabulary, temperature)
        for p, t, r in zip(probs, texts, references, strict=True)
    ]
    confidences, changed, right = ([v for table in tables for v in table[k]] for k in range(3))
    held = None
    if groups is not None and None not in groups and len(set(groups)) >= 2:
        word_groups = [g for table, g in zip(tables, groups, strict=True) for _ in table[0]]
        held = held_out_probabilities(confidences, changed, right, word_groups)
    weights = fit_weights(confidences, changed, right) if right else (0.0, 0.0, 0.0)
    return WordMap(confidences, changed, right, weights, held)
