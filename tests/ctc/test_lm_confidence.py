"""Word confidence of language-model readings: which words changed, the logistic fit, the recognizer's use."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mltu_ext.ctc.confidence import read_confidences
from mltu_ext.ctc.lm_confidence import changed_words, fit_weights, recalibrate, word_probability


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
    truth = (0.6, -1.5, 1.2)
    p = [word_probability(c, f, truth) for c, f in zip(confidences, changed, strict=True)]
    right = rng.uniform(size=confidences.size) < np.array(p)
    fitted = fit_weights(confidences, changed, right)
    assert fitted == pytest.approx(truth, abs=0.1)


def test_recalibrate_maps_each_word_and_takes_the_text_from_its_least_sure_word():
    # "ab b": three characters and a space; the network is sure of all of them
    vocabulary = "ab "
    steps = [0, 3, 1, 3, 2, 3, 1]  # a, blank, b, blank, space, blank, b (blank = 3)
    probs = np.full((len(steps), 4), 0.02)
    probs[np.arange(len(steps)), steps] = 0.94
    reading = read_confidences(probs[None], ["ab b"], vocabulary, 3)[0]
    weights = (1.0, -2.0, 0.5)
    mapped = recalibrate(reading, "ab a", weights)  # the language model changed the second word
    first, second = mapped.words
    assert first.confidence == pytest.approx(word_probability(reading.words[0].confidence, False, weights))
    assert second.confidence == pytest.approx(1 / (1 + math.exp(-(math.log(0.94) - 2.0 + 0.5))))
    assert mapped.confidence == min(first.confidence, second.confidence)
    assert mapped.chars == reading.chars  # the characters keep the network's confidences
    assert recalibrate(read_confidences(probs[None], [""], vocabulary, 3)[0], "", weights).words == []


def test_a_recognizer_with_a_calibrated_language_model_maps_its_word_confidences(tmp_path):
    """The shipped word model read with a language model whose weights are known."""
    from pathlib import Path

    from mltu_ext.ctc.beam_lm import BeamDecoder, lm_from_labels
    from mltu_ext.inference.recognizer import OnnxRecognizer
    from tests.conftest import draw_word

    model = Path(__file__).resolve().parents[2] / "Models" / "dhsd_words"
    images = [draw_word(word) for word in ("Berlin", "Hamburg", "Bonn")]
    lm = lm_from_labels(["Berlin", "Hamburg", "Bonn"])
    plain = OnnxRecognizer(model, decoder=BeamDecoder(lm, beam=4)).read(images)
    weights = (0.5, -1.0, 2.0)
    mapped = OnnxRecognizer(model, decoder=BeamDecoder(lm, beam=4, word_confidence=weights)).read(images)
    greedy = OnnxRecognizer(model).predict(images)
    for before, after, greedy_text in zip(plain, mapped, greedy, strict=True):
        assert after.text == before.text
        flags = changed_words(before.text, greedy_text)
        for word, old, flag in zip(after.words, before.words, flags, strict=True):
            assert word.confidence == pytest.approx(word_probability(old.confidence, flag, weights))
