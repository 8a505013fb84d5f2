"""Greedy CTC decoding on cases worked out by hand."""

import numpy as np

from mltu_ext.ctc.greedy import greedy_decode, greedy_decode_indices


def _one_hot(rows, classes):
    out = np.zeros((len(rows), len(rows[0]), classes), np.float32)
    for b, row in enumerate(rows):
        for t, k in enumerate(row):
            out[b, t, k] = 1.0
    return out


def test_greedy_decode_merges_repeats_and_drops_blanks():
    chars = "abl"  # blank index 3
    probs = _one_hot([[0, 0, 3, 0, 1, 1, 3], [3, 3, 3, 3, 3, 3, 3], [2, 3, 2, 0, 0, 1, 3]], 4)
    assert greedy_decode(probs, chars) == ["aab", "", "llab"]
    assert greedy_decode_indices(probs, 3)[0] == [0, 0, 1]


def test_greedy_decode_with_blank_first():
    probs = _one_hot([[0, 1, 1, 0, 2]], 3)  # blank 0, chars 'x' (1) and 'y' (2)
    assert greedy_decode(probs, "xy", blank_index=0) == ["xy"]
