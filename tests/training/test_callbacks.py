"""Schedules and stopping rules of the training callbacks."""

import itertools

import keras
import numpy as np
import pytest

from mltu_ext.config import TrainConfig
from mltu_ext.errors import ConfigError
from mltu_ext.training.resume import read_resume_state
from mltu_ext.training.schedules import EpochCosineDecay, TimeCosineDecay, cosine_rate


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
    state = read_resume_state(tmp_path)
    assert state.epochs_done == 0 and state.best == float("inf")


class _FakeOptimizer:
    learning_rate = 0.0


class _FakeModel:
    def __init__(self):
        self.optimizer = _FakeOptimizer()
        self.stop_training = False


@pytest.fixture
def two_workers(monkeypatch):
    """The callbacks as worker 1 of 2 sees them: main_values returns worker 0's values, and
    this worker's clock reads ``clock["now"]``."""
    import time

    from mltu_ext.training import callbacks, schedules

    sent = []
    worker0 = {"values": None}
    clock = {"now": 0.0}

    def main_values(*values):
        sent.append(values)
        return worker0["values"] or values

    for module in (callbacks, schedules):  # TimeLimit and TimeCosineDecay
        monkeypatch.setattr(module, "process_count", lambda: 2)
        monkeypatch.setattr(module, "main_values", main_values)
    monkeypatch.setattr(time, "monotonic", lambda: clock["now"])
    return sent, worker0, clock


def _first_epoch_decay(worker0: dict) -> TimeCosineDecay:
    """A time-cosine schedule past the start of its first epoch, worker 0 with no time passed yet."""
    decay = TimeCosineDecay(base_lr=1e-3, minutes=10, warmup=0.1)
    decay.set_model(_FakeModel())
    decay.on_train_begin()
    worker0["values"] = (0.0, 0.0)  # worker 0: no time passed yet, pace unknown
    decay.on_epoch_begin(0)
    return decay


def test_time_cosine_with_several_processes_follows_worker_0s_clock(two_workers):
    sent, worker0, clock = two_workers
    decay = _first_epoch_decay(worker0)
    rates = []
    for batch in range(12):
        clock["now"] += 5.0  # this worker's own clock: 5 s a batch
        if batch == TimeCosineDecay.SYNC_BATCH:
            worker0["values"] = (2.0,)  # worker 0 measured 2 s a batch
        decay.on_train_batch_begin(batch)
        rates.append(decay.model.optimizer.learning_rate)
    # before the sync batch the pace is unknown (rate of t=0); from then on
    # batch i trains at worker 0's pace, whatever this worker's clock says
    assert rates[:8] == [decay.rate(0.0)] * 8
    assert rates[8:] == pytest.approx([decay.rate(2.0 * i) for i in range(8, 12)])
    assert [len(v) for v in sent] == [2, 1]  # one exchange at the epoch start, one at the sync batch
    worker0["values"] = (70.0, 3.0)
    decay.on_epoch_end(0)
    decay.on_epoch_begin(1)
    decay.on_train_batch_begin(4)
    assert decay.model.optimizer.learning_rate == pytest.approx(decay.rate(70.0 + 4 * 3.0))


def test_time_limit_with_several_processes_stops_together_at_an_epoch_end(two_workers):
    from mltu_ext.training.callbacks import TimeLimit

    _, worker0, clock = two_workers
    limit = TimeLimit(minutes=1)
    limit.set_model(_FakeModel())
    limit.on_train_begin()
    clock["now"] = 120.0  # this worker is past the limit ...
    limit.on_train_batch_end(0)
    assert not limit.model.stop_training  # ... but never stops alone in mid-epoch
    worker0["values"] = (30.0,)  # worker 0 is not past it
    limit.on_epoch_end(0)
    assert not limit.model.stop_training
    worker0["values"] = (61.0,)
    limit.on_epoch_end(1)
    assert limit.model.stop_training and limit.stopped_early


def test_time_cosine_with_several_processes_syncs_once_when_batches_come_in_groups(two_workers):
    sent, worker0, clock = two_workers
    decay = _first_epoch_decay(worker0)
    for batch in range(0, 30, 3):  # groups of 3: batch 8 never begins a group
        clock["now"] += 3.0
        if batch >= TimeCosineDecay.SYNC_BATCH:
            worker0["values"] = (1.5,)
        decay.on_train_batch_begin(batch)
    assert [len(v) for v in sent] == [2, 1]  # the pace was exchanged once, at batch 9
    assert decay.model.optimizer.learning_rate == pytest.approx(decay.rate(27 * 1.5))
