"""Find the ONNX file of a model: a folder's model.onnx, a named file, or the newest trained model."""

from __future__ import annotations

from pathlib import Path

from mltu_ext.errors import ModelLoadError


def find_model_file(path: str | Path) -> Path:
    """The ONNX file for ``path``: the file itself or ``model.onnx`` in a folder."""
    path = Path(path)
    if path.is_dir():
        candidates = sorted(path.glob("*.onnx"))
        preferred = path / "model.onnx"
        if preferred.is_file():
            return preferred
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise ModelLoadError(f"{path}: no .onnx file in this folder")
        raise ModelLoadError(f"{path}: several .onnx files, name one of them")
    if not path.is_file():
        raise ModelLoadError(f"{path}: model not found")
    return path


def newest_model(root: str | Path = "Models") -> Path:
    """The most recently written ``*.onnx`` under ``root``."""
    root = Path(root)
    found = sorted(root.rglob("*.onnx"), key=lambda p: p.stat().st_mtime) if root.is_dir() else []
    if not found:
        raise ModelLoadError(f"{root}: no trained model (*.onnx) found; train one or pass --model")
    return found[-1]
