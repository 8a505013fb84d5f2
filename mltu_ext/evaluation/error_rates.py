"""Character and word error rates as plain functions (corpus level).

CER = total edit distance / total reference characters over the whole set;
WER is the same over space-separated words. Both are ratios, not percentages.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def edit_distance(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Levenshtein distance between two sequences (unit costs).

    >>> edit_distance("kitten", "sitting")
    3
    """
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def char_errors(predictions: Sequence[str], references: Sequence[str]) -> tuple[int, int]:
    """Total character edits and total reference characters."""
    _check_pairs(predictions, references)
    edits = sum(edit_distance(p, r) for p, r in zip(predictions, references, strict=True))
    return edits, sum(len(r) for r in references)


def word_errors(predictions: Sequence[str], references: Sequence[str]) -> tuple[int, int]:
    """Total word edits and total reference words (split on whitespace)."""
    _check_pairs(predictions, references)
    pairs = zip(predictions, references, strict=True)
    edits = sum(edit_distance(p.split(), r.split()) for p, r in pairs)
    return edits, sum(len(r.split()) for r in references)


def cer(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus-level character error rate.

    An empty reference set with no predicted characters scores 0; with
    predicted characters it scores 1 per character (all insertions).

    >>> cer(["helo", "world"], ["hello", "world"])
    0.1
    """
    edits, total = char_errors(predictions, references)
    return _ratio(edits, total)


def wer(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus-level word error rate.

    >>> wer(["the cat sat"], ["the cat sat down"])
    0.25
    """
    edits, total = word_errors(predictions, references)
    return _ratio(edits, total)


def exact_match(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Share of samples whose prediction equals the reference exactly."""
    _check_pairs(predictions, references)
    if not references:
        return 0.0
    return sum(p == r for p, r in zip(predictions, references, strict=True)) / len(references)


def _ratio(edits: int, total: int) -> float:
    if total == 0:
        return float(edits)
    return edits / total


def _check_pairs(predictions: Sequence[str], references: Sequence[str]) -> None:
    if len(predictions) != len(references):
        raise ValueError(
            f"{len(predictions)} predictions but {len(references)} references: they must pair up"
        )
