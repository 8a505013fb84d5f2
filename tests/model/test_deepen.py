"""mltu_ext.model.deepen and ModelConfig.residual_lstms: a trained network grown by BiLSTMs."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from mltu_ext.config import ModelConfig
from mltu_ext.errors import ConfigError
from mltu_ext.export.metadata import model_metadata
from mltu_ext.export.onnx_export import export_onnx
from mltu_ext.model.deepen import deepen_recognizer, deepened_config
from mltu_ext.model.recognizer import build_recognizer
from tests.model.weights_helper import randomize_weights


def tiny_config(**changes) -> ModelConfig:
    settings = dict(vocabulary="abc ", height=16, filters=(8, 12), strides=((2, 2), (2, 1)),
                    lstm_units=(8,), dropout=0.0)  # fmt: skip
    settings.update(changes)
    return ModelConfig(**settings)


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(1).uniform(0, 255, (2, 16, 48, 1)).astype("float32")


def test_deepened_network_reads_as_the_trained_one_until_its_projections_move(images):
    cfg = tiny_config()
    model = randomize_weights(build_recognizer(cfg))
    grown, grown_cfg = deepen_recognizer(model, cfg, add=2, units=6)
    assert grown_cfg.lstm_units == (8, 6, 6) and grown_cfg.residual_lstms == 2
    assert cfg.lstm_units == (8,)  # the trained config is left as it was
    before = np.asarray(model(images, training=False))
    assert np.isfinite(before).all()
    np.testing.assert_allclose(np.asarray(grown(images, training=False)), before, atol=1e-6)
    # the new layers are live: once a projection is not zero, the reading changes
    projection = grown.get_layer("blstm2_proj")
    projection.kernel.assign(np.full(tuple(projection.kernel.shape), 0.5, "float32"))
    assert np.abs(np.asarray(grown(images, training=False)) - before).max() > 1e-3


def test_residual_lstms_survive_saving_and_onnx_export(tmp_path, images):
    cfg = tiny_config(lstm_units=(8, 8), residual_lstms=1)
    model = randomize_weights(build_recognizer(cfg), seed=2)
    path = tmp_path / "deep.keras"
    model.save(path)
    again = keras.saving.load_model(path, compile=False)
    expected = np.asarray(model(images, training=False))
    np.testing.assert_allclose(np.asarray(again(images, training=False)), expected, atol=1e-6)
    metadata = model_metadata(cfg.vocabulary, cfg.height, cfg.channels, cfg.time_scale)
    export_onnx(model, tmp_path / "deep.onnx", metadata, check_images=images)  # raises on a mismatch


def test_deepen_refuses_what_cannot_be_grown():
    with pytest.raises(ConfigError, match="add=0"):
        deepened_config(tiny_config(), 0)
    with pytest.raises(ConfigError, match="lstm_units"):  # not the last BiLSTM's size in silence
        deepened_config(tiny_config(), 1, units=0)
    with pytest.raises(ConfigError, match="residual_lstms=3"):
        tiny_config(lstm_units=(8, 8), residual_lstms=3).validate()
    other = randomize_weights(build_recognizer(tiny_config(filters=(8, 16))))
    with pytest.raises(ConfigError, match="res1"):  # weights of another network
        deepen_recognizer(other, tiny_config(), add=1)
