"""benchmarks/line_model/pack_weights.py: the command that packs a model folder and unpacks it."""

import json

import keras
import numpy as np

from mltu_ext.config import AugmentConfig, ModelConfig, TrainConfig
from mltu_ext.model.recognizer import build_recognizer
from tests.benchmarks.scripts import load_script


def test_pack_unpack_round_trip(tmp_path):
    module = load_script("line_model/pack_weights.py")
    cfg = TrainConfig(
        model=ModelConfig(
            vocabulary="abc ", height=16, filters=(8, 12), strides=((2, 2), (2, 1)), lstm_units=(8,)
        ),
        augment=AugmentConfig(),
    )
    model_dir = tmp_path / "split"
    model_dir.mkdir()
    cfg.save(model_dir / "config.json")
    keras.utils.set_random_seed(3)
    build_recognizer(cfg.model, cfg.augment).save(model_dir / "best.keras")
    packed = tmp_path / "weights.npz"
    assert (
        module.run(module.get_args(["pack", str(model_dir), str(packed)]))["bytes"] == packed.stat().st_size
    )
    out = tmp_path / "init"
    module.run(module.get_args(["unpack", str(packed), str(out)]))

    assert json.loads((out / "config.json").read_text()) == json.loads(
        (model_dir / "config.json").read_text()
    )
    before = keras.saving.load_model(model_dir / "best.keras", compile=False)
    after = keras.saving.load_model(out / "best.keras", compile=False)
    image = np.random.default_rng(1).uniform(0, 255, (2, 16, 40, 1)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(after(image)), keras.ops.convert_to_numpy(before(image)), atol=0.02
    )
