"""The JSON metadata an exported model carries: what a reader needs to prepare images and decode outputs.

Written by the export under one key of the ONNX file's metadata and read back
with ``json.loads`` (never ``eval``); this module is the one place that knows
the key and the fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mltu_ext import __version__
from mltu_ext.data.images import PAD_VALUE
from mltu_ext.errors import ModelLoadError

METADATA_KEY = "mltu_ext"


def model_metadata(vocabulary: str, height: int, channels: int, time_scale: int, **extra: Any) -> dict:
    """Everything an inference program needs to prepare images and decode outputs."""
    return {
        "vocabulary": vocabulary,
        "blank_index": len(vocabulary),
        "input_height": int(height),
        "channels": int(channels),
        "time_scale": int(time_scale),
        "input_range": [0.0, 255.0],
        "normalization": "none outside the model: feed float32 pixels 0..255, dark ink on white",
        "padding_value": PAD_VALUE,
        "padding": "right, to the batch's widest image",
        "resize": "keep aspect ratio to input_height",
        "output": "softmax probabilities (batch, width / time_scale, len(vocabulary) + 1)",
        "package": "mltu_ext",
        "package_version": __version__,
        **extra,
    }


REQUIRED_KEYS = ("vocabulary", "blank_index", "input_height", "channels")


def read_metadata(session, path: str | Path = "") -> dict:
    """The package's JSON metadata from an ONNX Runtime session."""
    props = session.get_modelmeta().custom_metadata_map
    if METADATA_KEY not in props:
        raise ModelLoadError(
            f"{path}: ONNX file has no '{METADATA_KEY}' metadata (vocabulary, input height); "
            "export it with mltu_ext.export.onnx_export.export_onnx"
        )
    try:
        metadata = json.loads(props[METADATA_KEY])
    except json.JSONDecodeError as error:
        raise ModelLoadError(f"{path}: metadata is not valid JSON ({error})") from error
    missing = [k for k in REQUIRED_KEYS if k not in metadata]
    if missing:
        raise ModelLoadError(f"{path}: metadata lacks {', '.join(missing)}")
    return metadata
