"""A trained recogniser as one small file of int8 weights (``weights.npz``), and back.

A shipped model folder holds the ONNX file for reading; to fine-tune it on new pages,
``train.py --init-from`` needs the network's weights as well. ``best.keras`` with its
float32 weights would more than double the folder's size, so a folder may carry ``weights.npz``
instead: the training config and every weight, matrices and convolution kernels as int8
with one float32 scale per output channel (a quarter of the size), everything else
(biases, BatchNorm statistics) as it is.

>>> values, scales = quantize(np.array([[1.27, -0.5], [0.0, 0.25]], np.float32))
>>> values.tolist(), scales.round(4).tolist()
([[127, -127], [0, 64]], [0.01, 0.0039])
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mltu_ext.errors import ModelLoadError
from mltu_ext.model.keras_file import load_keras

if TYPE_CHECKING:
    import keras

    from mltu_ext.config import TrainConfig

PACKED_WEIGHTS = "weights.npz"


def quantize(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 values and float32 scales (one per last-axis channel) with weight ~ values * scales."""
    peak = np.abs(weight.reshape(-1, weight.shape[-1])).max(axis=0)  # C
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    values = np.clip(np.rint(weight / scales), -127, 127).astype(np.int8)
    return values, scales


def pack_arrays(config: dict, weights: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The npz entries for a config and the weights in ``model.weights`` order."""
    entries = {"config": np.array(json.dumps(config)), "count": np.array(len(weights))}
    for i, weight in enumerate(weights):
        if weight.ndim >= 2 and weight.dtype == np.float32:
            entries[f"q{i}"], entries[f"s{i}"] = quantize(weight)
        else:
            entries[f"w{i}"] = weight
    return entries


def unpack_arrays(entries: Mapping[str, np.ndarray]) -> tuple[dict, list[np.ndarray]]:
    """The config and the weights (int8 ones multiplied back to float32) of ``pack_arrays``."""
    weights = []
    for i in range(int(entries["count"])):
        if f"q{i}" in entries:
            weights.append(entries[f"q{i}"].astype(np.float32) * entries[f"s{i}"])
        else:
            weights.append(entries[f"w{i}"])
    return json.loads(str(entries["config"])), weights


def pack_model_dir(model_dir: Path, out: Path) -> int:
    """Write ``out`` (.npz) from ``model_dir``'s config.json and best.keras; returns its bytes."""
    config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    return write_packed(out, config, load_keras(Path(model_dir) / "best.keras"))


def write_packed(out: Path, config: dict, model: keras.Model) -> int:
    """Write ``out`` (.npz) from a config dict and a model's weights; returns its bytes."""
    import keras

    weights = [np.asarray(keras.ops.convert_to_numpy(w)) for w in model.weights]
    np.savez_compressed(out, **pack_arrays(config, weights))
    return Path(out).stat().st_size


def _is_npy(path: Path) -> bool:
    """Whether ``path`` starts as numpy's one-array .npy files do."""
    with open(path, "rb") as handle:
        return handle.read(6) == b"\x93NUMPY"


def read_packed(packed: Path) -> tuple[dict, list[np.ndarray]]:
    """The config (as saved in config.json) and the float32 weights stored in ``packed``.

    Raises ModelLoadError naming the file when it is not a packed weights file.
    """
    if Path(packed).is_file() and not zipfile.is_zipfile(packed) and not _is_npy(Path(packed)):
        # numpy would take such bytes for a pickle and say so, which names no real problem
        raise ModelLoadError(f"{packed}: not a packed weights file (not an .npz archive; cut short?)")
    try:
        # opened here, so that the file is closed when numpy fails on a broken archive
        with open(packed, "rb") as handle:
            entries = np.load(handle)
            if not isinstance(entries, np.lib.npyio.NpzFile):
                raise ValueError("a single array, not an .npz archive")
            with entries:
                return unpack_arrays(entries)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise ModelLoadError(f"{packed}: not a packed weights file ({error})") from error


def load_packed(packed: Path, config: TrainConfig | None = None) -> keras.Model:
    """The recogniser stored in ``packed``, built from ``config`` (a TrainConfig; default the packed one).

    Raises ModelLoadError naming the file when it cannot be read or its weights do not
    fit the network the config builds.
    """
    from mltu_ext.config import TrainConfig
    from mltu_ext.model.recognizer import build_recognizer

    stored, weights = read_packed(packed)
    if config is None:
        config = TrainConfig.from_dict(stored)
    model = build_recognizer(config.model, config.augment)
    if len(model.weights) != len(weights):
        raise ModelLoadError(f"{packed}: {len(weights)} weights, but its config builds {len(model.weights)}")
    for variable, weight in zip(model.weights, weights, strict=True):
        if tuple(variable.shape) != weight.shape:
            raise ModelLoadError(
                f"{packed}: {variable.path} is {tuple(variable.shape)}, packed {weight.shape}"
            )
        variable.assign(weight.astype(variable.dtype))
    return model
