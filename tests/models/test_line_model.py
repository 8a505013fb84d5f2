"""The shipped line model: its files, its characters, real Copiste lines, and the default-model rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mltu_ext.ctc.lm_file import model_decoder
from mltu_ext.evaluation.error_rates import cer
from mltu_ext.inference.model_files import SHIPPED_LINE_MODEL, default_model
from mltu_ext.inference.recognizer import OnnxRecognizer

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "Models" / SHIPPED_LINE_MODEL
COPISTE = ROOT.parent / "shared" / "data" / "copiste"
SPLIT = ROOT / "benchmarks" / "copiste_lines" / "split.json"
# 6.7 % measured on the 54 lines read below (the same network trained without their writers:
# 8.3 %, and 10.1 % on all 585 validation lines); a crop or decoding fault reads far worse
MAX_CER_ON_FEW_LINES = 0.20


def test_line_model_files_metadata_and_characters():
    for name in ("model.onnx", "config.json", "MODEL_CARD.md", "weights.npz"):
        assert (SHIPPED / name).is_file(), name
    assert sum(f.stat().st_size for f in SHIPPED.iterdir()) <= 20_000_000
    decoder = model_decoder(SHIPPED)  # its own language model, which inferenceModel.py uses
    assert decoder is not None and decoder.lm.order >= 3 and decoder.beam > 1
    # its readings' word confidences are calibrated, the spelling term fitted (not a three-weight file)
    assert decoder.word_confidence is not None and decoder.word_confidence[2] > 0.0
    assert "ß" in decoder.lm.alphabet and "é" in decoder.lm.alphabet  # DHSD's words, Copiste's lines
    recognizer = OnnxRecognizer(SHIPPED)
    for char in " éèàçêô'’,.«»-äöüß":
        assert char in recognizer.vocabulary, char
    card = (SHIPPED / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in card and "Copiste" in card and "BAnQ" in card
    assert "DHSD" in card and "10.5281/zenodo.18743313" in card  # its words are in the training set


def test_the_packed_weights_read_as_the_onnx_file_does():
    """weights.npz (for --init-from) holds the network of model.onnx, not another one."""
    import keras
    import numpy as np

    from mltu_ext.config import TrainConfig
    from mltu_ext.ctc.greedy import greedy_decode
    from mltu_ext.model.packed_weights import load_packed
    from mltu_ext.synth.line_render import render_handwritten_line

    cfg = TrainConfig.load(SHIPPED / "config.json")
    network = load_packed(SHIPPED / "weights.npz", cfg)
    recognizer = OnnxRecognizer(SHIPPED)
    texts = ["The river flows north", "une ville du nom de Paris"]
    images = [
        render_handwritten_line(t, np.random.default_rng(i), font="hershey") for i, t in enumerate(texts)
    ]
    batch = recognizer.prepare_batch(images)  # B,64,W,1
    from_onnx = recognizer.probabilities(images)
    from_keras = keras.ops.convert_to_numpy(network(batch, training=False))
    assert from_keras.shape == from_onnx.shape
    # both int8 (the ONNX file's activations too), so close but not equal: the same readings
    vocabulary, blank = recognizer.vocabulary, recognizer.blank_index
    assert greedy_decode(from_keras, vocabulary, blank) == greedy_decode(from_onnx, vocabulary, blank)
    assert (from_keras.argmax(-1) == from_onnx.argmax(-1)).mean() > 0.97


def test_without_a_recorded_model_the_shipped_line_model_is_the_default(tmp_path):
    # a fresh clone: Models/ holds the shipped models and no last_trained.json
    models = tmp_path / "Models"
    (models / SHIPPED_LINE_MODEL).mkdir(parents=True)
    (models / SHIPPED_LINE_MODEL / "model.onnx").write_bytes((SHIPPED / "model.onnx").read_bytes())
    model, why = default_model(models)
    assert model == models / SHIPPED_LINE_MODEL / "model.onnx" and "shipped line model" in why


@pytest.mark.skipif(not (COPISTE / "alto").is_dir(), reason=f"{COPISTE} not present")
def test_line_model_reads_real_copiste_lines():
    from mltu_ext.data import load_dataset
    from mltu_ext.data.samples import sample_pixels

    val_writers = json.loads(SPLIT.read_text(encoding="utf-8"))["val_writers"][:4]
    pages = [p for p in sorted((COPISTE / "alto").glob("*.xml")) if p.stem.rsplit("_", 1)[0] in val_writers
             or p.stem in val_writers]  # fmt: skip
    assert pages
    samples = []
    for page in pages[:3]:
        samples += load_dataset(page).samples
    images = [sample_pixels(s) for s in samples]
    texts = OnnxRecognizer(SHIPPED).predict(images, batch_size=8)
    truths = [s.text for s in samples]
    # the shipped model was fine-tuned on all 227 writers, these four included; its card gives
    # the CER on unseen writers, measured on the same network trained without them
    assert cer(texts, truths) <= MAX_CER_ON_FEW_LINES
    # what inferenceModel.py --lm reads: the beam search with the folder's language model
    with_lm = OnnxRecognizer(SHIPPED, decoder=model_decoder(SHIPPED)).predict(images, batch_size=8)
    assert cer(with_lm, truths) < cer(texts, truths)
