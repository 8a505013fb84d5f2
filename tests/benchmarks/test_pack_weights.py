"""benchmarks/line_model/pack_weights.py: a model folder as int8 weights and back, for --init-from."""

import json

import keras
import numpy as np
import pytest

from mltu_ext.config import AugmentConfig, ModelConfig, TrainConfig
from mltu_ext.model.recognizer import build_recognizer
from tests.benchmarks.scripts import load_script


def _pack_weights():
    return load_script("line_model/pack_weights.py")


def test_quantize_per_channel_hand_worked():
    """Each output channel gets its own scale: its largest magnitude maps to 127."""
    module = _pack_weights()
    weight = np.array([[1.27, -0.5], [-0.635, 0.25], [0.0, 0.0]], np.float32)  # 3 inputs, 2 channels
    values, scales = module.quantize(weight)
    np.testing.assert_allclose(scales, [0.01, 0.5 / 127], rtol=1e-6)
    assert values[:, 0].tolist() == [127, -64, 0]  # -0.635 / 0.01 = -63.5 rounds to even
    assert values[:, 1].tolist() == [-127, 64, 0]
    zero_values, zero_scales = module.quantize(np.zeros((2, 3), np.float32))
    assert zero_values.tolist() == [[0, 0, 0], [0, 0, 0]] and zero_scales.tolist() == [1.0, 1.0, 1.0]


@pytest.fixture
def model_dir(tmp_path):
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
    model = build_recognizer(cfg.model, cfg.augment)
    rng = np.random.default_rng(0)
    for variable in model.weights:  # trained-looking weights, not the initial ones
        if "float" in str(variable.dtype):
            variable.assign(rng.normal(0, 0.3, tuple(variable.shape)).astype("float32"))
    folder = tmp_path / "split"
    folder.mkdir()
    cfg.save(folder / "config.json")
    model.save(folder / "best.keras")
    return folder


def test_pack_unpack_round_trip(model_dir, tmp_path):
    module = _pack_weights()
    packed = tmp_path / "weights.npz"
    module.run(module.get_args(["pack", str(model_dir), str(packed)]))
    out = tmp_path / "init"
    module.run(module.get_args(["unpack", str(packed), str(out)]))

    saved = json.loads((model_dir / "config.json").read_text())
    assert json.loads((out / "config.json").read_text()) == saved
    before = keras.saving.load_model(model_dir / "best.keras", compile=False)
    after = keras.saving.load_model(out / "best.keras", compile=False)
    # the names of unnamed layers count up within a process, so compare the shapes in order
    assert [tuple(w.shape) for w in after.weights] == [tuple(w.shape) for w in before.weights]
    for old, new in zip(before.weights, after.weights, strict=True):
        old, new = keras.ops.convert_to_numpy(old), keras.ops.convert_to_numpy(new)
        if old.ndim >= 2:  # int8: off by at most half a step of its channel's scale
            step = np.abs(old.reshape(-1, old.shape[-1])).max(axis=0) / 127
            assert (np.abs(new - old) <= step / 2 + 1e-7).all()
            assert not np.array_equal(new, old)  # it was rounded, so the test sees the int8 path
        else:  # biases, BatchNorm statistics: exact
            np.testing.assert_array_equal(new, old)
    image = np.random.default_rng(1).uniform(0, 255, (2, 16, 40, 1)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(after(image)), keras.ops.convert_to_numpy(before(image)), atol=0.02
    )


def test_unpack_refuses_weights_that_do_not_fit_the_config(model_dir, tmp_path):
    module = _pack_weights()
    packed = tmp_path / "weights.npz"
    module.run(module.get_args(["pack", str(model_dir), str(packed)]))
    with np.load(packed) as entries:
        config, weights = module.unpack_arrays(entries)
    config["model"]["lstm_units"] = [16]  # other LSTM shapes than the packed weights
    broken = tmp_path / "broken.npz"
    np.savez(broken, **module.pack_arrays(config, weights))
    with pytest.raises(SystemExit, match=r"broken\.npz: .* is"):
        module.run(module.get_args(["unpack", str(broken), str(tmp_path / "out")]))
