"""Learning-rate schedules: a cosine over a wall-clock budget or over the epochs, after a linear warm-up."""

from __future__ import annotations

import math
import time

import keras

from mltu_ext.parallel.multi_process import main_values, process_count


def cosine_rate(progress: float, base_lr: float, warmup: float = 0.03, floor: float = 0.02) -> float:
    """Learning rate at ``progress`` (0..1) of a schedule: linear warm-up, then cosine to ``floor * base_lr``.

    >>> cosine_rate(1.0, 0.1) == 0.1 * 0.02
    True
    """
    progress = min(max(progress, 0.0), 1.0)
    if progress < warmup:
        return base_lr * max(progress / warmup, 0.05)
    cosine = 0.5 * (1.0 + math.cos(math.pi * (progress - warmup) / (1.0 - warmup)))
    return base_lr * (floor + (1.0 - floor) * cosine)


class TimeCosineDecay(keras.callbacks.Callback):
    """Learning rate on a cosine over a wall-clock budget, after a short linear warm-up.

    With a time limit, training may see only a few epochs; annealing by elapsed
    time (rather than by epoch or plateau) still ends at a small learning rate.
    With several training processes every one must use the same rate: each
    epoch starts from worker 0's elapsed time and seconds per batch (of the
    epoch before; in the first epoch, of its first SYNC_BATCH or so batches), and
    the rate of batch i follows from those alone.
    """

    SYNC_BATCH = 8

    def __init__(
        self, base_lr: float, minutes: float, warmup: float = 0.03, floor: float = 0.02, already: float = 0.0
    ):
        super().__init__()
        self.base_lr = base_lr
        self.seconds = minutes * 60.0
        self.warmup = warmup
        self.floor = floor
        self.already = already  # seconds of the budget used before this fit (a resumed run's)
        self.start = 0.0
        self.shared = False
        self._epoch = (0.0, 0.0, 0.0)  # shared mode: (elapsed at epoch start, s/batch, local start)
        self._latest = (0, 0.0)  # shared mode: (batch, local time) of the latest batch begun

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Start the clock, ``already`` seconds into the budget (a resumed run's time)."""
        self.start = time.monotonic() - self.already
        self.shared = process_count() > 1

    def rate(self, elapsed: float) -> float:
        """The learning rate after ``elapsed`` seconds."""
        return cosine_rate(elapsed / self.seconds, self.base_lr, self.warmup, self.floor)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Several processes: take worker 0's elapsed time as the epoch's start."""
        if self.shared:
            self._epoch = (*main_values(time.monotonic() - self.start, self._epoch[1]), time.monotonic())

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Several processes: keep this epoch's time per training batch for the next epoch's clock."""
        batch, now = self._latest
        if self.shared and batch:
            # training batches only: validation ran after the latest batch began
            self._epoch = (self._epoch[0], (now - self._epoch[2]) / batch, self._epoch[2])

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Set the learning rate for the time elapsed (several processes: worker 0's pace)."""
        self._latest = (batch, time.monotonic())
        # the first batch at or past SYNC_BATCH (with --steps-per-call batches come in groups)
        if self.shared and batch >= self.SYNC_BATCH and not self._epoch[1]:
            pace = (time.monotonic() - self._epoch[2]) / batch
            self._epoch = (self._epoch[0], main_values(pace)[0], self._epoch[2])
        if self.shared:
            elapsed = self._epoch[0] + batch * self._epoch[1]
        else:
            elapsed = time.monotonic() - self.start
        self.model.optimizer.learning_rate = self.rate(elapsed)


class EpochCosineDecay(keras.callbacks.Callback):
    """The same cosine schedule over a fixed number of epochs, updated every batch."""

    def __init__(self, base_lr: float, epochs: int, warmup: float = 0.03, floor: float = 0.02):
        super().__init__()
        self.base_lr = base_lr
        self.epochs = epochs
        self.warmup = warmup
        self.floor = floor
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Note the epoch."""
        self.epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Set the learning rate for the share of all epochs done."""
        steps = (self.params or {}).get("steps") or 1
        progress = (self.epoch + batch / steps) / self.epochs
        self.model.optimizer.learning_rate = cosine_rate(progress, self.base_lr, self.warmup, self.floor)
