"""The moving average of the weights: what validation and checkpoints see, and what training goes on from."""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from mltu_ext.config import TrainConfig
from mltu_ext.errors import ConfigError
from mltu_ext.training.average_weights import average_weight_callbacks, averaging_steps

MOMENTUM = 0.8
LR = 0.1


class Recorder(keras.callbacks.Callback):
    """The one weight after every step, and at the end of each epoch (where checkpoints save)."""

    def __init__(self):
        super().__init__()
        self.steps: list[float] = []
        self.epoch_ends: list[float] = []

    def _weight(self) -> float:
        return float(keras.ops.convert_to_numpy(self.model.trainable_variables[0]).ravel()[0])

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append(self._weight())

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_ends.append(self._weight())


def _fit(use_ema: bool, epochs: int = 3, batch_size: int = 8):
    # y = w x with w from 0 towards 2: plain SGD, so every step moves w by a known rule
    x = np.linspace(-1.0, 1.0, 32, dtype="float32").reshape(-1, 1)
    y = 2.0 * x
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(optimizer=keras.optimizers.SGD(LR, use_ema=use_ema, ema_momentum=MOMENTUM), loss="mse")
    recorder = Recorder()
    callbacks = [recorder]
    if use_ema:
        first, last = average_weight_callbacks()
        callbacks = [first, recorder, last]
    # a stop from a callback at the end of epoch 2 (as the time limit does)
    stopper = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", epoch == epochs - 2)
    )
    history = model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=epochs,
        shuffle=False,
        validation_data=(x, y),
        callbacks=[*callbacks, stopper],
        verbose=0,
    )
    return model, recorder, history


def _average(steps: list[float], steps_per_epoch: int) -> list[float]:
    # Keras: the first step's average is the weight itself, then m*avg + (1-m)*w; and at the
    # second epoch's start, and at any epoch's start before step 1 / (1 - m) = 5, the average
    # restarts from the weight
    out, average = [], steps[0]
    for index, weight in enumerate(steps):
        if index % steps_per_epoch == 0 and (index == steps_per_epoch or 0 < index < 5):
            average = steps[index - 1]
        average = weight if index == 0 else MOMENTUM * average + (1 - MOMENTUM) * weight
        out.append(average)
    return out


def test_averaging_steps_is_the_memory_of_the_average():
    assert averaging_steps(0.8) == 5
    assert averaging_steps(0.999) == 1000
    assert averaging_steps(0.9) == 10


@pytest.mark.parametrize("batch_size", [8, 4])
def test_training_goes_on_from_the_training_weights_and_checkpoints_see_the_averages(batch_size):
    _, plain, _ = _fit(use_ema=False, batch_size=batch_size)
    model, averaged, history = _fit(use_ema=True, batch_size=batch_size)
    # the same steps: the averages never leaked into training
    np.testing.assert_allclose(averaged.steps, plain.steps, rtol=1e-5)
    steps_per_epoch = 32 // batch_size
    expected = _average(plain.steps, steps_per_epoch)
    # epoch 2 started (at step 4 < 5, or at step 8 as the second epoch) from the training
    # weight, not from the epoch-1 average
    first = steps_per_epoch
    assert expected[first] == pytest.approx(
        MOMENTUM * plain.steps[first - 1] + (1 - MOMENTUM) * plain.steps[first]
    )
    ends = [expected[(epoch + 1) * steps_per_epoch - 1] for epoch in range(2)]
    # stopped after 2 epochs; what a checkpoint saved at each epoch end is the average, not the weight
    np.testing.assert_allclose(averaged.epoch_ends, ends, rtol=1e-5)
    assert abs(ends[-1] - plain.steps[2 * steps_per_epoch - 1]) > 0.01
    # validation read the averages: its loss is that of the averaged weight
    x = np.linspace(-1.0, 1.0, 32)
    np.testing.assert_allclose(
        history.history["val_loss"][-1], np.mean(((ends[-1] - 2.0) * x) ** 2), rtol=1e-4
    )
    # after a stop by a callback the model ends holding the averages
    final = float(keras.ops.convert_to_numpy(model.trainable_variables[0]).ravel()[0])
    assert final == pytest.approx(ends[-1], rel=1e-5)


@pytest.mark.parametrize("value", [-0.1, 1.0])
def test_a_momentum_outside_zero_to_one_is_refused(value):
    with pytest.raises(ConfigError, match="ema_momentum"):
        TrainConfig(ema_momentum=value).validate()


@pytest.mark.jax
def test_the_same_under_jax():
    # JAX donates the step's buffers: a restarted average that shared its weight's buffer failed there
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k", "not under_jax"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 passed" in done.stdout
