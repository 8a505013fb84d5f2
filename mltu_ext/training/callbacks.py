"""Keras callbacks: time limit, learning-rate logging, resume state, ONNX export, recompiling."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import keras

from mltu_ext.parallel.multi_process import is_main_process, main_values, process_count


class TimeLimit(keras.callbacks.Callback):
    """Stop training once ``minutes`` of wall time have passed.

    Checked after every batch; with several training processes only at the
    end of each epoch, on worker 0's clock, so that all stop at the same step.
    """

    def __init__(self, minutes: float):
        super().__init__()
        self.seconds = minutes * 60.0
        self.start = 0.0
        self.stopped_early = False
        self.shared = False

    def on_train_begin(self, logs=None):
        self.start = time.monotonic()
        self.shared = process_count() > 1

    def _stop(self) -> None:
        self.model.stop_training = True
        self.stopped_early = True

    def on_train_batch_end(self, batch, logs=None):
        if not self.shared and time.monotonic() - self.start > self.seconds:
            self._stop()

    def on_epoch_end(self, epoch, logs=None):
        if self.shared and main_values(time.monotonic() - self.start)[0] > self.seconds:
            self._stop()


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

    def __init__(self, base_lr: float, minutes: float, warmup: float = 0.03, floor: float = 0.02):
        super().__init__()
        self.base_lr = base_lr
        self.seconds = minutes * 60.0
        self.warmup = warmup
        self.floor = floor
        self.start = 0.0
        self.shared = False
        self._epoch = (0.0, 0.0, 0.0)  # shared mode: (elapsed at epoch start, s/batch, local start)
        self._latest = (0, 0.0)  # shared mode: (batch, local time) of the latest batch begun

    def on_train_begin(self, logs=None):
        self.start = time.monotonic()
        self.shared = process_count() > 1

    def rate(self, elapsed: float) -> float:
        """The learning rate after ``elapsed`` seconds."""
        return cosine_rate(elapsed / self.seconds, self.base_lr, self.warmup, self.floor)

    def on_epoch_begin(self, epoch, logs=None):
        if self.shared:
            self._epoch = (*main_values(time.monotonic() - self.start, self._epoch[1]), time.monotonic())

    def on_epoch_end(self, epoch, logs=None):
        batch, now = self._latest
        if self.shared and batch:
            # training batches only: validation ran after the latest batch began
            self._epoch = (self._epoch[0], (now - self._epoch[2]) / batch, self._epoch[2])

    def on_train_batch_begin(self, batch, logs=None):
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

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        steps = (self.params or {}).get("steps") or 1
        progress = (self.epoch + batch / steps) / self.epochs
        self.model.optimizer.learning_rate = cosine_rate(progress, self.base_lr, self.warmup, self.floor)


class LearningRateLogger(keras.callbacks.Callback):
    """Put the optimiser's learning rate into the epoch logs (and so the CSV log)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class RecompileAfterFirstEpoch(keras.callbacks.Callback):
    """Under JAX, drop the compiled functions after the first epoch, so fit() compiles them again.

    With several training processes (one GPU each) the first model built in
    the processes trained about 5 % slower than a second one built later:
    the thread that launches the step ran all its code slower, and with two
    processes the step waits on that thread. Compiling the same step a second
    time in the same processes gives the second model's speed: 1.85x one GPU
    instead of 1.73-1.77x on two H200s (``benchmarks/gpu_training_results.md``,
    runs 22-36). The second compile is the cheaper one (kernel choices are
    cached in memory); run 35 spent about 20 s more before the timed epochs.
    All of JAX's compiled functions go, so the validation step is compiled
    again too. The first epoch of each ``fit`` call triggers it (a resumed
    run too); other backends: nothing happens.
    """

    def __init__(self):
        super().__init__()
        self._pending = False

    def on_train_begin(self, logs=None):
        self._pending = keras.backend.backend() == "jax"

    def on_epoch_end(self, epoch, logs=None):
        if self._pending:
            self._pending = False
            import jax

            jax.clear_caches()  # the next call traces and compiles the step afresh
            if is_main_process():
                print("compiling the training step again (several processes launch a recompiled step faster)")


class ResumeState(keras.callbacks.Callback):
    """Save the whole model (with optimiser state) and the epoch count after every epoch.

    ``last.keras`` + ``state.json`` in the model folder are what ``--resume`` reads.
    """

    def __init__(self, model_dir: str | Path):
        super().__init__()
        self.model_dir = Path(model_dir)

    def on_epoch_end(self, epoch, logs=None):
        tmp = self.model_dir / "last.tmp.keras"
        self.model.save(tmp)
        tmp.replace(self.model_dir / "last.keras")
        best = {k: float(v) for k, v in (logs or {}).items() if isinstance(v, int | float)}
        state = {"epochs_done": epoch + 1, "logs": best}
        (self.model_dir / "state.json").write_text(json.dumps(state, indent=2) + "\n")


def read_resume_state(model_dir: str | Path) -> int:
    """Epochs already trained in ``model_dir`` (0 when it has no state)."""
    path = Path(model_dir) / "state.json"
    if not path.is_file():
        return 0
    return int(json.loads(path.read_text())["epochs_done"])


class ExportOnTrainEnd(keras.callbacks.Callback):
    """Call ``export`` (e.g. ONNX export of the best checkpoint) when training ends."""

    def __init__(self, export: Callable[[keras.Model], object]):
        super().__init__()
        self.export = export
        self.result: object = None

    def on_train_end(self, logs=None):
        self.result = self.export(self.model)
