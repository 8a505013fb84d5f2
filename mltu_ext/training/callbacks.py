"""Keras callbacks: time limit, learning-rate logging, resume state, ONNX export, recompiling."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mltu_ext.training.starting_point import StartingPoint

import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from mltu_ext.config import RunConfig, TrainConfig
from mltu_ext.data.image_cache import ImageCache
from mltu_ext.data.vocabulary import Vocabulary
from mltu_ext.export.model_folder import can_export, export_best, export_int8
from mltu_ext.export.quantize import spread
from mltu_ext.io.atomic import write_text
from mltu_ext.io.text_files import open_text
from mltu_ext.parallel.multi_process import is_main_process, main_values, process_count, process_index
from mltu_ext.parallel.recompile import RecompileAfterFirstEpoch
from mltu_ext.training.average_weights import average_weight_callbacks
from mltu_ext.training.resume import BestCheckpoint, ResumeState
from mltu_ext.training.schedules import EpochCosineDecay, TimeCosineDecay
from mltu_ext.training.starting_point import StartingPoint


class TimeLimit(keras.callbacks.Callback):
    """Stop training once ``minutes`` of wall time have passed.

    Checked after every batch; with several training processes only at the
    end of each epoch, on worker 0's clock, so that all stop at the same step.
    """

    def __init__(self, minutes: float, already: float = 0.0):
        super().__init__()
        self.seconds = minutes * 60.0
        self.already = already  # seconds trained before this fit (a resumed run's)
        self.start = 0.0
        self.stopped_early = False
        self.shared = False

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Start the clock, ``already`` seconds in (a resumed run's time)."""
        self.start = time.monotonic() - self.already
        self.shared = process_count() > 1

    def _stop(self) -> None:
        self.model.stop_training = True
        self.stopped_early = True

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Stop when the time is up (one process only)."""
        if not self.shared and time.monotonic() - self.start > self.seconds:
            self._stop()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Stop when worker 0's time is up (several processes)."""
        if self.shared and main_values(time.monotonic() - self.start)[0] > self.seconds:
            self._stop()


