"""benchmarks/line_model/ensemble_probe.py: posteriors averaged, then decoded greedily."""

import numpy as np

from tests.benchmarks.scripts import load_script


def _posteriors(*rows: list[float]) -> np.ndarray:
    return np.array(rows, np.float32)  # (T, C): characters "a", "b", then the blank


def test_two_readings_that_each_miss_a_letter_agree_on_the_word_when_averaged():
    probe = load_script("line_model/ensemble_probe.py")
    # one reading is unsure of the "b", the other of the "a"; each alone loses one letter
    first = _posteriors([0.9, 0.0, 0.1], [0.0, 0.45, 0.55])
    second = _posteriors([0.3, 0.0, 0.7], [0.1, 0.9, 0.0])
    probs = {"first": [first], "second": [second]}
    alone = probe.score_combination(probs, ("first",), "single", ["ab"], ("ab", 2), [0])
    assert alone["cer"] == 0.5 and alone["models"] == ["first"] and "cer_apart" not in alone
    both = probe.score_combination(probs, ("first", "second"), "prob", ["ab"], ("ab", 2), [0], inside=[])
    assert both["cer"] == 0.0 and both["cer_others"] == 0.0 and both["cer_apart"] is None
    assert probe.score_combination(probs, ("first", "second"), "log", ["ab"], ("ab", 2), [0])["cer"] == 0.0
    # a third reading sure of a blank where the "b" is outvotes it: "a" alone again
    probs["third"] = [_posteriors([1.0, 0.0, 0.0], [0.0, 0.0, 1.0])]
    trio = probe.score_combination(probs, ("first", "second", "third"), "prob", ["ab"], ("ab", 2), [0])
    assert trio["cer"] == 0.5
