"""mltu_ext.model.packed_weights: a recogniser as int8 weights in one .npz, and back."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from mltu_ext.config import AugmentConfig, ModelConfig, TrainConfig
from mltu_ext.errors import ModelLoadError
from mltu_ext.model.packed_weights import load_packed, pack_arrays, pack_model_dir, quantize, unpack_arrays
from mltu_ext.model.recognizer import build_recognizer
from tests.model.weights_helper import randomize_weights


def test_quantize_per_channel_hand_worked():
    """Each output channel gets its own scale: its largest magnitude maps to 127."""
    weight = np.array([[1.27, -0.5], [-0.635, 0.25], [0.0, 0.0]], np.float32)  # 3 inputs, 2 channels
    values, scales = quantize(weight)
    np.testing.assert_allclose(scales, [0.01, 0.5 / 127], rtol=1e-6)
    assert values[:, 0].tolist() == [127, -64, 0]  # -0.635 / 0.01 = -63.5 rounds to even
    assert values[:, 1].tolist() == [-127, 64, 0]
    zero_values, zero_scales = quantize(np.zeros((2, 3), np.float32))
    assert zero_values.tolist() == [[0, 0, 0], [0, 0, 0]] and zero_scales.tolist() == [1.0, 1.0, 1.0]


@pytest.fixture
def model_dir(tmp_path):
    """A tiny model folder (config.json, best.keras) with trained-looking weights."""
    cfg = TrainConfig(
        model=ModelConfig(
            vocabulary="abc ",
            height=16,
            filters=(8, 12),
            strides=((2, 2), (2, 1)),
            lstm_units=(8,),
            dropout=0.1,
        ),
        augment=AugmentConfig(),
    )
    keras.utils.set_random_seed(3)
    model = randomize_weights(build_recognizer(cfg.model, cfg.augment))
    folder = tmp_path / "model"
    folder.mkdir()
    cfg.save(folder / "config.json")
    model.save(folder / "best.keras")
    return folder


def test_load_packed_rebuilds_the_network_within_half_an_int8_step(model_dir, tmp_path):
    packed = tmp_path / "weights.npz"
    size = pack_model_dir(model_dir, packed)
    assert size == packed.stat().st_size
    before = keras.saving.load_model(model_dir / "best.keras", compile=False)
    after = load_packed(packed)
    assert [tuple(w.shape) for w in after.weights] == [tuple(w.shape) for w in before.weights]
    for old, new in zip(before.weights, after.weights, strict=True):
        old, new = keras.ops.convert_to_numpy(old), keras.ops.convert_to_numpy(new)
        if old.ndim >= 2:
            step = np.abs(old.reshape(-1, old.shape[-1])).max(axis=0) / 127
            assert (np.abs(new - old) <= step / 2 + 1e-7).all()
            assert not np.array_equal(new, old)  # rounded: the int8 path was taken
        else:  # biases and BatchNorm statistics are stored as they are
            np.testing.assert_array_equal(new, old)
    image = np.random.default_rng(1).uniform(0, 255, (2, 16, 40, 1)).astype("float32")
    expected = keras.ops.convert_to_numpy(before(image))
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(after(image)), expected, atol=0.02)


def test_load_packed_refuses_weights_that_do_not_fit_the_config(model_dir, tmp_path):
    packed = tmp_path / "weights.npz"
    pack_model_dir(model_dir, packed)
    with np.load(packed) as entries:
        config, weights = unpack_arrays(entries)
    config["model"]["lstm_units"] = [16]  # other LSTM shapes than the packed weights
    broken = tmp_path / "broken.npz"
    np.savez(broken, **pack_arrays(config, weights))
    with pytest.raises(ModelLoadError, match=r"broken\.npz: .* is \("):
        load_packed(broken)


def test_load_packed_names_a_file_that_is_not_packed_weights(tmp_path):
    bad = tmp_path / "weights.npz"
    bad.write_text("not a zip")
    with pytest.raises(ModelLoadError, match=r"weights\.npz: not a packed weights file \(not an \.npz"):
        load_packed(bad)
    cut = tmp_path / "cut.npz"
    np.savez(cut, something=np.zeros(300))
    cut.write_bytes(cut.read_bytes()[:200])  # a zip whose end is missing
    with pytest.raises(ModelLoadError, match=r"cut\.npz: not a packed weights file"):
        load_packed(cut)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ModelLoadError, match=r"single\.npy: not a packed weights file \(a single array"):
        load_packed(single)
    other = tmp_path / "other.npz"
    np.savez(other, something=np.zeros(3))
    with pytest.raises(ModelLoadError, match=r"other\.npz: not a packed weights file"):
        load_packed(other)


def test_the_packed_config_is_the_folder_config(model_dir, tmp_path):
    packed = tmp_path / "weights.npz"
    pack_model_dir(model_dir, packed)
    with np.load(packed) as entries:
        config, _ = unpack_arrays(entries)
    assert config == json.loads((model_dir / "config.json").read_text())
