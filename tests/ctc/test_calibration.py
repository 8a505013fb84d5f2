"""Temperature scaling and the calibration measures, on numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from mltu_ext.ctc.calibration import (
    error_after_keeping,
    expected_calibration_error,
    fit_temperature,
    held_out_by_group,
    reliability_bins,
    temper,
    word_confidences,
    word_outcomes,
)


def test_temperature_keeps_every_steps_best_class_and_sums_to_one():
    probs = np.random.default_rng(0).dirichlet(np.ones(5), size=(3, 7)).astype(np.float32)  # B,T,C
    for t in (0.5, 1.7, 3.0):
        out = temper(probs, t)
        assert np.array_equal(out.argmax(-1), probs.argmax(-1))
        assert np.allclose(out.sum(-1), 1.0, atol=1e-5)
    assert temper(probs, 2.0).max() < probs.max()  # hotter: less sure
    assert temper(probs, 1.0) is probs


def test_words_are_right_only_where_the_alignment_pairs_them_with_the_same_word():
    assert word_outcomes("a b c", "a b c") == [True, True, True]
    assert word_outcomes("a x c", "a b c") == [True, False, True]
    assert word_outcomes("a c", "a b c") == [True, True]  # a missed word costs no predicted word
    assert word_outcomes("", "a b") == [] and word_outcomes("a", "") == [False]


def test_ece_and_the_error_of_the_most_confident_words():
    confidences = [0.95, 0.95, 0.95, 0.95, 0.15, 0.15]
    right = [True, True, True, True, False, True]
    # bin 0.9-1: conf 0.95, accuracy 1 (gap 0.05, 4 words); bin 0.1-0.2: 0.15 vs 0.5 (gap 0.35, 2 words)
    assert expected_calibration_error(confidences, right) == pytest.approx((4 * 0.05 + 2 * 0.35) / 6)
    assert error_after_keeping(confidences, right, 1.0) == pytest.approx(1 / 6)
    assert error_after_keeping(confidences, right, 4 / 6) == 0.0
    assert expected_calibration_error([], []) == 0.0


def test_a_too_sure_model_is_cooled_down_by_the_fitted_temperature():
    # each line reads "a" at probability 0.6 (b and the blank 0.2 each), but half the references
    # are "b": words right half the time; at T = ln 3 / ln 2 = 1.58 the confidence is 0.5
    vocabulary = "ab"
    step = np.array([[0.6, 0.2, 0.2]], np.float32)  # T=1 step, C=3 (a, b, blank)
    probs = [step] * 10
    texts = ["a"] * 10
    references = ["a", "b"] * 5
    temperature, ece = fit_temperature(probs, texts, references, vocabulary)
    assert 1.4 <= temperature <= 1.7 and ece < 0.03


def test_the_fit_over_all_temperatures_gives_the_confidences_of_each_one():
    # the fit aligns each line once for every temperature; it must find what a reading at that
    # temperature finds, so its ECE equals the ECE of word_confidences at the chosen temperature
    rng = np.random.default_rng(5)
    vocabulary = "ab "
    probs = [rng.dirichlet(np.full(4, 0.3), size=12).astype(np.float32) for _ in range(6)]  # T=12, C=4
    texts = ["ab a", "b", "a b", "ba", "a", "b b"]
    references = ["ab b", "b", "a a", "ba", "b", "b b"]
    for grid in ((0.7,), (1.3,), (2.4,)):
        temperature, ece = fit_temperature(probs, texts, references, vocabulary, grid)
        assert temperature == grid[0]
        assert ece == pytest.approx(
            expected_calibration_error(*word_confidences(probs, texts, references, vocabulary, grid[0]))
        )


def test_each_writer_is_scored_at_the_temperature_fitted_on_the_others():
    # writers x and y read "a" at 0.6 and are right half the time: alone they want T = 1.58;
    # writer z reads "a" at 0.6 and is always right: it wants T = 1 (or lower)
    vocabulary = "ab"
    step = np.array([[0.6, 0.2, 0.2]], np.float32)
    probs = [step] * 12
    texts = ["a"] * 12
    references = ["a", "b"] * 4 + ["a"] * 4
    groups = ["x", "x", "y", "y"] * 2 + ["z"] * 4
    grid = (1.0, 1.6)
    held = held_out_by_group(probs, texts, references, groups, vocabulary, grid)
    # x is fitted on y and z (6 right of 8 at 0.6: T 1 is nearer), likewise y; z on x and y (T 1.6)
    assert held.temperatures == {"x": 1.0, "y": 1.0, "z": 1.6}
    assert len(held.confidences) == 12 and sum(held.right) == 8
    with pytest.raises(ValueError, match="two groups"):
        held_out_by_group(probs, texts, references, ["x"] * 12, vocabulary, grid)


def test_reliability_bins_by_hand_and_the_ece_is_their_weighted_gap():
    # bin [0, 0.5): 0.25 wrong; bin [0.5, 1]: 0.75 right and 1.0 (the top edge) wrong
    found = reliability_bins([0.75, 0.25, 1.0], [True, False, False], bins=2)
    assert [(b.low, b.high, b.count) for b in found] == [(0.0, 0.5, 1), (0.5, 1.0, 2)]
    assert found[0].confidence == pytest.approx(0.25) and found[0].accuracy == 0.0
    assert found[1].confidence == pytest.approx(0.875) and found[1].accuracy == 0.5
    # (1 * 0.25 + 2 * 0.375) / 3
    assert expected_calibration_error([0.75, 0.25, 1.0], [True, False, False], bins=2) == pytest.approx(1 / 3)
    assert reliability_bins([], []) == [] and expected_calibration_error([], []) == 0.0


def test_a_reliability_diagram_is_drawn_for_several_sets(tmp_path):
    from mltu_ext.errors import OutputWriteError
    from mltu_ext.evaluation.plots import plot_reliability

    rng = np.random.default_rng(1)
    confidences = rng.uniform(size=300)
    right = rng.uniform(size=300) < confidences
    path = tmp_path / "reliability.png"
    plot_reliability(
        {"as given": (confidences, right), "squeezed $": (confidences**2, right)}, str(path), "t"
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(OutputWriteError, match="cannot write the picture"):
        plot_reliability({"a": ([0.5], [True])}, str(tmp_path / "a_file" / "r.png"))
