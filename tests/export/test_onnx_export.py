"""The ONNX model that training exports: same outputs as Keras, dynamic width, JSON metadata."""

from __future__ import annotations

import json

import keras
import numpy as np
import onnxruntime as ort
import pytest

from mltu_ext.config import TrainConfig
from mltu_ext.data.image_cache import build_cache
from mltu_ext.data.vocabulary import Vocabulary

# every test here uses the trained_model fixture: a tiny model trained and exported
pytestmark = pytest.mark.slow


def test_onnx_matches_keras_on_real_images(trained_model):
    result, _, val = trained_model
    cfg = TrainConfig.load(result.model_dir / "config.json")
    vocab = Vocabulary(cfg.model.vocabulary)
    cache = build_cache(val[:6], vocab, cfg.model.height, cfg.max_width, cfg.time_steps)
    images = cache.images.astype(np.float32)[..., None]
    model = keras.saving.load_model(result.model_dir / "best.keras", compile=False)
    session = ort.InferenceSession(str(result.onnx_path), providers=["CPUExecutionProvider"])
    onnx_out = session.run(None, {session.get_inputs()[0].name: images})[0]
    keras_out = np.asarray(model(images, training=False))
    np.testing.assert_allclose(onnx_out, keras_out, atol=1e-4)
    # dynamic width: a narrower batch runs too, with fewer time steps
    narrow = session.run(None, {session.get_inputs()[0].name: images[:, :, :64]})[0]
    assert narrow.shape[1] == keras_out.shape[1] // 2


def test_onnx_metadata_is_json(trained_model):
    result, _, _ = trained_model
    session = ort.InferenceSession(str(result.onnx_path), providers=["CPUExecutionProvider"])
    meta = json.loads(session.get_modelmeta().custom_metadata_map["mltu_ext"])
    cfg = TrainConfig.load(result.model_dir / "config.json")
    assert meta["vocabulary"] == cfg.model.vocabulary
    assert meta["blank_index"] == len(cfg.model.vocabulary)
    assert meta["input_height"] == cfg.model.height
    assert meta["padding_value"] == 255
