"""CTC beam search with a character n-gram language model learnt from label texts.

Greedy decoding reads every column on its own. Words of one domain (street
and place names, say) share spellings ("-straße", "-dorf", "sch"), and a
character n-gram model of the training labels knows them: the beam search
keeps the ``beam`` best prefixes and scores each as
``log P_ctc + alpha * log P_lm + beta * length``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mltu_ext.data.text_forms import normal_text
from mltu_ext.errors import ConfigError, InputFileError
from mltu_ext.io.os_errors import special_file_kind
from mltu_ext.io.text_files import read_text

# a character below about 6e-6 at a step never earns a beam entry; skipping it saves time
MIN_LOG_PROB = -12.0
START, END = "\x02", "\x03"  # sentence markers, outside any vocabulary


class CharNgramLM:
    """Interpolated Witten-Bell character n-gram model.

    >>> lm = CharNgramLM.from_texts(["abab", "abba"], order=3)
    >>> lm.logprob("ab", "a") > lm.logprob("ab", "x")
    True
    """

    def __init__(self, order: int, counts: Mapping[str, Mapping[str, int]], alphabet: set[str]):
        self.order = order
        # context (0..order-1 chars) -> next char -> count: Counters when counted here, dicts
        # when read from a file (mltu_ext.ctc.lm_file); only read from here on
        self.counts = counts
        self.alphabet = alphabet | {END}
        self._cache: dict[tuple[str, str], float] = {}
        self._sizes: dict[str, tuple[int, int]] = {}  # context -> (count of all followers, distinct ones)

    @classmethod
    def from_texts(cls, texts: Iterable[str], order: int = 4) -> CharNgramLM:
        """Count every character after each of its 0..order-1 preceding characters."""
        if order < 1:
            raise ConfigError(f"order must be at least 1, got {order}")
        counts: dict[str, Counter] = defaultdict(Counter)
        alphabet: set[str] = set()
        for text in texts:
            alphabet.update(text)
            padded = START * (order - 1) + text + END
            for i in range(order - 1, len(padded)):
                for n in range(order):
                    counts[padded[i - n : i]][padded[i]] += 1
        return cls(order, dict(counts), alphabet)

    def logprob(self, history: str, char: str) -> float:
        """log P(char | the last order-1 characters of ``history``)."""
        width = self.order - 1
        # only the last characters count: no copy of a long history
        context = history[-width:] if width else ""
        if len(context) < width:
            context = START * (width - len(context)) + context
        key = (context, char)
        if key not in self._cache:
            self._cache[key] = math.log(self._prob(context, char))
        return self._cache[key]

    def _prob(self, context: str, char: str) -> float:
        # uniform floor, then each longer context interpolated with the shorter one
        prob = 1.0 / len(self.alphabet)
        for n in range(len(context) + 1):
            suffix = context[len(context) - n :] if n else ""
            seen = self.counts.get(suffix)
            if not seen:
                continue
            sizes = self._sizes.get(suffix)
            if sizes is None:
                sizes = self._sizes[suffix] = (sum(seen.values()), len(seen))
            total, types = sizes
            weight = total / (total + types)
            prob = weight * seen.get(char, 0) / total + (1 - weight) * prob
        return prob


def beam_decode(
    probs: np.ndarray,
    vocabulary: str,
    blank_index: int | None = None,
    lm: CharNgramLM | None = None,
    beam: int = 16,
    alpha: float = 0.5,
    beta: float = 0.0,
) -> str:
    """CTC prefix beam search over softmax outputs (T, C) of one image.

    Without ``lm`` it is a plain prefix beam search (at ``beam=1`` close to
    greedy decoding). The blank is ``blank_index`` (default: the last class).

    >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]])  # vocabulary "a", blank last
    >>> beam_decode(p, "a")  # a, a, blank: one "a"
    'a'
    """
    blank = probs.shape[1] - 1 if blank_index is None else blank_index
    log_probs = np.log(np.clip(probs, 1e-12, 1.0))
    # prefix -> (log P ending in blank, log P ending in its last char)
    beams: dict[str, tuple[float, float]] = {"": (0.0, -math.inf)}
    lm_score: dict[str, float] = {"": 0.0}
    for t in range(log_probs.shape[0]):
        row = log_probs[t]
        # only characters that are not negligible at this step
        candidates = [c for c in np.argsort(row)[::-1][: beam + 1] if row[c] > MIN_LOG_PROB]
        nxt: dict[str, list[float]] = defaultdict(lambda: [-math.inf, -math.inf])
        for prefix, (p_blank, p_char) in beams.items():
            total = _logaddexp(p_blank, p_char)
            for c in candidates:
                lp = float(row[c])
                if c == blank:
                    entry = nxt[prefix]
                    entry[0] = _logaddexp(entry[0], total + lp)
                    continue
                char = vocabulary[c if c < blank else c - 1]  # the blank takes no character
                extended = prefix + char
                if extended not in lm_score:
                    lm_score[extended] = lm_score[prefix] + (
                        alpha * lm.logprob(prefix, char) + beta if lm is not None else 0.0
                    )
                entry = nxt[extended]
                if prefix and prefix[-1] == char:
                    # a repeat needs a blank between; without one it stays the same prefix
                    entry[1] = _logaddexp(entry[1], p_blank + lp)
                    same = nxt[prefix]
                    same[1] = _logaddexp(same[1], p_char + lp)
                else:
                    entry[1] = _logaddexp(entry[1], total + lp)
        ranked = sorted(nxt.items(), key=lambda kv: _logaddexp(*kv[1]) + lm_score[kv[0]], reverse=True)
        beams = {prefix: (scores[0], scores[1]) for prefix, scores in ranked[:beam]}

    def final(prefix: str) -> float:
        end = alpha * lm.logprob(prefix, END) if lm is not None else 0.0
        return _logaddexp(*beams[prefix]) + lm_score[prefix] + end

    return max(beams, key=final)


def _logaddexp(a: float, b: float) -> float:
    # on Python floats: numpy's ufunc costs more than the arithmetic in this inner loop
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    high, low = (a, b) if a > b else (b, a)
    return high + math.log1p(math.exp(low - high))


def beam_decode_batch(
    probs: np.ndarray, vocabulary: str, blank_index: int | None = None, **options: Any
) -> list[str]:
    """``beam_decode`` for each image of a batch (B, T, C)."""
    return [beam_decode(p, vocabulary, blank_index, **options) for p in probs]


def lm_from_labels(texts: Sequence[str], order: int = 6) -> CharNgramLM:
    """A CharNgramLM of ``texts`` (for example a training split's labels)."""
    return CharNgramLM.from_texts([t for t in texts if t], order)


def read_lm_lines(path: str | Path) -> list[str]:
    """The non-empty lines of a UTF-8 text file, stripped, in the written form of labels
    (``data.text_forms``).

    InputFileError names the file and what is wrong with it: missing, not a regular file
    (a folder, /dev/null), empty, or without text (blank lines only).
    """
    path = Path(path)
    kind = special_file_kind(path)
    if kind is not None:
        raise InputFileError(f"{path}: is {kind}, not a language-model text file")
    if not path.is_file():
        raise InputFileError(f"{path}: language-model text file not found")
    text = normal_text(read_text(path, error=InputFileError))
    if not text:
        raise InputFileError(f"{path}: language-model text file is empty")
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise InputFileError(f"{path}: language-model text file has no text")
    return lines


def lm_from_file(path: str | Path, order: int = 6) -> CharNgramLM:
    """A CharNgramLM of a UTF-8 text file, one text per line (see :func:`read_lm_lines`)."""
    return lm_from_labels(read_lm_lines(path), order)


@dataclass
class BeamDecoder:
    """Beam search with a character LM, called as a decoder: ``decoder(probs, vocabulary, blank)``."""

    lm: CharNgramLM | None
    beam: int = 8
    alpha: float = 0.6
    beta: float = 0.0
    # logistic weights of its readings' word confidences (mltu_ext.ctc.lm_confidence); None: not fitted
    word_confidence: tuple[float, ...] | None = None

    def __call__(self, probs: np.ndarray, vocabulary: str, blank_index: int | None = None) -> list[str]:
        """The texts of a batch of softmax outputs (B, T, C), one beam search each."""
        return beam_decode_batch(
            probs, vocabulary, blank_index, lm=self.lm, beam=self.beam, alpha=self.alpha, beta=self.beta
        )
