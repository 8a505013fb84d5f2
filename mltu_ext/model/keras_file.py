"""Open a saved ``.keras`` model, refusing a missing or broken file by name."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from mltu_ext.errors import ModelLoadError

if TYPE_CHECKING:
    import keras


def load_keras(path: str | Path, compile: bool = False) -> keras.Model:
    """The Keras model saved at ``path``; ModelLoadError naming the file when it cannot be read.

    Keras answers a file that is not a model archive with "File not found", which misleads when
    the file is there, so the archive is checked first.
    """
    import keras

    import mltu_ext.model.augment  # noqa: F401  (registers the augmentation layer checkpoints name)

    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path}: not found")
    if not zipfile.is_zipfile(path):
        raise ModelLoadError(f"{path}: not a readable .keras file (not a zip archive; cut short?)")
    try:
        return keras.saving.load_model(path, compile=compile)
    except (ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile) as error:
        reason = " ".join(str(error).split())[:300]
        raise ModelLoadError(f"{path}: not a readable .keras file ({reason})") from error
