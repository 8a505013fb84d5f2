"""Evaluation metric functions on examples worked out by hand."""

from __future__ import annotations

import math

import pytest

from mltu_ext.evaluation.alignment import ErrorRun, align, error_runs, mark_differences
from mltu_ext.evaluation.char_stats import (
    CharCounts,
    align_all,
    char_class,
    char_scores,
    class_accuracy,
    count_steps,
    precision_recall_f1,
)
from mltu_ext.evaluation.confusions import confusion_matrix, count_confusions
from mltu_ext.evaluation.error_rates import edit_distance
from mltu_ext.evaluation.summary import sample_results, summarize, worst
from mltu_ext.evaluation.training_log import (
    describe_training,
    read_training_log,
    summarize_training_log,
)


def ops(reference: str, prediction: str) -> list[str]:
    return [step.op for step in align(reference, prediction)]


def test_one_deletion():
    steps = align("hello", "helo")
    assert [s.op for s in steps].count("delete") == 1
    assert [s.op for s in steps].count("equal") == 4
    assert error_runs(steps) == [ErrorRun("l", "")]
    assert char_scores(["helo"], ["hello"]) == pytest.approx(
        {"precision": 1.0, "recall": 0.8, "f1": 2 * 0.8 / 1.8}
    )


def test_alignment_reads_back_both_strings():
    for reference, prediction in [("kitten", "sitting"), ("", "abc"), ("abc", ""), ("ab", "ba")]:
        steps = align(reference, prediction)
        assert "".join(s.ref for s in steps) == reference
        assert "".join(s.hyp for s in steps) == prediction
        assert sum(s.op != "equal" for s in steps) == edit_distance(reference, prediction)


def test_ties_keep_the_most_matches():
    # two substitutions and "delete, match, insert" both cost 2; the latter matches one char
    assert ops("ab", "ba").count("equal") == 1


def test_rn_m_confusions_are_merged_both_ways():
    found = count_confusions(["modem", "barn", "cam"], ["modern", "bam", "cam"])
    assert found.multi == {("rn", "m"): 1, ("m", "rn"): 1}
    assert not found.substitutions and not found.insertions and not found.deletions


def test_single_substitution_insertion_and_deletion_are_told_apart():
    found = count_confusions(["hcllo", "worlds", "wrd"], ["hello", "world", "word"])
    assert found.substitutions == {("e", "c"): 1}
    assert found.insertions == {"s": 1}
    assert found.deletions == {"o": 1}
    top = found.top(5)
    assert top["substitutions"] == [{"truth": "e", "prediction": "c", "count": 1}]
    assert top["deletions"] == [{"text": "o", "count": 1}]


def test_mark_differences():
    assert mark_differences("modern", "modem") == "mode[rn→m]"
    assert mark_differences("abc", "") == "[abc→]"
    assert mark_differences("same", "same") == "same"


def test_empty_prediction():
    summary = summarize([""], ["abc"])
    assert summary["cer"] == 1.0
    assert summary["char_precision"] == 0.0  # nothing predicted, something expected
    assert summary["char_recall"] == 0.0
    assert summary["char_f1"] == 0.0
    assert summary["counts"]["deletions"] == 3
    assert summary["confusions"]["deletions"] == [{"text": "abc", "count": 1}]


def test_empty_reference():
    summary = summarize(["ab"], [""])
    assert summary["counts"]["insertions"] == 2
    assert summary["counts"]["reference_chars"] == 0
    assert summary["char_precision"] == 0.0
    assert summary["char_recall"] == 0.0
    assert summary["class_accuracy"]["lower"]["accuracy"] is None
    # both empty: nothing expected and nothing said is a perfect score
    assert precision_recall_f1(CharCounts()) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert summarize([""], [""])["exact_match"] == 1.0


def test_corpus_scores_sum_counts_before_dividing():
    predictions, references = ["abcd", "xy"], ["abce", "x"]
    counts = count_steps(align_all(predictions, references))
    # sample 1: 3 matched + 1 substitution; sample 2: 1 matched + 1 insertion
    assert counts == CharCounts(matched=4, substitutions=1, deletions=0, insertions=1)
    assert char_scores(predictions, references)["precision"] == pytest.approx(4 / 6)
    assert char_scores(predictions, references)["recall"] == pytest.approx(4 / 5)


