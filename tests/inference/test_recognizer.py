"""OnnxRecognizer on a tiny trained model: the texts of the Keras model, without TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from mltu_ext.config import TrainConfig
from mltu_ext.data.images import read_gray
from mltu_ext.evaluation.error_rates import cer
from mltu_ext.inference.recognizer import OnnxRecognizer

# every test here uses the trained_model fixture: a tiny model trained and exported
pytestmark = pytest.mark.slow


def test_inference_class_matches_keras_decoding(trained_model):
    """The ONNX recogniser and the Keras model give the same texts for the same files."""
    from mltu_ext.ctc.greedy import greedy_decode
    from mltu_ext.data.images import prepare

    result, _, val = trained_model
    cfg = TrainConfig.load(result.model_dir / "config.json")
    paths = [s.path for s in val[:8]]
    recognizer = OnnxRecognizer(result.model_dir)
    texts = recognizer.predict_files(paths, batch_size=3)
    model = keras.saving.load_model(result.model_dir / "best.keras", compile=False)
    # same preparation as inference: height 32, padded to the widest image
    widest = max(read_gray(p).shape[1] * 32 // read_gray(p).shape[0] for p in paths)
    width = -(-max(widest, 4 * cfg.model.time_scale) // cfg.model.time_scale) * cfg.model.time_scale
    batch = np.stack([prepare(read_gray(p), 32, width) for p in paths]).astype(np.float32)[..., None]
    expected = greedy_decode(np.asarray(model(batch, training=False)), cfg.model.vocabulary)
    assert len(texts) == len(paths)
    assert cer(texts, expected) <= 0.05


def test_inference_module_does_not_import_tensorflow(trained_model, word_dataset):
    result, _, _ = trained_model
    code = (
        "import sys; from mltu_ext.inference.recognizer import OnnxRecognizer; "
        f"r = OnnxRecognizer({str(result.model_dir)!r}); "
        f"r.predict_files([{str(word_dataset.parent / 'img' / '000.png')!r}]); "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_misuse_of_the_python_api_is_named():
    from mltu_ext.errors import ConfigError, ImageReadError

    words = OnnxRecognizer(Path(__file__).resolve().parents[2] / "Models" / "dhsd_words")
    line = np.full((40, 120), 255, np.uint8)
    for size in (0, -1, 1.5, None, True):
        with pytest.raises(ConfigError, match="batch_size"):
            words.predict([line], batch_size=size)
    with pytest.raises(ConfigError, match=r"image 1: 'word\.png' is a path; read_files"):
        words.predict([line, "word.png"])
    with pytest.raises(ImageReadError, match="unsupported image type"):
        words.predict([None])
    assert words.predict([]) == []
    strip = np.full((10, 6000), 255, np.uint8)  # 38,400 columns at the model's height 64
    with pytest.raises(ImageReadError, match=r"^image 1: 38400 columns wide at height 64"):
        words.predict([line, strip])


def test_a_file_too_wide_is_named_by_read_files(tmp_path):
    import cv2

    from mltu_ext.errors import ImageReadError

    words = OnnxRecognizer(Path(__file__).resolve().parents[2] / "Models" / "dhsd_words", max_width=900)
    path = tmp_path / "strip.png"
    cv2.imwrite(str(path), np.full((32, 500), 255, np.uint8))
    with pytest.raises(ImageReadError, match=f"^{path}: 1000 columns wide"):
        words.read_files([path])
