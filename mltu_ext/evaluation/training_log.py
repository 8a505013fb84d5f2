"""Read a training log (log.csv: the package's EpochLog or Keras' CSVLogger) and say how training went."""

from __future__ import annotations

import csv
import math
import os

from mltu_ext.errors import InputFileError
from mltu_ext.io.text_files import open_text

# Older Keras wrote the learning rate as "lr".
_ALIASES = {"lr": "learning_rate"}


def read_training_log(path: str) -> dict[str, list[float]]:
    """Columns of a CSVLogger file as float lists; cells that are not numbers become NaN.

    Raises InputFileError naming the file when it has no ``epoch`` column or no rows.
    """
    with open_text(path, error=InputFileError) as handle:
        reader = csv.DictReader(handle)
        fields = [name.strip() for name in (reader.fieldnames or [])]
        if "epoch" not in fields:
            raise InputFileError(f"{path}: training log has no 'epoch' column (columns: {fields})")
        columns: dict[str, list[float]] = {_ALIASES.get(name, name): [] for name in fields}
        for row in reader:
            for name, value in row.items():
                if name is None:  # more cells than header names: nothing to attach them to
                    continue
                columns[_ALIASES.get(name.strip(), name.strip())].append(_number(value))
    if not columns["epoch"]:
        raise InputFileError(f"{path}: training log has a header but no rows")
    return columns


def summarize_training_log(columns: dict[str, list[float]]) -> dict[str, float | int | bool | None]:
    """Epochs run, best and final validation numbers, and an overfitting hint.

    ``overfitting_hint`` is true when the last val_loss is more than 10 % above
    its minimum and that minimum came before the last quarter of the epochs.
    Epoch numbers are as written in the log (Keras counts from 0).

    >>> summarize_training_log({"epoch": [0, 1, 2], "val_CER": [0.5, 0.2, 0.3]})["best_val_CER"]
    0.2
    """
    epochs = columns["epoch"]
    last = epochs[-1]
    summary: dict[str, float | int | bool | None] = {
        "epochs": len(epochs),
        "last_epoch": int(last) if math.isfinite(last) else None,
    }
    for name in ("val_CER", "val_WER", "val_loss", "loss"):
        values = columns.get(name, [])
        best = _argmin(values)
        summary[f"best_{name}"] = values[best] if best is not None else None
        summary[f"best_{name}_epoch"] = int(epochs[best]) if best is not None else None
        finite = [v for v in values if math.isfinite(v)]
        summary[f"final_{name}"] = finite[-1] if finite else None
    learning_rates = [v for v in columns.get("learning_rate", []) if math.isfinite(v)]
    summary["final_learning_rate"] = learning_rates[-1] if learning_rates else None
    val_loss = columns.get("val_loss", [])
    best = _argmin(val_loss)
    final = summary["final_val_loss"]
    summary["overfitting_hint"] = bool(
        best is not None
        and isinstance(final, float)
        and best < 0.75 * (len(val_loss) - 1)
        and final > 1.1 * val_loss[best]
    )
    return summary


def describe_training(summary: dict[str, float | int | bool | None]) -> list[str]:
    """Plain sentences on how training went, for the report.

    >>> describe_training(summarize_training_log({"epoch": [0, 1], "val_CER": [0.4, 0.3]}))[1]
    'val_CER was still falling at the last epoch: more epochs may help.'
    """
    lines = [f"Training ran {summary['epochs']} epochs."]
    best_epoch, final_epoch = summary.get("best_val_CER_epoch"), summary.get("last_epoch")
    if summary.get("best_val_CER") is not None:
        lines[0] += (
            # log.csv counts epochs from 0, train.py's summary from 1: the report says what train.py said
            f" Best val_CER {summary['best_val_CER']:.4g} after epoch {int(best_epoch) + 1}"
            f" (last: {summary['final_val_CER']:.4g})."
        )
        if best_epoch == final_epoch and summary["epochs"] > 1:
            lines.append("val_CER was still falling at the last epoch: more epochs may help.")
    elif summary.get("best_val_loss") is None:
        lines.append("The log has no validation columns, so it cannot show overfitting.")
    if summary.get("overfitting_hint"):
        lines.append(
            f"val_loss rose from {summary['best_val_loss']:.4g} (after epoch "
            f"{int(summary['best_val_loss_epoch']) + 1}) to {summary['final_val_loss']:.4g} at the end: "
            "the model may be overfitting (early stopping, more data or augmentation help)."
        )
    return lines


def load_training_summary(path: str | None) -> tuple[dict[str, list[float]] | None, str]:
    """Read ``path`` when it exists; returns (columns or None, a one-line note)."""
    if not path:
        return None, "no training log given"
    if not os.path.isfile(path):
        return None, f"{path}: training log not found, curves skipped"
    return read_training_log(path), f"training log: {path}"


def _number(value: str | None) -> float:
    try:
        return float(value) if value is not None else math.nan
    except ValueError:
        return math.nan


def _argmin(values: list[float]) -> int | None:
    finite = [(v, i) for i, v in enumerate(values) if math.isfinite(v)]
    return min(finite)[1] if finite else None
