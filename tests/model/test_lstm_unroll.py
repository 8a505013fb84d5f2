"""BiLSTMs unrolled over time (for JAX on GPUs): same outputs, and ONNX export keeps one LSTM node."""

from __future__ import annotations

import collections

import keras
import numpy as np
import onnx

from mltu_ext.config import ModelConfig
from mltu_ext.export.metadata import model_metadata
from mltu_ext.export.onnx_export import export_onnx
from mltu_ext.model.recognizer import build_recognizer, set_lstm_unroll, unroll_lstms_here


def _tiny():
    cfg = ModelConfig(
        height=32, filters=(8, 16), strides=((2, 2), (2, 1)), lstm_units=(8,), vocabulary="abc", dropout=0.0
    )
    keras.utils.set_random_seed(3)
    return cfg, build_recognizer(cfg)


def test_unrolled_lstms_give_the_same_outputs():
    _, model = _tiny()
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 48, 1)).astype("float32")
    looped = keras.ops.convert_to_numpy(model(images))
    assert set_lstm_unroll(model, True) == 2  # forward and backward of the one BiLSTM
    layer = model.get_layer("blstm0")
    assert layer.forward_layer.unroll and layer.backward_layer.use_cudnn is False
    unrolled = keras.ops.convert_to_numpy(model(images))
    np.testing.assert_allclose(unrolled, looped, atol=1e-5)
    set_lstm_unroll(model, False)
    assert not layer.forward_layer.unroll and layer.backward_layer.use_cudnn == "auto"


def test_export_puts_the_loop_form_back(tmp_path):
    """A model trained unrolled still exports one ONNX LSTM node (not a cell per time step)."""
    cfg, model = _tiny()
    set_lstm_unroll(model, True)
    metadata = model_metadata(cfg.vocabulary, cfg.height, cfg.channels, cfg.time_scale)
    path = export_onnx(model, tmp_path / "model.onnx", metadata)  # also checks ONNX against Keras
    ops = collections.Counter(node.op_type for node in onnx.load(str(path)).graph.node)
    assert ops["LSTM"] == 1 and ops["MatMul"] <= 1


def test_unrolled_only_under_jax_on_a_gpu():
    assert keras.backend.backend() != "jax" and unroll_lstms_here() is False


def test_line_length_sequences_keep_the_loop_on_a_gpu(monkeypatch):
    """Words unroll under JAX on a GPU; a line's hundreds of steps keep the loop (it compiles)."""
    jax = __import__("pytest").importorskip("jax")
    from mltu_ext.model.recognizer import MAX_UNROLLED_LSTM_STEPS

    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert unroll_lstms_here(40) is True
    assert unroll_lstms_here(MAX_UNROLLED_LSTM_STEPS) is True
    assert unroll_lstms_here(MAX_UNROLLED_LSTM_STEPS + 1) is False
    assert unroll_lstms_here(512) is False
    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    assert unroll_lstms_here(40) is False
