"""Confidences from the CTC alignment, on small outputs worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from mltu_ext.ctc.confidence import align_path, read_confidences


def _probs(rows):
    """(1, T, C) from rows of per-class probabilities (blank last)."""
    return np.array([rows], dtype=np.float32)


def test_a_doubled_letter_is_aligned_around_its_blank():
    # classes: a, blank; "aa" must be a, blank, a
    probs = _probs([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    assert align_path(probs[0].astype(np.float64), [0, 0], blank=1).tolist() == [0, -1, 1]
    reading = read_confidences(probs, ["aa"], "a", 1)[0]
    assert [c.confidence for c in reading.chars] == pytest.approx([0.9, 0.7])
    assert reading.confidence == pytest.approx(0.63)  # one word: the product of its letters


def test_words_and_text_take_the_least_sure_word():
    # classes: a, b, space, blank. "a b": a (0.9), space (0.8), b (0.5)
    probs = _probs([[0.9, 0, 0, 0.1], [0, 0, 0.8, 0.2], [0, 0.5, 0, 0.5], [0, 0, 0, 1.0]])
    reading = read_confidences(probs, ["a b"], "ab ", 3)[0]
    assert [(w.text, round(w.confidence, 3)) for w in reading.words] == [("a", 0.9), ("b", 0.5)]
    assert reading.confidence == pytest.approx(0.5)
    assert [(c.start, c.end) for c in reading.chars] == [(0, 1), (1, 2), (2, 3)]


def test_an_empty_text_is_as_sure_as_the_blanks():
    sure = read_confidences(_probs([[0.01, 0.99]] * 4), [""], "a", 1)[0]
    unsure = read_confidences(_probs([[0.4, 0.6]] * 4), [""], "a", 1)[0]
    assert sure.confidence == pytest.approx(0.99, abs=1e-3)
    assert unsure.confidence == pytest.approx(0.6, abs=1e-3)


def test_a_text_longer_than_the_steps_is_refused():
    with pytest.raises(ValueError, match="do not fit"):
        align_path(np.full((2, 2), 0.5), [0, 0], blank=1)  # "aa" needs 3 steps


def test_confidences_with_the_blank_first():
    # classes: blank, a, b (blank_index 0): class k > blank is vocabulary[k - 1], as greedy reads it
    probs = _probs([[0.1, 0.8, 0.1], [0.9, 0.05, 0.05], [0.1, 0.1, 0.8]])
    reading = read_confidences(probs, ["ab"], "ab", 0)[0]
    assert [c.char for c in reading.chars] == ["a", "b"]
    assert [c.confidence for c in reading.chars] == pytest.approx([0.8, 0.8])
    assert reading.confidence == pytest.approx(0.64)
    # the blank in the middle of the classes: a, blank, b
    middle = probs[:, :, [1, 0, 2]]
    assert read_confidences(middle, ["ab"], "ab", 1)[0].confidence == pytest.approx(0.64)
