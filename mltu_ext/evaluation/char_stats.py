"""Character-level precision, recall, F1 and accuracy per character class.

All numbers are corpus level: counts are summed over every sample before
dividing. They come from the alignments of ``alignment.align``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from mltu_ext.evaluation.alignment import Step, align

CHAR_CLASSES = ("lower", "upper", "digit", "punctuation", "space", "other")


@dataclass(frozen=True)
class CharCounts:
    """Step counts of a set of alignments; edits = substitutions + deletions + insertions."""

    matched: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0

    @property
    def reference_chars(self) -> int:
        """Characters of the references (matched, substituted or deleted)."""
        return self.matched + self.substitutions + self.deletions

    @property
    def predicted_chars(self) -> int:
        """Characters of the predictions (matched, substituted or inserted)."""
        return self.matched + self.substitutions + self.insertions

    @property
    def edits(self) -> int:
        """Substitutions, deletions and insertions together."""
        return self.substitutions + self.deletions + self.insertions


def align_all(predictions: Sequence[str], references: Sequence[str]) -> list[list[Step]]:
    """One alignment per (prediction, reference) pair."""
    if len(predictions) != len(references):
        raise ValueError(
            f"{len(predictions)} predictions but {len(references)} references: they must pair up"
        )
    return [align(r, p) for p, r in zip(predictions, references, strict=True)]


def count_steps(alignments: Sequence[Sequence[Step]]) -> CharCounts:
    """Sum the step kinds over all alignments."""
    totals = {"equal": 0, "substitute": 0, "delete": 0, "insert": 0}
    for steps in alignments:
        for step in steps:
            totals[step.op] += 1
    return CharCounts(totals["equal"], totals["substitute"], totals["delete"], totals["insert"])


def precision_recall_f1(counts: CharCounts) -> dict[str, float]:
    """Precision = matched / predicted chars, recall = matched / reference chars.

    With nothing to divide by, a score is 1.0 when the other side is empty as
    well (nothing expected, nothing said) and 0.0 otherwise.

    >>> scores = precision_recall_f1(CharCounts(matched=4, deletions=1))
    >>> scores["precision"], scores["recall"], round(scores["f1"], 4)
    (1.0, 0.8, 0.8889)
    """
    precision = _share(counts.matched, counts.predicted_chars, counts.reference_chars == 0)
    recall = _share(counts.matched, counts.reference_chars, counts.predicted_chars == 0)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1}


def char_scores(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Corpus character precision, recall and F1 of ``predictions``.

    >>> char_scores(["helo"], ["hello"])["recall"]
    0.8
    """
    return precision_recall_f1(count_steps(align_all(predictions, references)))


def char_class(char: str) -> str:
    """The class of one character: one of ``CHAR_CLASSES``.

    Symbols such as ``+`` or ``€`` count as punctuation.

    >>> [char_class(c) for c in "aZ7, ß\\u0301"]
    ['lower', 'upper', 'digit', 'punctuation', 'space', 'lower', 'other']
    """
    if char.isspace():
        return "space"
    if char.isdigit():
        return "digit"
    if char.islower():
        return "lower"
    if char.isupper():
        return "upper"
    if unicodedata.category(char)[0] in "PS":
        return "punctuation"
    return "other"


def class_accuracy_from_alignments(
    alignments: Sequence[Sequence[Step]],
) -> dict[str, dict[str, float | int | None]]:
    """Per class: reference chars, how many were aligned to the same char, and the share.

    ``accuracy`` is ``None`` for a class with no reference characters.
    """
    total = dict.fromkeys(CHAR_CLASSES, 0)
    correct = dict.fromkeys(CHAR_CLASSES, 0)
    for steps in alignments:
        for step in steps:
            if step.ref:
                kind = char_class(step.ref)
                total[kind] += 1
                correct[kind] += step.op == "equal"
    return {
        kind: {
            "count": total[kind],
            "correct": correct[kind],
            "accuracy": correct[kind] / total[kind] if total[kind] else None,
        }
        for kind in CHAR_CLASSES
    }


def class_accuracy(
    predictions: Sequence[str], references: Sequence[str]
) -> dict[str, dict[str, float | int | None]]:
    """Accuracy by character class of the reference text.

    >>> class_accuracy(["ab1"], ["aB1"])["upper"]
    {'count': 1, 'correct': 0, 'accuracy': 0.0}
    """
    return class_accuracy_from_alignments(align_all(predictions, references))


def counts_dict(counts: CharCounts) -> dict[str, int]:
    """The counts with the derived totals, ready for JSON."""
    return {
        **asdict(counts),
        "edits": counts.edits,
        "reference_chars": counts.reference_chars,
        "predicted_chars": counts.predicted_chars,
    }


def _share(part: int, whole: int, other_side_empty: bool) -> float:
    if whole == 0:
        return 1.0 if other_side_empty else 0.0
    return part / whole
