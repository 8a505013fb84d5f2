"""What the DHSD recipes share: the job, the writer split, the epoch log, the scores."""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from mltu_ext.data.samples import Sample
from mltu_ext.evaluation.error_rates import cer, exact_match, wer

VAL_WRITERS = ("28", "29", "30")
LOG_FIELDS = ("elapsed_s", "epoch", "images_seen", "val_CER", "loss", "val_loss", "learning_rate")


@dataclass
class RecipeJob:
    """One recipe's run: where to write, its data and its wall-clock deadline.

    ``start`` is ``time.monotonic()`` when the worker process began (before
    any data was read), so image decoding counts against the budget.
    ``data`` is the DHSD folder the samples were read from.
    """

    name: str
    out_dir: Path
    train: list[Sample]
    val: list[Sample]
    start: float
    minutes: float
    seed: int = 42
    data: str = ""

    @property
    def deadline(self) -> float:
        return self.start + self.minutes * 60.0

    @property
    def log_path(self) -> Path:
        return self.out_dir / "epochs.csv"


def load_split(data_dir: str | Path, limit: int | None = None) -> tuple[list[Sample], list[Sample]]:
    """DHSD split by writer: 1-27 train, 28-30 validation (``limit`` keeps the first N of each)."""
    from mltu_ext.data import load_dataset, split_by_writer_ids

    dataset = load_dataset(str(data_dir))
    parts = split_by_writer_ids(dataset.samples, VAL_WRITERS)
    train, val = list(parts.train), list(parts.val)
    if limit:
        train, val = train[:limit], val[: max(limit // 4, 8)]
    return train, val


class BudgetLog(keras.callbacks.Callback):
    """Stop at the job's deadline; after each epoch append a row to ``epochs.csv``.

    The row holds seconds since the worker started, the epoch number, the
    training images consumed so far, val_CER, the losses and the learning
    rate. ``epoch_images`` is what one full epoch feeds (after dropping or
    keeping a partial last batch), so a stopped epoch counts only its steps.
    """

    def __init__(self, job: RecipeJob, batch_size: int, epoch_images: int):
        super().__init__()
        self.job = job
        self.batch_size = batch_size
        self.epoch_images = epoch_images
        self.images_seen = 0
        self.steps = 0
        self.rows: list[dict] = []
        job.out_dir.mkdir(parents=True, exist_ok=True)
        with job.log_path.open("w", newline="") as handle:
            csv.writer(handle).writerow(LOG_FIELDS)

    def on_epoch_begin(self, epoch, logs=None):
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.monotonic() > self.job.deadline:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.images_seen += min(self.steps * self.batch_size, self.epoch_images)
        lr = logs.get("learning_rate")
        if lr is None:
            lr = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        row = {
            "elapsed_s": round(time.monotonic() - self.job.start, 2),
            "epoch": epoch + 1,
            "images_seen": self.images_seen,
            "val_CER": _number(logs.get("val_CER")),
            "loss": _number(logs.get("loss")),
            "val_loss": _number(logs.get("val_loss")),
            "learning_rate": _number(lr),
        }
        self.rows.append(row)
        with self.job.log_path.open("a", newline="") as handle:
            csv.writer(handle).writerow([row[k] for k in LOG_FIELDS])
        if time.monotonic() > self.job.deadline:
            self.model.stop_training = True


def _number(value) -> float | None:
    return None if value is None else round(float(value), 6)


def predict_in_batches(model: keras.Model, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """Softmax outputs (N, T, C) of ``model`` for float32 images (N, H, W, C)."""
    outputs = [
        keras.ops.convert_to_numpy(model(images[i : i + batch_size], training=False))
        for i in range(0, len(images), batch_size)
    ]
    return np.concatenate(outputs)


def scores(predictions: Sequence[str], references: Sequence[str]) -> dict:
    """Corpus CER and WER and exact-match rate (mltu_ext.evaluation.error_rates)."""
    return {
        "cer": cer(predictions, references),
        "wer": wer(predictions, references),
        "exact_match": exact_match(predictions, references),
        "count": len(references),
    }


def summary(job: RecipeJob, log: BudgetLog, evaluation: dict, **extra) -> dict:
    """The result record a worker writes as ``result.json``."""
    val_cers = [r["val_CER"] for r in log.rows if r["val_CER"] is not None]
    train_seconds = log.rows[-1]["elapsed_s"] if log.rows else None
    return {
        "recipe": job.name,
        "minutes": job.minutes,
        "epochs": len(log.rows),
        "images_seen": log.images_seen,
        "elapsed_s": train_seconds,
        "images_per_s": log.images_seen / train_seconds if train_seconds else None,
        "best_val_cer": min(val_cers) if val_cers else None,
        "train_samples": len(job.train),
        "val_samples": len(job.val),
        **evaluation,
        **extra,
    }
