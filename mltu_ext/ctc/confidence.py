"""How sure the model is of a text: per character, word and text, from the CTC posteriors.

A text (from greedy or beam decoding) is aligned to the model's output with
the best CTC path that emits exactly it (Viterbi over the blank-interleaved
labels). A character's confidence is the highest probability the model gives
it over the time steps it is aligned to; a word's is the product of its
characters' (the chance that all of them are right, if they were independent);
a text's is its least confident word's. An empty text's confidence is the
geometric mean of the blank's probability over all time steps: blank paper
read as nothing is a sure answer, a faint word read as nothing is not.
Positions are time steps; ``time_scale`` image columns make one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

_TINY = 1e-30  # keeps log() finite for probabilities that underflowed to zero
# texts below this confidence are dropped by inferenceModel.py --min-confidence:
# about 1 % of DHSD's unseen writers' words fall below it with the shipped model
# (benchmarks/confidence/RESULTS.md)
DEFAULT_MIN_CONFIDENCE = 0.02


@dataclass(frozen=True)
class CharReading:
    """One character: its confidence and the time steps [start, end) it is aligned to."""

    char: str
    confidence: float
    start: int
    end: int


@dataclass(frozen=True)
class WordReading:
    """One space-separated word: its text, confidence and the steps its characters span."""

    text: str
    confidence: float
    start: int
    end: int


@dataclass(frozen=True)
class Reading:
    """A recognised text with its confidence, and those of its words and characters."""

    text: str
    confidence: float
    chars: list[CharReading] = field(default_factory=list)
    words: list[WordReading] = field(default_factory=list)


def read_confidences(probs: np.ndarray, texts: Sequence[str], chars: str, blank_index: int) -> list[Reading]:
    """Readings of ``texts`` (one per row of ``probs`` (B, T, C)) with their confidences.

    >>> p = np.array([[[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]])  # "a", blank, "a"... blank last
    >>> r = read_confidences(p, ["aa"], "a", 1)[0]
    >>> r.text, round(r.confidence, 3), [c.start for c in r.chars]
    ('aa', 0.63, [0, 2])
    """
    # each character's class: the blank takes its own class, so those after it move up one
    # (greedy_decode reads class k > blank_index as chars[k - 1])
    lookup = {c: i if i < blank_index else i + 1 for i, c in enumerate(chars)}
    return [
        _reading(np.asarray(row, np.float64), text, lookup, blank_index)
        for row, text in zip(probs, texts, strict=True)
    ]


def _reading(probs: np.ndarray, text: str, lookup: dict[str, int], blank: int) -> Reading:
    if not text:
        confidence = float(np.exp(np.mean(np.log(probs[:, blank] + _TINY))))
        return Reading("", confidence)
    labels = [lookup[c] for c in text]
    states = align_path(probs, labels, blank)  # (T,) extended-label state per step, -1 blank
    readings = []
    for k, char in enumerate(text):
        steps = np.flatnonzero(states == k)
        if steps.size == 0:  # cannot happen on a valid alignment; a zero keeps it visible
            readings.append(CharReading(char, 0.0, 0, 0))
            continue
        peak = float(probs[steps, labels[k]].max())
        readings.append(CharReading(char, peak, int(steps[0]), int(steps[-1]) + 1))
    words = _words(readings)
    return Reading(text, min(w.confidence for w in words) if words else 1.0, readings, words)


def _words(chars: list[CharReading]) -> list[WordReading]:
    words, current = [], []
    for reading in [*chars, None]:
        if reading is None or reading.char == " ":
            if current:
                confidence = math.prod(c.confidence for c in current)
                text = "".join(c.char for c in current)
                words.append(WordReading(text, confidence, current[0].start, current[-1].end))
            current = []
        else:
            current.append(reading)
    return words


def align_path(probs: np.ndarray, labels: Sequence[int], blank: int) -> np.ndarray:
    """The best CTC path (T, C) -> (T,) that emits exactly ``labels``: per step, the index of
    the label it emits or -1 for a blank. Raises ValueError when ``labels`` need more steps."""
    steps = probs.shape[0]
    extended = np.full(2 * len(labels) + 1, blank, np.int64)  # blank, l1, blank, l2, ..., blank
    extended[1::2] = labels
    size = extended.size
    logp = np.log(probs[:, extended] + _TINY)  # T,S
    # a state may be entered from itself, the one before, or (for a label that differs
    # from the label two back) skipping the blank between them
    skip = np.zeros(size, bool)
    skip[3::2] = extended[3::2] != extended[1:-2:2]
    score = np.full(size, -np.inf)
    score[:2] = logp[0, :2]
    back = np.zeros((steps, size), np.int8)  # 0: stay, 1: from s-1, 2: from s-2
    for t in range(1, steps):
        stay = score
        step = np.concatenate([[-np.inf], score[:-1]])
        jump = np.where(skip, np.concatenate([[-np.inf, -np.inf], score[:-2]]), -np.inf)
        options = np.stack([stay, step, jump])  # 3,S
        back[t] = np.argmax(options, axis=0)
        score = options.max(axis=0) + logp[t]
    finals = [size - 1, size - 2] if size > 1 else [0]
    state = max(finals, key=lambda s: score[s])
    if not np.isfinite(score[state]):
        raise ValueError(f"{len(labels)} labels do not fit {steps} CTC steps")
    path = np.empty(steps, np.int64)
    for t in range(steps - 1, -1, -1):
        path[t] = state
        state -= int(back[t, state])
    # extended state s = 2k + 1 is label k; even states are blanks
    return np.where(path % 2 == 1, path // 2, -1)
