"""All evaluation numbers of one set of predictions, as a JSON-ready dict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mltu_ext.evaluation.alignment import Step
from mltu_ext.evaluation.char_stats import (
    align_all,
    class_accuracy_from_alignments,
    count_steps,
    counts_dict,
    precision_recall_f1,
)
from mltu_ext.evaluation.confusions import confusions_from_alignments
from mltu_ext.evaluation.error_rates import cer, exact_match, wer, word_errors


@dataclass(frozen=True)
class SampleResult:
    """One prediction with its edit count; ``cer`` is edits / reference chars."""

    index: int
    name: str
    truth: str
    prediction: str
    edits: int

    @property
    def cer(self) -> float:
        """Edits per character of the truth; the edit count itself for an empty truth."""
        return self.edits / len(self.truth) if self.truth else float(self.edits)


def summarize(
    predictions: Sequence[str],
    references: Sequence[str],
    alignments: Sequence[Sequence[Step]] | None = None,
    top_k: int = 20,
) -> dict:
    """CER, WER, exact match, char precision/recall/F1, class accuracy, confusions, counts.

    ``alignments`` (from ``align_all``) may be passed to avoid aligning twice.

    >>> s = summarize(["helo"], ["hello"])
    >>> s["cer"], s["char_recall"], s["counts"]["deletions"]
    (0.2, 0.8, 1)
    """
    if alignments is None:
        alignments = align_all(predictions, references)
    counts = count_steps(alignments)
    scores = precision_recall_f1(counts)
    word_edits, reference_words = word_errors(predictions, references)
    return {
        "samples": len(references),
        "cer": cer(predictions, references),
        "wer": wer(predictions, references),
        "exact_match": exact_match(predictions, references),
        "char_precision": scores["precision"],
        "char_recall": scores["recall"],
        "char_f1": scores["f1"],
        "counts": {
            **counts_dict(counts),
            "word_edits": word_edits,
            "reference_words": reference_words,
            "exact_matches": sum(p == r for p, r in zip(predictions, references, strict=True)),
        },
        "class_accuracy": class_accuracy_from_alignments(alignments),
        "confusions": confusions_from_alignments(alignments).top(top_k),
    }


def sample_results(
    names: Sequence[str],
    predictions: Sequence[str],
    references: Sequence[str],
    alignments: Sequence[Sequence[Step]],
    indices: Sequence[int] | None = None,
) -> list[SampleResult]:
    """One SampleResult per sample, in order; ``indices`` default to 0, 1, 2, ..."""
    if indices is None:
        indices = range(len(references))
    return [
        SampleResult(i, name, truth, prediction, sum(step.op != "equal" for step in steps))
        for i, name, truth, prediction, steps in zip(
            indices, names, references, predictions, alignments, strict=True
        )
    ]


def worst(results: Sequence[SampleResult], k: int = 20) -> list[SampleResult]:
    """The ``k`` wrong predictions with the highest sample CER (then most edits, then order)."""
    wrong = [r for r in results if r.edits]
    return sorted(wrong, key=lambda r: (-r.cer, -r.edits, r.index))[:k]
