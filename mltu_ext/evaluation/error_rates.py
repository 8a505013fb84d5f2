"""Character and word error rates as plain functions (corpus level).

CER = total edit distance / total reference characters over the whole set;
WER is the same over space-separated words. Both are ratios, not percentages.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from rapidfuzz.distance import Levenshtein


def edit_distance(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Levenshtein distance between two sequences (unit costs), by rapidfuzz.

    Strings compare by character, lists (words) by element.

    >>> edit_distance("kitten", "sitting"), edit_distance(["a", "b"], ["b"])
    (3, 1)
    """
    return Levenshtein.distance(a, b)


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
