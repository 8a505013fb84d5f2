"""Which characters the model mixes up, from the alignments.

Adjacent non-matching steps are merged into one confusion, so "modern" read
as "modem" counts once as ``rn->m`` rather than as a substitution plus a
deletion. Each merged run falls in one of four groups: single-character
substitutions (``e->c``), multi-character confusions (``rn->m``, ``m->rn``),
insertions and deletions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mltu_ext.evaluation.alignment import Step, error_runs
from mltu_ext.evaluation.char_stats import align_all

INSERTED = "inserted"
DELETED = "deleted"
OTHER = "other"


@dataclass
class Confusions:
    """Counts of merged error runs keyed by (truth, prediction) text."""

    substitutions: Counter[tuple[str, str]] = field(default_factory=Counter)
    multi: Counter[tuple[str, str]] = field(default_factory=Counter)
    insertions: Counter[str] = field(default_factory=Counter)
    deletions: Counter[str] = field(default_factory=Counter)

    def top(self, k: int = 20) -> dict[str, list[dict[str, str | int]]]:
        """The ``k`` most frequent of each group as JSON-ready rows, ties in text order."""

        def rows(counter: Counter, pairs: bool) -> list[dict[str, str | int]]:
            ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:k]
            if pairs:
                return [{"truth": t, "prediction": p, "count": n} for (t, p), n in ordered]
            return [{"text": text, "count": n} for text, n in ordered]

        return {
            "substitutions": rows(self.substitutions, True),
            "multi": rows(self.multi, True),
            "insertions": rows(self.insertions, False),
            "deletions": rows(self.deletions, False),
        }


def confusions_from_alignments(alignments: Sequence[Sequence[Step]]) -> Confusions:
    """Count the merged error runs of every alignment."""
    found = Confusions()
    for steps in alignments:
        for run in error_runs(list(steps)):
            kind = run.kind
            if kind == "substitution":
                found.substitutions[run.ref, run.hyp] += 1
            elif kind == "multi":
                found.multi[run.ref, run.hyp] += 1
            elif kind == "insertion":
                found.insertions[run.hyp] += 1
            else:
                found.deletions[run.ref] += 1
    return found


def count_confusions(predictions: Sequence[str], references: Sequence[str]) -> Confusions:
    """Confusions of ``predictions`` against ``references``.

    >>> count_confusions(["modem", "helo"], ["modern", "hello"]).top(1)["multi"]
    [{'truth': 'rn', 'prediction': 'm', 'count': 1}]
    """
    return confusions_from_alignments(align_all(predictions, references))


def format_confusion(truth: str, prediction: str) -> str:
    """``e->c`` style text; a space shows as ``␣`` so it can be seen."""
    return f"{_visible(truth)}->{_visible(prediction)}"


def confusion_matrix(
    alignments: Sequence[Sequence[Step]], top: int = 30
) -> tuple[list[str], list[str], np.ndarray]:
    """Character confusion counts over the ``top`` most frequent reference characters.

    Rows are truth: those characters, then ``other`` (any rarer reference
    character) and ``inserted``. Columns are predictions: the same characters,
    ``other`` and ``deleted``. Unlike ``Confusions`` this counts single
    alignment steps, matches included (the diagonal). Returns
    (row labels, column labels, int64 matrix of shape (top+2, top+2)).
    """
    frequency: Counter[str] = Counter(step.ref for steps in alignments for step in steps if step.ref)
    chars = [c for c, _ in sorted(frequency.items(), key=lambda item: (-item[1], item[0]))[:top]]
    chars.sort()
    index = {c: i for i, c in enumerate(chars)}
    other = len(chars)
    matrix = np.zeros((len(chars) + 2, len(chars) + 2), dtype=np.int64)
    for steps in alignments:
        for step in steps:
            row = index.get(step.ref, other) if step.ref else other + 1
            col = index.get(step.hyp, other) if step.hyp else other + 1
            matrix[row, col] += 1
    labels = [_visible(c) for c in chars]
    return [*labels, OTHER, INSERTED], [*labels, OTHER, DELETED], matrix


def _visible(text: str) -> str:
    return text.replace(" ", "␣")
