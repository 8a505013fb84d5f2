"""--accumulate N: the weights change once every N batches, by the mean of their gradients."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from mltu_ext.cli.train import get_args
from mltu_ext.cli.train_options import config_from_args
from mltu_ext.config import AugmentConfig, ModelConfig, TrainConfig
from mltu_ext.training.compile import make_optimizer


def _dense_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1, use_bias=False)(inputs))
    return model


def _train(accumulate: int, batches: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    cfg = TrainConfig(model=ModelConfig(), augment=AugmentConfig(), learning_rate=0.1, accumulate=accumulate)
    optimizer = make_optimizer(cfg)
    optimizer.clipnorm = None  # the clipping would hide the gradient sizes compared here
    model = _dense_model()
    model.compile(optimizer=optimizer, loss="mse")
    kernels = [model.get_weights()[0].copy()]
    for x, y in batches:
        model.train_on_batch(x, y)
        kernels.append(model.get_weights()[0].copy())
    return kernels


def test_weights_change_every_second_batch_with_accumulate_2():
    rng = np.random.default_rng(1)
    batches = [
        (rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 1)).astype("float32"))
        for _ in range(4)
    ]
    kernels = _train(2, batches)
    assert np.array_equal(kernels[1], kernels[0])  # first batch: gradients kept, no update
    assert not np.allclose(kernels[2], kernels[1])  # second batch: one update
    assert np.array_equal(kernels[3], kernels[2])
    assert not np.allclose(kernels[4], kernels[3])
    every_batch = _train(1, batches)
    assert not np.allclose(every_batch[1], every_batch[0])


def test_accumulated_step_equals_one_step_on_the_joined_batch():
    """Two batches of 4 accumulated give the Adam step of their mean gradient: one batch of 8."""
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    accumulated = _train(2, [(x[:4], y[:4]), (x[4:], y[4:])])[-1]
    joined = _train(1, [(x, y)])[-1]
    np.testing.assert_allclose(accumulated, joined, atol=1e-5)


def test_accumulate_flag_sets_the_recipe_field():
    cfg = config_from_args(get_args(["--recipe", "lines", "--accumulate", "4"]))
    assert cfg.accumulate == 4
    assert config_from_args(get_args([])).accumulate == 1


@pytest.mark.slow
def test_a_run_shorter_than_one_accumulation_says_it_changed_nothing(word_dataset, tmp_path, capsys):
    from mltu_ext.data import load_dataset, split_samples
    from mltu_ext.training.trainer import train
    from tests.conftest import tiny_config, tiny_run

    parts = split_samples(load_dataset(str(word_dataset)).samples, val_fraction=0.25, seed=0)
    cfg = tiny_config(epochs=1)
    cfg.accumulate = 500  # more batches than the epoch has
    train(cfg, parts.train, parts.val, tiny_run(tmp_path / "m", export=False))
    err = capsys.readouterr().err
    assert "--accumulate 500: the weights change once every 500 batches" in err
    assert "fewer than --accumulate 500: the weights were never changed" in err
