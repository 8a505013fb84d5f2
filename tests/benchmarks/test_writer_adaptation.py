"""benchmarks/writer_adaptation/adapt.py: the adaptation set's split and the scores it reports."""

import csv

import numpy as np

from mltu_ext.data import load_dataset
from mltu_ext.data.samples import Sample
from tests.benchmarks.scripts import load_script


def test_one_adaptation_line_in_six_is_held_out_and_the_set_reads_back(tmp_path):
    module = load_script("writer_adaptation/adapt.py")
    image = np.full((20, 60), 255, np.uint8)
    image[8:12, 5:55] = 0
    samples = [Sample(text=f"line {i}", image=image, writer="w1" if i < 7 else "w2") for i in range(13)]
    labels = module.write_adaptation_set(samples, tmp_path / "adapt")
    with labels.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["split"] for r in rows].count("val") == 2
    assert [r["text"] for r in rows if r["split"] == "val"] == ["line 5", "line 11"]
    dataset = load_dataset(str(labels))  # the CSV reader takes the split column as given
    assert len(dataset.samples) == 13 and dataset.samples[0].text == "line 0"
    assert {s.writer for s in dataset.samples} == {"w1", "w2"}


def test_scores_are_corpus_level():
    module = load_script("writer_adaptation/adapt.py")
    rows = [
        {"truth": "abcd", "before": "abcd", "after": "abxd"},  # 1 error in 4 characters
        {"truth": "ef", "before": "", "after": "ef"},  # 2 in 2
    ]
    assert module.scores(rows, "before") == {"cer": round(2 / 6, 4), "wer": 0.5}
    assert module.scores(rows, "after") == {"cer": round(1 / 6, 4), "wer": 0.5}


def test_summary_sets_the_worst_writer_apart():
    module = load_script("writer_adaptation/adapt.py")
    rows = [
        {"writer": "a", "truth": "abcd", "before": "abcd", "after": "abcx"},
        {"writer": "b", "truth": "ABCD", "before": "abcd", "after": "ABCD"},  # read worst before
        {"writer": "c", "truth": "ef", "before": "ex", "after": "ef"},
    ]
    summary = module.summarise(rows)
    assert summary["worst_writer_before"] == "b"
    assert summary["before"]["cer"] == round(5 / 10, 4) and summary["after"]["cer"] == round(1 / 10, 4)
    assert summary["without_it"] == {
        "before": {"cer": 0.1667, "wer": 0.5},
        "after": {"cer": 0.1667, "wer": 0.5},
    }
    assert summary["per_writer"]["b"] == {
        "lines": 1,
        "before": {"cer": 1.0, "wer": 1.0},
        "after": {"cer": 0.0, "wer": 0.0},
    }
