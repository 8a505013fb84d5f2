"""Checkpoints and what ``--resume`` reads, all written whole under a temporary name first.

``best.keras`` is saved only for an epoch whose validation CER beats every
earlier one, the earlier ones of a resumed run included; ``last.keras`` (with
the optimiser state) and ``state.json`` (epochs done, best score) after every
epoch. A checkpoint killed or out of disk space mid-write leaves the previous
file as it was.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import keras

from mltu_ext.errors import OutputWriteError, TrainingError
from mltu_ext.io.atomic import replacing, write_text
from mltu_ext.io.os_errors import os_reason

MONITOR = "val_CER"


@dataclass(frozen=True)
class ResumeInfo:
    """What a model folder's ``state.json`` says: epochs trained, the best validation CER, and the
    seconds of training behind them (the last epoch's ``elapsed_s``, where a time budget goes on)."""

    epochs_done: int = 0
    best: float = math.inf
    elapsed_s: float = 0.0


def save_model(model: keras.Model, path: Path) -> None:
    """``model.save(path)`` atomically; OutputWriteError names the file when the disk refuses."""
    try:
        with replacing(path, suffix=".tmp.keras") as tmp:  # Keras wants the .keras suffix
            model.save(tmp)
    except OSError as error:
        raise OutputWriteError(f"{path}: cannot write the checkpoint ({os_reason(path, error)})") from error


class BestCheckpoint(keras.callbacks.Callback):
    """Save ``best.keras`` when the validation CER improves on ``best`` (the resumed run's best too)."""

    def __init__(self, path: str | Path, best: float = math.inf):
        super().__init__()
        self.path = Path(path)
        self.best = best

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Save the model when the epoch's validation CER is the best so far."""
        value = (logs or {}).get(MONITOR)
        if value is None or not math.isfinite(float(value)) or float(value) >= self.best:
            return
        self.best = float(value)
        save_model(self.model, self.path)


class ResumeState(keras.callbacks.Callback):
    """Save the whole model (with optimiser state), the epoch count and the best score after every epoch.

    ``last.keras`` + ``state.json`` in the model folder are what ``--resume`` reads.
    """

    def __init__(self, model_dir: str | Path, best: BestCheckpoint | None = None):
        super().__init__()
        self.model_dir = Path(model_dir)
        self.best = best

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Save ``last.keras`` and ``state.json`` (epochs done, logs, best CER)."""
        save_model(self.model, self.model_dir / "last.keras")
        values = {k: float(v) for k, v in (logs or {}).items() if isinstance(v, int | float)}
        state = {"epochs_done": epoch + 1, "logs": values}
        if self.best is not None and math.isfinite(self.best.best):
            state["best_val_CER"] = self.best.best
        try:
            write_text(self.model_dir / "state.json", json.dumps(state, indent=2) + "\n")
        except OSError as error:
            path = self.model_dir / "state.json"
            raise OutputWriteError(
                f"{path}: cannot write the training state ({os_reason(path, error)})"
            ) from error


def read_resume_state(model_dir: str | Path) -> ResumeInfo:
    """Epochs already trained in ``model_dir`` and their best validation CER (nothing yet: 0, inf)."""
    path = Path(model_dir) / "state.json"
    if not path.is_file():
        return ResumeInfo()
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        epochs = int(state["epochs_done"])
        best = float(state.get("best_val_CER", math.inf))
        elapsed = float(state.get("logs", {}).get("elapsed_s", 0.0))  # folders of older versions: none
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise TrainingError(f"{path}: unreadable training state ({error}); cannot resume") from error
    if epochs < 0:
        raise TrainingError(f"{path}: epochs_done={epochs} is negative; cannot resume")
    if not math.isfinite(elapsed) or elapsed < 0:
        raise TrainingError(f"{path}: elapsed_s={elapsed} is not a time; cannot resume")
    return ResumeInfo(epochs, best, elapsed)
