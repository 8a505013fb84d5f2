"""Export a trained segmenter: segmenter.keras to segmenter.onnx with its metadata (and segmenter.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mltu_ext.config.segmenter_config import SegmenterConfig
from mltu_ext.errors import InputFileError
from mltu_ext.model.keras_file import load_keras
from mltu_ext.segment.file_format import MAPS, SEGMENTER_FORMAT, SEGMENTER_KIND


def segmenter_metadata(cfg: SegmenterConfig) -> dict:
    """What a runtime needs to use the ONNX segmenter: scale, size multiple and the output maps."""
    return {
        "kind": SEGMENTER_KIND,
        "format_version": SEGMENTER_FORMAT,
        "long_side": cfg.long_side,
        "size_multiple": cfg.multiple,
        "input": "float32 (1, H, W, 1), grayscale 0-255, dark ink on light paper, page scaled to long_side",
        "output": "float32 (1, H, W, 3) probabilities",
        "maps": list(MAPS),
        "padding_value": 255,
        "package": "mltu_ext",
    }


def load_config(model_dir: Path) -> SegmenterConfig:
    """The ``segmenter_config.json`` of a segmenter folder."""
    path = model_dir / "segmenter_config.json"
    if not path.is_file():
        raise InputFileError(f"{model_dir}: no segmenter_config.json; give a folder that segment train wrote")
    values = json.loads(path.read_text(encoding="utf-8"))
    values["filters"] = tuple(values["filters"])
    return SegmenterConfig(**values)


def export_segmenter(model_dir: str | Path) -> Path:
    """``segmenter.onnx`` (and its ``segmenter.json``) from ``segmenter.keras`` in ``model_dir``."""

    from mltu_ext.export.onnx_export import export_onnx

    model_dir = Path(model_dir)
    cfg = load_config(model_dir)
    weights = model_dir / "segmenter.keras"
    if not weights.is_file():
        raise InputFileError(f"{model_dir}: no segmenter.keras")
    model = load_keras(weights)
    size = cfg.multiple * 4
    images = np.random.default_rng(0).uniform(0, 255, (1, size, size + cfg.multiple, 1)).astype(np.float32)
    return export_onnx(model, model_dir / "segmenter.onnx", segmenter_metadata(cfg), images, atol=1e-3)
