"""What --resume reads: the whole model with its optimiser state, and the training state, each epoch."""

from __future__ import annotations

import json
from pathlib import Path

import keras


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