class LearningRateLogger(keras.callbacks.Callback):
    """Put the optimiser's learning rate into the epoch logs (and so the CSV log)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Add ``learning_rate`` to the epoch's logs."""
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class ElapsedLogger(keras.callbacks.Callback):
    """Put the wall time since training began (``elapsed_s``) and the clock (``wall_time``,
    seconds since 1970) into the epoch logs.

    With them, ``log.csv`` says when a model first reached a given validation
    CER, which is how recipes of equal time budgets are compared, also across
    the phases of one command.
    """

    def __init__(self, already: float = 0.0):
        super().__init__()
        self.already = already  # seconds trained before this fit (a resumed run's)
        self.start = 0.0

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Start the clock, ``already`` seconds in (a resumed run's time)."""
        self.start = time.monotonic() - self.already

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Add ``elapsed_s`` and ``wall_time`` to the epoch's logs."""
        if logs is not None:
            logs["elapsed_s"] = round(time.monotonic() - self.start, 2)
            logs["wall_time"] = round(time.time(), 2)


class ExportOnTrainEnd(keras.callbacks.Callback):
    """Call ``export`` (e.g. ONNX export of the best checkpoint) when training ends."""

    def __init__(self, export: Callable[[keras.Model], object]):
        super().__init__()
        self.export = export
        self.result: object = None

    def on_train_end(self, logs: dict | None = None) -> None:
        """Export the model and keep what the export returned in ``result``."""
        self.result = self.export(self.model)


class EpochLog(keras.callbacks.Callback):
    """``log.csv``: one row per epoch (epoch, then the logs' keys sorted), as Keras' CSVLogger
    writes it, but the whole file is written anew and renamed into place each epoch, so a
    process killed mid-write leaves the previous rows intact. ``append`` keeps earlier rows."""

    def __init__(self, path: str | Path, append: bool = False):
        super().__init__()
        self.path = Path(path)
        self.append = append
        self.rows: list[dict[str, str]] = []
        self.keys: list[str] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Start the rows afresh, or from the file's rows with ``append``."""
        self.rows, self.keys = [], []
        if self.append and self.path.is_file():
            with open_text(self.path) as handle:
                reader = csv.DictReader(handle)
                self.keys = [k for k in (reader.fieldnames or []) if k != "epoch"]
                self.rows = list(reader)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Add the epoch's row and write the whole file anew."""
        logs = logs or {}
        self.keys = self.keys or sorted(logs)
        row = {"epoch": str(epoch)}
        for key in self.keys:
            value = logs.get(key, "")
            row[key] = str(float(value)) if isinstance(value, int | float) else str(value)
        self.rows.append(row)
        out = io.StringIO(newline="")
        writer = csv.DictWriter(
            out, fieldnames=["epoch", *self.keys], extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(self.rows)
        write_text(self.path, out.getvalue())


def build_callbacks(
    cfg: TrainConfig,
    run: RunConfig,
    model_dir: Path,
    start: StartingPoint,
    vocabulary: Vocabulary,
    val_cache: ImageCache,
    train_cache: ImageCache | None = None,
) -> list[keras.callbacks.Callback]:
    """Checkpoints, logs, schedule, stopping rules and the export at the end, as ``cfg`` and ``run`` say."""
    # with several processes (--processes) every one runs the same callbacks
    # (saving a model creates variables, which must happen in all of them), but
    # only worker 0 writes into the model folder; the others write their copies
    # into workers/rank<i>
    main = is_main_process()
    out_dir = model_dir if main else model_dir / "workers" / f"rank{process_index()}"
    out_dir.mkdir(parents=True, exist_ok=True)
    best = BestCheckpoint(out_dir / "best.keras", best=start.best)
    callbacks: list[keras.callbacks.Callback] = [
        LearningRateLogger(),
        ElapsedLogger(start.elapsed_s),
        best,
        ResumeState(out_dir, best),
        keras.callbacks.EarlyStopping(
            monitor="val_CER", mode="min", patience=cfg.early_stopping_patience, verbose=1
        ),
        EpochLog(out_dir / "log.csv", append=start.resume),
        schedule_callback(cfg, start.elapsed_s),
    ]
    if cfg.max_minutes:
        callbacks.append(TimeLimit(cfg.max_minutes, start.elapsed_s))
    if run.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(out_dir / "tensorboard")))
    if process_count() > 1:  # several processes: JAX only
        # the processes' first compile of the step launches it slower (RecompileAfterFirstEpoch)
        callbacks.append(RecompileAfterFirstEpoch())
    if main and run.export:
        exporter = _exporter(cfg, run, model_dir, val_cache, train_cache)
        if exporter is not None:
            callbacks.append(exporter)
    if cfg.ema_momentum:
        # the averages are in the model from validation to the end of the epoch's callbacks
        first, last = average_weight_callbacks()
        callbacks = [first, *callbacks, last]
    return callbacks


def schedule_callback(cfg: TrainConfig, already: float = 0.0) -> keras.callbacks.Callback:
    """The callback that moves the learning rate as ``cfg.schedule`` says (``already``: seconds trained
    before, by a resumed run; the epoch schedules go on from its epoch count, the optimiser's rate from
    its checkpoint)."""
    if cfg.schedule == "time_cosine":
        return TimeCosineDecay(cfg.learning_rate, cfg.max_minutes, already=already)
    if cfg.schedule == "cosine":
        return EpochCosineDecay(cfg.learning_rate, cfg.epochs)
    return keras.callbacks.ReduceLROnPlateau(
        monitor="val_CER",
        mode="min",
        factor=cfg.lr_factor,
        patience=cfg.lr_patience,
        min_lr=cfg.min_learning_rate,
        verbose=1,
    )


def _exporter(
    cfg: TrainConfig,
    run: RunConfig,
    model_dir: Path,
    val_cache: ImageCache,
    train_cache: ImageCache | None,
) -> ExportOnTrainEnd | None:
    if not can_export():
        print(
            "note: TensorFlow or tf2onnx is not installed: no ONNX export now; run "
            "mltu_ext.export.model_folder.export_best(cfg, model_dir) where they are"
        )
        return None
    # a few real validation images make the export check meaningful
    check = val_cache.images[:8].astype(np.float32)[..., None]
    if cfg.model.channels == 3:
        check = np.repeat(check, 3, axis=-1)

    def export_all(_model) -> Path:
        int8 = run.int8_export and train_cache is not None
        path = export_best(cfg, model_dir, check, int8_follows=int8)
        if int8:
            export_int8(path, spread(train_cache.images), spread(val_cache.images), spread(val_cache.texts))
        return path

    return ExportOnTrainEnd(export_all)