def test_char_classes():
    assert [char_class(c) for c in "aZ9 .€ä"] == [
        "lower",
        "upper",
        "digit",
        "space",
        "punctuation",
        "punctuation",
        "lower",
    ]
    assert char_class("\u0301") == "other"  # combining accent


def test_class_breakdown():
    # truth "Ab 1!" read as "ab 7!": the capital and the digit are wrong
    found = class_accuracy(["ab 7!"], ["Ab 1!"])
    assert found["upper"] == {"count": 1, "correct": 0, "accuracy": 0.0}
    assert found["lower"] == {"count": 1, "correct": 1, "accuracy": 1.0}
    assert found["digit"] == {"count": 1, "correct": 0, "accuracy": 0.0}
    assert found["space"]["accuracy"] == 1.0
    assert found["punctuation"]["accuracy"] == 1.0
    assert found["other"] == {"count": 0, "correct": 0, "accuracy": None}


def test_summary_agrees_with_text_metrics():
    predictions, references = ["the cat", "sat", "on mat"], ["the cat", "sit", "on the mat"]
    summary = summarize(predictions, references)
    edits = sum(edit_distance(p, r) for p, r in zip(predictions, references, strict=True))
    assert summary["counts"]["edits"] == edits
    assert summary["cer"] == pytest.approx(edits / sum(map(len, references)))
    assert summary["wer"] == pytest.approx(2 / 6)  # one substitution, one deleted word
    assert summary["exact_match"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="pair up"):
        summarize(["a"], ["a", "b"])


def test_confusion_matrix_counts_steps():
    rows, cols, matrix = confusion_matrix(align_all(["hcllo", "hi!"], ["hello", "hi"]), top=3)
    # most frequent truth chars: l (2), h (2), then e/i/o tie broken by the char: e
    assert rows == ["e", "h", "l", "other", "inserted"]
    assert cols == ["e", "h", "l", "other", "deleted"]
    assert matrix[rows.index("e"), cols.index("other")] == 1  # e read as c
    assert matrix[rows.index("l"), cols.index("l")] == 2
    assert matrix[rows.index("inserted"), cols.index("other")] == 1  # the "!"
    assert matrix.sum() == 5 + 3  # every alignment step counted once


def test_worst_orders_by_sample_cer():
    predictions, references = ["a", "abcx", "ab", "xyz"], ["a", "abcd", "ba", "abc"]
    results = sample_results(
        ["s0", "s1", "s2", "s3"], predictions, references, align_all(predictions, references)
    )
    # s2 and s3 both have CER 1.0; s3 has more edits (3 against 2) so it comes first
    assert [r.index for r in worst(results)] == [3, 2, 1]
    assert results[1].cer == pytest.approx(0.25)


def test_training_log(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(
        "epoch,loss,val_loss,val_CER,lr\n"
        "0,9.0,8.0,0.9,0.001\n1,5.0,4.0,0.5,0.001\n2,3.0,4.5,0.4,0.0005\n3,2.0,5.0,NA,0.0005\n"
    )
    columns = read_training_log(str(log))
    assert columns["learning_rate"] == [0.001, 0.001, 0.0005, 0.0005]  # "lr" renamed
    assert math.isnan(columns["val_CER"][3])
    summary = summarize_training_log(columns)
    assert summary["best_val_CER"] == 0.4 and summary["best_val_CER_epoch"] == 2
    assert summary["best_val_loss_epoch"] == 1
    assert summary["overfitting_hint"] is True  # 5.0 > 1.1 * 4.0, minimum at epoch 1 of 3
    assert summary["best_val_WER"] is None  # column missing
    assert any("overfitting" in line for line in describe_training(summary))


def test_training_log_errors_name_the_file(tmp_path):
    log = tmp_path / "bad.csv"
    log.write_text("step,loss\n0,1.0\n")
    with pytest.raises(ValueError, match=r"bad\.csv: .*no 'epoch' column"):
        read_training_log(str(log))


def test_the_report_counts_epochs_as_train_py_does():
    # log.csv's epoch column starts at 0; train.py says "best validation CER ... after 2 epochs"
    summary = summarize_training_log({"epoch": [0, 1, 2], "val_CER": [0.5, 0.2, 0.3]})
    assert "Best val_CER 0.2 after epoch 2 (last: 0.3)." in describe_training(summary)[0]
