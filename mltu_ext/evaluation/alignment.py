"""Character alignment of a prediction against its reference.

The alignment is the backtrace of a Levenshtein table. Among all alignments
with the fewest edits it keeps one with the most matched characters, so
precision and recall do not depend on an arbitrary tie-break ("ab" vs "ba" is
an insertion, a match and a deletion rather than two substitutions).
rapidfuzz's ``Levenshtein.opcodes`` returns one of the cheapest alignments
without that tie-break, so the table is filled here; the plain distances
(``error_rates.edit_distance``) come from rapidfuzz.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Op = Literal["equal", "substitute", "delete", "insert"]


@dataclass(frozen=True)
class Step:
    """One column of an alignment.

    ``ref`` is "" for an insertion, ``hyp`` is "" for a deletion.
    """

    op: Op
    ref: str
    hyp: str


@dataclass(frozen=True)
class ErrorRun:
    """Adjacent non-matching steps merged into one confusion, e.g. "rn" -> "m"."""

    ref: str
    hyp: str

    @property
    def kind(self) -> str:
        """``substitution`` (1 to 1), ``deletion``, ``insertion`` or ``multi`` (any other)."""
        if not self.hyp:
            return "deletion"
        if not self.ref:
            return "insertion"
        if len(self.ref) == 1 and len(self.hyp) == 1:
            return "substitution"
        return "multi"


def align(reference: str, prediction: str) -> list[Step]:
    """Align ``prediction`` to ``reference`` with the fewest edits, most matches.

    >>> [s.op for s in align("hello", "helo")]
    ['equal', 'equal', 'delete', 'equal', 'equal']
    >>> [(s.op, s.ref, s.hyp) for s in align("ab", "ba")]
    [('insert', '', 'b'), ('equal', 'a', 'a'), ('delete', 'b', '')]
    """
    n, m = len(reference), len(prediction)
    # table[i][j] = (edits, -matches) for reference[:i] vs prediction[:j];
    # comparing tuples picks the fewest edits first, then the most matches.
    table: list[list[tuple[int, int]]] = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        table[i][0] = (i, 0)
    for j in range(1, m + 1):
        table[0][j] = (j, 0)
    for i in range(1, n + 1):
        r = reference[i - 1]
        row, above = table[i], table[i - 1]
        for j in range(1, m + 1):
            edits, neg_matches = above[j - 1]
            if r == prediction[j - 1]:
                diagonal = (edits, neg_matches - 1)
            else:
                diagonal = (edits + 1, neg_matches)
            up, left = above[j], row[j - 1]
            row[j] = min(diagonal, (up[0] + 1, up[1]), (left[0] + 1, left[1]))
    return _backtrace(reference, prediction, table)


def _backtrace(reference: str, prediction: str, table: list[list[tuple[int, int]]]) -> list[Step]:
    steps: list[Step] = []
    i, j = len(reference), len(prediction)
    while i > 0 or j > 0:
        here = table[i][j]
        if i > 0 and j > 0:
            edits, neg_matches = table[i - 1][j - 1]
            r, h = reference[i - 1], prediction[j - 1]
            if r == h and here == (edits, neg_matches - 1):
                steps.append(Step("equal", r, h))
                i, j = i - 1, j - 1
                continue
            if r != h and here == (edits + 1, neg_matches):
                steps.append(Step("substitute", r, h))
                i, j = i - 1, j - 1
                continue
        if i > 0 and here == (table[i - 1][j][0] + 1, table[i - 1][j][1]):
            steps.append(Step("delete", reference[i - 1], ""))
            i -= 1
        else:
            steps.append(Step("insert", "", prediction[j - 1]))
            j -= 1
    steps.reverse()
    return steps


def segments(steps: list[Step]) -> list[str | ErrorRun]:
    """Split an alignment into matched text and merged error runs, in order.

    >>> segments(align("modern", "modem"))
    ['mode', ErrorRun(ref='rn', hyp='m')]
    """
    out: list[str | ErrorRun] = []
    same: list[str] = []
    ref: list[str] = []
    hyp: list[str] = []
    for step in steps:
        if step.op == "equal":
            if ref or hyp:
                out.append(ErrorRun("".join(ref), "".join(hyp)))
                ref, hyp = [], []
            same.append(step.hyp)
        else:
            if same:
                out.append("".join(same))
                same = []
            ref.append(step.ref)
            hyp.append(step.hyp)
    if ref or hyp:
        out.append(ErrorRun("".join(ref), "".join(hyp)))
    if same:
        out.append("".join(same))
    return out


def error_runs(steps: list[Step]) -> list[ErrorRun]:
    """Merge each maximal stretch of non-equal steps into one ErrorRun.

    >>> error_runs(align("modern", "modem"))
    [ErrorRun(ref='rn', hyp='m')]
    >>> error_runs(align("m", "rn"))
    [ErrorRun(ref='m', hyp='rn')]
    """
    return [part for part in segments(steps) if isinstance(part, ErrorRun)]


def mark_differences(reference: str, prediction: str) -> str:
    """The prediction with each error run written as ``[truth→prediction]``.

    >>> mark_differences("modern", "modem")
    'mode[rn→m]'
    >>> mark_differences("hello", "helo")
    'he[l→]lo'
    """
    return "".join(
        part if isinstance(part, str) else f"[{part.ref}→{part.hyp}]"
        for part in segments(align(reference, prediction))
    )
