"""Fixtures of the command tests: a writable copy of the shipped word model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

WORD_MODEL = Path(__file__).resolve().parents[2] / "Models" / "dhsd_words"


@pytest.fixture
def model_copy(tmp_path) -> Path:
    """A folder with the shipped word model's ONNX file and sidecar, for commands that write into it."""
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("model.onnx", "model.json"):
        shutil.copy(WORD_MODEL / name, folder / name)
    return folder
