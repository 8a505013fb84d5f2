"""A tiny model trained a few epochs: its model folder, resuming, fine-tuning from it."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from mltu_ext.config import TrainConfig
from mltu_ext.data.vocabulary import Vocabulary
from mltu_ext.errors import TrainingError
from tests.conftest import tiny_run

# every test here uses the trained_model fixture: a tiny model trained and exported
pytestmark = pytest.mark.slow


def test_training_writes_the_model_folder(trained_model):
    result, train_samples, val_samples = trained_model
    folder = result.model_dir
    for name in ("config.json", "best.keras", "last.keras", "log.csv", "model.onnx", "state.json"):
        assert (folder / name).is_file(), name
    cfg = TrainConfig.load(folder / "config.json")
    assert cfg.model.vocabulary == Vocabulary.from_texts(s.text for s in train_samples + val_samples).chars
    log = (folder / "log.csv").read_text().splitlines()
    assert len(log) == 1 + result.epochs
    assert "val_CER" in log[0] and "learning_rate" in log[0]


def test_training_learns(trained_model):
    result, _, _ = trained_model
    losses = result.history["loss"]
    assert losses[-1] < losses[0]


def test_keras_round_trip(trained_model, tmp_path):
    result, _, _ = trained_model
    model = keras.saving.load_model(result.model_dir / "best.keras", compile=False)
    path = tmp_path / "copy.keras"
    model.save(path)
    again = keras.saving.load_model(path, compile=False)
    batch = np.random.default_rng(0).uniform(0, 255, (2, 32, 48, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(again(batch)), np.asarray(model(batch)), atol=1e-6)
    # the config alone rebuilds the same architecture
    from mltu_ext.model.recognizer import build_recognizer

    cfg = TrainConfig.load(result.model_dir / "config.json")
    rebuilt = build_recognizer(cfg.model)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(rebuilt(batch)), np.asarray(model(batch)), atol=1e-6)


def test_resume_continues_epoch_count(trained_model, tmp_path):
    import shutil

    from mltu_ext.training.trainer import train

    result, train_samples, val = trained_model
    folder = tmp_path / "resumed"
    shutil.copytree(result.model_dir, folder)
    cfg = TrainConfig.load(folder / "config.json")
    cfg.epochs = result.epochs + 1
    again = train(cfg, train_samples, val, tiny_run(folder, export=False), resume=True)
    assert again.epochs == result.epochs + 1
    rows = (folder / "log.csv").read_text().splitlines()
    assert len(rows) == 1 + result.epochs + 1  # appended, header once

    # other data or another recipe would be compared with the best CER of this run's samples
    from mltu_ext.errors import TrainingError

    other = TrainConfig.load(folder / "config.json")
    other.dataset, other.max_width = "elsewhere/labels.csv", other.max_width * 2
    with pytest.raises(TrainingError, match=r"resumed: --resume continues that run.*dataset .*max_width"):
        train(other, train_samples, val, tiny_run(folder, export=False), resume=True)


def test_init_from_grows_vocabulary_and_keeps_old_weights(trained_model, tmp_path):
    """Fine-tuning: old characters keep their output weights, new ones get fresh ones."""
    import cv2

    from mltu_ext.data.samples import Sample
    from mltu_ext.training.trainer import train
    from tests.conftest import draw_word, tiny_config, tiny_run

    result, train_samples, val_samples = trained_model
    old_cfg = TrainConfig.load(result.model_dir / "config.json")
    new_word = tmp_path / "zebra.png"
    cv2.imwrite(str(new_word), draw_word("zebra"))
    extra = [Sample(text="zebra", path=str(new_word))]
    cfg = tiny_config(epochs=1)
    cfg.learning_rate = 1e-9  # barely move, so the copied weights stay recognisable
    tuned = train(
        cfg,
        train_samples[:16] + extra,
        val_samples[:8],
        tiny_run(tmp_path / "tuned", export=False),
        init_from=result.model_dir,
        freeze_cnn=True,
    )
    new_cfg = TrainConfig.load(tuned.model_dir / "config.json")
    assert new_cfg.model.vocabulary.startswith(old_cfg.model.vocabulary)
    started = json.loads((tuned.model_dir / "run.json").read_text(encoding="utf-8"))["started_from"]
    assert started == str(result.model_dir)  # where its weights came from, in its own folder
    assert "z" in new_cfg.model.vocabulary and "z" not in old_cfg.model.vocabulary
    old = keras.saving.load_model(result.model_dir / "best.keras", compile=False)
    new = keras.saving.load_model(tuned.model_dir / "last.keras", compile=False)
    old_k = old.get_layer("output").get_weights()[0]
    new_k = new.get_layer("output").get_weights()[0]
    n_old = len(old_cfg.model.vocabulary)
    np.testing.assert_allclose(new_k[:, :n_old], old_k[:, :n_old], atol=1e-5)
    np.testing.assert_allclose(new_k[:, -1], old_k[:, -1], atol=1e-5)  # blank
    # frozen CNN: convolution weights are exactly the old ones
    np.testing.assert_array_equal(
        new.get_layer("res0_conv1").get_weights()[0], old.get_layer("res0_conv1").get_weights()[0]
    )


def test_init_from_takes_the_sizes_of_the_source_and_the_dropout_of_the_run(trained_model, tmp_path):
    from mltu_ext.training.starting_point import starting_point
    from tests.conftest import tiny_config

    result, train_samples, _ = trained_model
    source = TrainConfig.load(result.model_dir / "config.json")
    cfg = tiny_config(epochs=1)
    cfg.model.filters = tuple(f * 2 for f in source.model.filters)  # must give way to the source's
    cfg.model.dropout = source.model.dropout + 0.2
    start = starting_point(
        cfg, tmp_path / "run", [s.text for s in train_samples], resume=False, init_from=result.model_dir
    )
    assert start.source_model is not None
    assert cfg.model.filters == source.model.filters
    assert cfg.model.lstm_units == source.model.lstm_units
    assert cfg.model.dropout == pytest.approx(source.model.dropout + 0.2)


def test_init_from_a_folder_with_packed_weights_only(trained_model, tmp_path):
    """A shipped folder holds config.json and weights.npz (no best.keras): fine-tuning starts from them."""
    import shutil

    from mltu_ext.model.packed_weights import pack_model_dir
    from mltu_ext.training.starting_point import starting_point
    from tests.conftest import tiny_config

    result, train_samples, _ = trained_model
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    shutil.copy(result.model_dir / "config.json", shipped / "config.json")
    pack_model_dir(result.model_dir, shipped / "weights.npz")
    start = starting_point(
        tiny_config(epochs=1),
        tmp_path / "run",
        [s.text for s in train_samples],
        resume=False,
        init_from=shipped,
    )
    source = keras.saving.load_model(result.model_dir / "best.keras", compile=False)
    batch = np.random.default_rng(0).uniform(0, 255, (2, 32, 48, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(start.source_model(batch)), np.asarray(source(batch)), atol=0.02)
    (shipped / "weights.npz").unlink()
    with pytest.raises(TrainingError, match=r"shipped: no best\.keras or weights\.npz"):
        starting_point(tiny_config(), tmp_path / "run", ["ab"], resume=False, init_from=shipped)
    with pytest.raises(TrainingError, match=r"shiped: no such model folder"):
        starting_point(tiny_config(), tmp_path / "run", ["ab"], resume=False, init_from=tmp_path / "shiped")
