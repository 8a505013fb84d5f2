"""A model folder's language model file: written, read back the same, refused when broken."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from mltu_ext.ctc.beam_lm import BeamDecoder, lm_from_labels
from mltu_ext.ctc.lm_file import (
    LM_FILE,
    language_model_path,
    load_language_model,
    model_decoder,
    save_language_model,
    set_word_confidence,
)
from mltu_ext.errors import ConfigError, ModelLoadError

TEXTS = ["la maison", "le chat", "la chatte", "les maisons"]


def _posteriors(seed: int, steps: int = 12, vocabulary: str = " acehilmnost") -> np.ndarray:
    """Random but peaked CTC posteriors (T, C), blank last."""
    logits = np.random.default_rng(seed).normal(0, 3, (steps, len(vocabulary) + 1))
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def test_a_saved_language_model_decodes_as_the_one_it_was_saved_from(tmp_path):
    decoder = BeamDecoder(
        lm_from_labels(TEXTS, order=4), beam=5, alpha=0.9, beta=1.25, word_confidence=(0.5, -1, 0.25, 2)
    )
    path = save_language_model(tmp_path / LM_FILE, decoder, source="four texts")
    again = load_language_model(path)
    assert (again.beam, again.alpha, again.beta, again.lm.order) == (5, 0.9, 1.25, 4)
    assert again.word_confidence == (0.5, -1.0, 0.25, 2.0)
    assert again.lm.alphabet == decoder.lm.alphabet
    probs = np.stack([_posteriors(seed) for seed in range(6)])
    vocabulary = " acehilmnost"
    assert again(probs, vocabulary) == decoder(probs, vocabulary)
    # the same model gives the same bytes (no time stamp inside the gzip stream)
    first = path.read_bytes()
    save_language_model(path, decoder, source="four texts")
    assert path.read_bytes() == first
    document = json.loads(gzip.decompress(first))
    # a model read back (its counts kept as the file's dicts) writes the same counts again
    resaved = save_language_model(tmp_path / "again.json.gz", again).read_bytes()
    assert json.loads(gzip.decompress(resaved))["counts"] == document["counts"]
    assert document["source"] == "four texts" and "la maison" not in json.dumps(document)


def test_a_file_with_three_word_confidence_weights_reads_with_no_spelling_term(tmp_path):
    """Files written before the spelling term keep working: (w0, w1, w2) -> (w0, w1, 0, w2)."""
    decoder = BeamDecoder(lm_from_labels(TEXTS, order=3), beam=3)
    path = save_language_model(tmp_path / LM_FILE, decoder)
    document = json.loads(gzip.decompress(path.read_bytes()))
    document["word_confidence"] = [0.5, -1.0, 2.0]
    path.write_bytes(gzip.compress(json.dumps(document).encode()))
    assert load_language_model(path).word_confidence == (0.5, -1.0, 0.0, 2.0)
    set_word_confidence(path, (0.25, -0.5, 1.0))  # stored as four
    assert json.loads(gzip.decompress(path.read_bytes()))["word_confidence"] == [0.25, -0.5, 0.0, 1.0]


def test_a_decoder_without_a_language_model_is_not_saved(tmp_path):
    with pytest.raises(ConfigError, match="no language model"):
        save_language_model(tmp_path / LM_FILE, BeamDecoder(None))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not gzip at all", "not a readable language model"),
        (gzip.compress(b"{not json"), "not a readable language model"),
        (gzip.compress(b'{"format": "something else"}'), "not a mltu_ext character n-gram file"),
        (gzip.compress(b'{"format": "mltu_ext character n-gram", "version": 9}'), "version 9"),
        (gzip.compress(b'{"format": "mltu_ext character n-gram", "version": 1, "order": 3}'), "incomplete"),
        (
            gzip.compress(
                b'{"format": "mltu_ext character n-gram", "version": 1, "order": 2, "alphabet": "a",'
                b' "beam": 2, "alpha": 1, "beta": 0, "counts": {"": ["a", 1]}}'
            ),
            "incomplete",
        ),
        (
            gzip.compress(
                b'{"format": "mltu_ext character n-gram", "version": 1, "order": 2, "alphabet": "a",'
                b' "beam": 2, "alpha": 1, "beta": 0, "counts": {"": {"a": 1}}, "word_confidence": [1, 2]}'
            ),
            "needs 4 weights",
        ),
        (
            gzip.compress(
                b'{"format": "mltu_ext character n-gram", "version": 1, "order": 2, "alphabet": "a",'
                b' "beam": 2, "alpha": 1, "beta": NaN, "counts": {"": {"a": 1}}}'
            ),
            "bonus nan",
        ),
        (
            gzip.compress(
                b'{"format": "mltu_ext character n-gram", "version": 1, "order": 2, "alphabet": "a",'
                b' "beam": 2, "alpha": Infinity, "beta": 0, "counts": {"": {"a": 1}}}'
            ),
            "weight inf",
        ),
    ],
)
def test_a_broken_language_model_file_is_refused_with_its_name(tmp_path, content, message):
    path = tmp_path / LM_FILE
    path.write_bytes(content)
    with pytest.raises(ModelLoadError, match=message) as error:
        load_language_model(path)
    assert str(path) in str(error.value)


def test_the_language_model_lives_beside_the_onnx_file(tmp_path):
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"")
    assert language_model_path(tmp_path) == language_model_path(onnx) == tmp_path / LM_FILE
    assert model_decoder(tmp_path) is None  # a model without one decodes greedily
    save_language_model(tmp_path / LM_FILE, BeamDecoder(lm_from_labels(TEXTS), beam=3))
    assert model_decoder(onnx).beam == 3
