"""Schedules and stopping rules of the training callbacks."""

import itertools

import keras
import numpy as np
import pytest

from mltu_ext.callbacks import EpochCosineDecay, TimeCosineDecay, cosine_rate, read_resume_state
from mltu_ext.config import ConfigError, TrainConfig


def test_time_cosine_warms_up_peaks_and_ends_at_the_floor():
    decay = TimeCosineDecay(base_lr=1e-3, minutes=10, warmup=0.1, floor=0.02)
    assert decay.rate(0.0) == pytest.approx(0.05e-3)  # first step is not zero
    assert decay.rate(30.0) == pytest.approx(0.5e-3)  # half way through the warm-up
    assert decay.rate(60.0) == pytest.approx(1e-3)
    assert decay.rate(330.0) == pytest.approx(1e-3 * (0.02 + 0.98 * 0.5))  # cosine midpoint
    assert decay.rate(600.0) == pytest.approx(0.02e-3)
    assert decay.rate(9999.0) == pytest.approx(0.02e-3)
    rates = [decay.rate(t) for t in range(60, 600, 30)]
    assert all(a >= b for a, b in itertools.pairwise(rates))


def test_time_cosine_needs_a_time_budget():
    cfg = TrainConfig(lr_schedule="time_cosine")
    cfg.model.vocabulary = "ab"
    with pytest.raises(ConfigError, match="needs max_minutes"):
        cfg.validate()
    cfg.max_minutes = 5
    cfg.validate()


def test_epoch_cosine_follows_the_batches_of_a_real_fit():
    """4 epochs of 5 batches: the rate seen by each batch is the schedule at its progress."""
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1.0), loss="mse")
    x = np.zeros((20, 3), "float32")
    # Record comes after the schedule, so it sees the rate this batch trains with
    model.fit(
        x,
        x[:, :1],
        batch_size=4,
        epochs=4,
        verbose=0,
        callbacks=[EpochCosineDecay(1e-2, epochs=4, warmup=0.1), Record()],
    )
    assert len(seen) == 20
    expected = [cosine_rate(i / 20, 1e-2, warmup=0.1) for i in range(20)]
    assert seen == pytest.approx(expected, rel=1e-5)
    assert max(seen) == pytest.approx(cosine_rate(0.1, 1e-2, warmup=0.1), rel=1e-5)
    assert seen[-1] < 0.05 * max(seen)


def test_resume_state_of_an_empty_folder_is_zero(tmp_path):
    assert read_resume_state(tmp_path) == 0
