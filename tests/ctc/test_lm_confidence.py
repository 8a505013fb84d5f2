"""Word confidence of language-model readings: which words changed, the logistic fit, the recognizer's use."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mltu_ext.ctc.beam_lm import lm_from_labels
from mltu_ext.ctc.confidence import read_confidences
from mltu_ext.ctc.lm_confidence import (
    WordTable,
    changed_words,
    fit_weights,
    full_weights,
    recalibrate,
    spelling_score,
    word_probability,
)
from mltu_ext.errors import ConfigError


def test_changed_words_are_those_without_a_match_in_the_greedy_reading():
    assert changed_words("le chat noir", "le chat noir") == [False, False, False]
    assert changed_words("le chat noir", "le chal noir") == [False, True, False]
    assert changed_words("le chat noir", "lechat noir") == [True, True, False]  # a space put in
    assert changed_words("le noir", "le chat noir") == [False, False]  # a word dropped
    assert changed_words("", "anything") == []


def test_the_fit_finds_the_weights_that_made_the_outcomes():
    rng = np.random.default_rng(0)
    confidences = rng.uniform(1e-4, 1.0, 20000)
    changed = rng.uniform(size=confidences.size) < 0.3
    spelling = rng.uniform(-4.0, -0.2, confidences.size)
    truth = (0.6, -1.5, 0.8, 2.2)
    p = [word_probability(c, f, s, truth) for c, f, s in zip(confidences, changed, spelling, strict=True)]
    right = rng.uniform(size=confidences.size) < np.array(p)
    fitted = fit_weights(WordTable(confidences.tolist(), changed.tolist(), spelling.tolist(), right.tolist()))
    assert fitted == pytest.approx(truth, abs=0.12)


def test_spelling_score_is_higher_for_a_spelling_the_texts_hold():
    lm = lm_from_labels(["la maison blanche", "une maison bleue", "la table blanche"])
    assert spelling_score(lm, "maison") > spelling_score(lm, "mcisom") + 1.0
    assert spelling_score(None, "maison") == 0.0


def test_three_weights_read_as_no_spelling_term_and_other_lengths_are_refused():
    assert full_weights((0.5, -1.0, 2.0)) == (0.5, -1.0, 0.0, 2.0)
    assert word_probability(0.5, True, -3.0, (0.5, -1.0, 2.0)) == pytest.approx(
        1 / (1 + math.exp(-(0.5 * math.log(0.5) - 1.0 + 2.0)))
    )
    with pytest.raises(ConfigError, match="4 weights"):
        full_weights((1.0, 2.0))


def test_recalibrate_maps_each_word_and_takes_the_text_from_its_least_sure_word():
    # "ab b": three characters and a space; the network is sure of all of them
    vocabulary = "ab "
    steps = [0, 3, 1, 3, 2, 3, 1]  # a, blank, b, blank, space, blank, b (blank = 3)
    probs = np.full((len(steps), 4), 0.02)
    probs[np.arange(len(steps)), steps] = 0.94
    reading = read_confidences(probs[None], ["ab b"], vocabulary, 3)[0]
    weights = (1.0, -2.0, 0.5, 0.5)
    lm = lm_from_labels(["ab ab", "b ab"])
    mapped = recalibrate(reading, "ab a", weights, lm)  # the language model changed the second word
    first, second = mapped.words
    first_spelling = spelling_score(lm, "ab")
    assert first.confidence == pytest.approx(
        word_probability(reading.words[0].confidence, False, first_spelling, weights)
    )
    z = math.log(0.94) - 2.0 + 0.5 * spelling_score(lm, "b") + 0.5
    assert second.confidence == pytest.approx(1 / (1 + math.exp(-z)))
    assert mapped.confidence == min(first.confidence, second.confidence)
    assert mapped.chars == reading.chars  # the characters keep the network's confidences
    assert recalibrate(read_confidences(probs[None], [""], vocabulary, 3)[0], "", weights, lm).words == []


def test_a_recognizer_with_a_calibrated_language_model_maps_its_word_confidences(tmp_path):
    """The shipped word model read with a language model whose weights are known."""
    from pathlib import Path

    from mltu_ext.ctc.beam_lm import BeamDecoder
    from mltu_ext.inference.recognizer import OnnxRecognizer
    from tests.conftest import draw_word

    model = Path(__file__).resolve().parents[2] / "Models" / "dhsd_words"
    images = [draw_word(word) for word in ("Berlin", "Hamburg", "Bonn")]
    lm = lm_from_labels(["Berlin", "Hamburg", "Bonn"])
    plain = OnnxRecognizer(model, decoder=BeamDecoder(lm, beam=4)).read(images)
    weights = (0.5, -1.0, 0.7, 2.0)
    mapped = OnnxRecognizer(model, decoder=BeamDecoder(lm, beam=4, word_confidence=weights)).read(images)
    greedy = OnnxRecognizer(model).predict(images)
    for before, after, greedy_text in zip(plain, mapped, greedy, strict=True):
        assert after.text == before.text
        flags = changed_words(before.text, greedy_text)
        for word, old, flag in zip(after.words, before.words, flags, strict=True):
            spelling = spelling_score(lm, word.text)
            assert word.confidence == pytest.approx(word_probability(old.confidence, flag, spelling, weights))
