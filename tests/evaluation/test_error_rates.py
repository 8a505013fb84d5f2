"""Plain CER/WER and edit distance on cases worked out by hand."""

import pytest

from mltu_ext.evaluation.error_rates import cer, edit_distance, exact_match, wer


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("kitten", "sitting", 3),
        ("", "abc", 3),
        ("abc", "", 3),
        ("", "", 0),
        ("flaw", "lawn", 2),
        ("abc", "abc", 0),
        ("ab", "ba", 2),
    ],
)
def test_edit_distance_by_hand(a, b, expected):
    assert edit_distance(a, b) == expected
    assert edit_distance(b, a) == expected


def test_cer_is_corpus_level_not_mean_of_samples():
    # sample rates 1/1 and 0/9 average to 0.5; the corpus rate is 1/10
    assert cer(["x", "abcdefghi"], ["a", "abcdefghi"]) == pytest.approx(0.1)


def test_wer_counts_words():
    # one substitution and one deletion over 4 + 2 reference words
    assert wer(["the cat sat down", "hi"], ["the bat sat down", "hi there"]) == pytest.approx(2 / 6)


def test_empty_predictions_and_references():
    assert cer(["", ""], ["ab", "c"]) == 1.0
    assert cer(["", ""], ["", ""]) == 0.0
    assert cer(["abc"], [""]) == 3.0  # all insertions, reported as a count per character
    assert wer([""], ["one two"]) == 1.0
    assert exact_match(["a", "b"], ["a", "c"]) == 0.5
    with pytest.raises(ValueError, match="pair up"):
        cer(["a"], ["a", "b"])
