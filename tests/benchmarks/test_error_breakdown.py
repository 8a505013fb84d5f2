"""benchmarks/line_model/error_breakdown.py: per-writer CER and the folded CERs."""

import json
from pathlib import Path

import pytest

from tests.benchmarks.scripts import load_script


def _module():
    return load_script("line_model/error_breakdown.py")


def _records(tmp_path: Path) -> Path:
    records = [
        # writer 0001 reads perfectly but for case and an accent
        {"source": "alto/imp_wikitexte_0001_1.xml#l1", "truth": "Été chaud", "greedy": "éTé chaud"},
        {"source": "alto/imp_wikitexte_0001_2.xml#l2", "truth": "la mer", "greedy": "la mer"},
        # writer 0002 gets nothing right
        {"source": "alto/imp_wikitexte_0002.xml#l1", "truth": "abc, de", "greedy": "xyz de"},
    ]
    for record in records:
        record["lm"] = record["truth"]
    path = tmp_path / "val_predictions.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_writers_and_folds_are_counted_apart(tmp_path):
    module = _module()
    lines = module.load_lines(_records(tmp_path))
    assert {x.writer for x in lines} == {"wikitexte_0001", "wikitexte_0002"}
    result = module.breakdown(lines, writers=2, worst=1)
    chars = len("Été chaud") + len("la mer") + len("abc, de")
    # "éTé" against "Été": two substitutions; "xyz de" against "abc, de": four
    assert result["cer"] == pytest.approx(6 / chars)
    heaviest = result["writers"][0]
    assert heaviest["writer"] == "wikitexte_0002"
    assert heaviest["error_share"] == pytest.approx(4 / 6)
    assert heaviest["cer_without"] == pytest.approx(2 / (len("Été chaud") + len("la mer")))
    # case folded, "éTé" reads "été" against "été"; the other line keeps its four errors
    assert result["folded_cer"]["case"] == pytest.approx(4 / chars)
    # without the comma: "xyz de" against "abc de", three errors over six characters
    folded = len("Été chaud") + len("la mer") + len("abc de")
    assert result["folded_cer"]["punctuation"] == pytest.approx(5 / folded)
    assert result["worst_lines_share"] == pytest.approx(4 / 6)
    assert module.breakdown(module.load_lines(_records(tmp_path), "lm"))["cer"] == 0.0
