"""Beam search with a character n-gram model (mltu_ext.ctc.beam_lm)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from mltu_ext.ctc.beam_lm import END, BeamDecoder, CharNgramLM, beam_decode, lm_from_file
from mltu_ext.ctc.greedy import greedy_decode
from mltu_ext.errors import InputFileError

VOCAB = "acehst"  # blank is index 6


def _one_hot_path(path: list[int], classes: int = 7, peak: float = 0.9) -> np.ndarray:
    probs = np.full((len(path), classes), (1 - peak) / (classes - 1))
    probs[np.arange(len(path)), path] = peak
    return probs


def test_lm_probabilities_sum_to_one():
    lm = CharNgramLM.from_texts(["the", "these", "cheese", "chest"], order=3)
    for history in ("", "t", "th", "che", "xyz"):
        total = sum(math.exp(lm.logprob(history, c)) for c in lm.alphabet)
        assert total == pytest.approx(1.0, abs=1e-9)
    assert lm.logprob("th", "e") > lm.logprob("th", "a")
    assert lm.logprob("the", END) > lm.logprob("the", "a")


def test_beam_without_lm_matches_greedy_on_clear_outputs():
    rng = np.random.default_rng(0)
    for _ in range(20):
        path = list(rng.integers(0, 7, size=12))
        probs = _one_hot_path(path)
        assert beam_decode(probs, VOCAB, beam=4) == greedy_decode(probs[None], VOCAB)[0]


def test_lm_settles_an_ambiguous_letter():
    # t, h?, e with the middle column torn between 'c' (0.5) and 'h' (0.45)
    probs = _one_hot_path([5, 6, 1, 6, 2])
    probs[2] = [0.01, 0.5, 0.01, 0.45, 0.01, 0.01, 0.01]
    assert beam_decode(probs, VOCAB) == "tce"
    lm = CharNgramLM.from_texts(["the", "these", "that", "he"], order=3)
    assert beam_decode(probs, VOCAB, lm=lm, alpha=1.0) == "the"
    assert BeamDecoder(lm, alpha=1.0)(probs[None], VOCAB, 6) == ["the"]


def test_lm_file_errors_name_the_file(tmp_path):
    with pytest.raises(InputFileError, match=r"missing\.txt: language-model text file not found"):
        lm_from_file(tmp_path / "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"empty\.txt: .* has no text"):
        lm_from_file(empty)
    words = tmp_path / "words.txt"
    words.write_text("Straße\nMühlbach\n", encoding="utf-8")
    assert "ß" in lm_from_file(words).alphabet


def test_lm_file_that_is_there_but_unusable_is_not_called_missing(tmp_path):
    # /dev/null, a folder or a zero-byte file exist: "not found" would send the user looking for them
    with pytest.raises(InputFileError, match=r"^/dev/null: is a character device, not a language-model"):
        lm_from_file("/dev/null")
    with pytest.raises(
        InputFileError, match=rf"^{re.escape(str(tmp_path))}: is a folder, not a language-model"
    ):
        lm_from_file(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match=r"empty\.txt: language-model text file is empty"):
        lm_from_file(empty)
    decomposed = tmp_path / "nfd.txt"
    decomposed.write_text("sélection\n".replace("é", "e\u0301"), encoding="utf-8")
    alphabet = lm_from_file(decomposed).alphabet  # composed, as the model's own characters are
    assert "é" in alphabet and "\u0301" not in alphabet
