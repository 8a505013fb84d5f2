"""Export a trained segmenter: segmenter.keras to segmenter.onnx with its metadata (and segmenter.json)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mltu_ext.config.segmenter_config import SegmenterConfig
from mltu_ext.errors import ConfigError, InputFileError, ModelLoadError
from mltu_ext.model.keras_file import load_keras
from mltu_ext.segment.file_format import MAPS, SEGMENTER_FORMAT, SEGMENTER_KIND

if TYPE_CHECKING:
    import keras


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
    """The ``segmenter_config.json`` of a segmenter folder, checked; InputFileError names a bad one."""
    path = model_dir / "segmenter_config.json"
    if not path.is_file():
        raise InputFileError(f"{model_dir}: no segmenter_config.json; give a folder that segment train wrote")
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputFileError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(values, dict):
        raise InputFileError(f"{path}: not a JSON object ({type(values).__name__})")
    known = {field.name for field in dataclasses.fields(SegmenterConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputFileError(f"{path}: unknown setting {unknown[0]!r}")
    # the network's shape and scale: the other settings only steered its training
    missing = [name for name in ("filters", "long_side") if name not in values]
    if missing:
        raise InputFileError(f"{path}: lacks {', '.join(missing)}")
    if not isinstance(values["filters"], list):
        raise InputFileError(f"{path}: filters must be a list of sizes, got {values['filters']!r}")
    values["filters"] = tuple(values["filters"])
    cfg = SegmenterConfig(**values)
    try:
        cfg.validate()
    except (ConfigError, TypeError) as error:
        raise InputFileError(f"{path}: {error}") from error
    return cfg


def check_config_fits(cfg: SegmenterConfig, model: keras.Model, model_dir: Path) -> None:
    """Refuse a config that describes another network than ``segmenter.keras``: its size
    multiple, written into the ONNX metadata, would not be the one the network needs."""
    pools = sum(layer.__class__.__name__ == "MaxPooling2D" for layer in model.layers)
    if 2**pools != cfg.multiple:
        raise ModelLoadError(
            f"{model_dir}: segmenter_config.json is not segmenter.keras's: its {len(cfg.filters)} "
            f"levels give a size multiple {cfg.multiple}, the network's {pools + 1} levels need {2**pools}"
        )


def export_segmenter(model_dir: str | Path) -> Path:
    """``segmenter.onnx`` (and its ``segmenter.json``) from ``segmenter.keras`` in ``model_dir``."""

    from mltu_ext.export.onnx_export import export_onnx

    model_dir = Path(model_dir)
    cfg = load_config(model_dir)
    weights = model_dir / "segmenter.keras"
    if not weights.is_file():
        raise InputFileError(f"{model_dir}: no segmenter.keras")
    model = load_keras(weights)
    check_config_fits(cfg, model, model_dir)
    size = cfg.multiple * 4
    images = np.random.default_rng(0).uniform(0, 255, (1, size, size + cfg.multiple, 1)).astype(np.float32)
    return export_onnx(model, model_dir / "segmenter.onnx", segmenter_metadata(cfg), images, atol=1e-3)
