"""Export a trained recogniser to ONNX with its metadata, and check the result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mltu_ext.errors import ExportMismatchError, OutputWriteError
from mltu_ext.export.metadata import METADATA_KEY, write_sidecar
from mltu_ext.io.atomic import replacing
from mltu_ext.io.os_errors import os_reason

if TYPE_CHECKING:
    import keras


def export_onnx(
    model: keras.Model,
    path: str | Path,
    metadata: dict,
    check_images: np.ndarray | None = None,
    atol: float = 1e-4,
    opset: int = 17,
) -> Path:
    """Convert ``model`` to ONNX at ``path`` and check it against Keras.

    The ONNX graph takes float32 (batch, height, width, channels) with a
    dynamic batch and width; ``metadata`` is stored as JSON under the key
    ``mltu_ext``, and the same JSON is written beside it (``model.json``
    for ``model.onnx``: ``metadata.sidecar_path``). ``check_images`` (B, H, W, C) are run through both
    models (random pixels when None) and ExportMismatchError is raised when
    any output differs by more than ``atol``. The model's LSTMs are set to
    their loop form first (``recognizer.set_lstm_unroll``), which tf2onnx
    turns into one ONNX LSTM node.
    """
    import onnx
    import tensorflow as tf
    import tf2onnx

    from mltu_ext.model.recognizer import set_lstm_unroll

    set_lstm_unroll(model, False)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _, height, _, channels = model.input_shape
    spec = (tf.TensorSpec((None, height, None, channels), tf.float32, name="image"),)
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=opset)
    entry = proto.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = json.dumps(metadata, ensure_ascii=False)
    if check_images is None:
        rng = np.random.default_rng(0)
        check_images = rng.uniform(0, 255, (2, height, 96, channels)).astype(np.float32)
    # written and checked under a temporary name: a failed check or an interrupted
    # write leaves the previous model.onnx (or none), never a wrong or partial one
    with replacing(path) as tmp:
        try:
            onnx.save(proto, str(tmp))
        except OSError as error:
            reason = os_reason(path, error)
            raise OutputWriteError(f"{path}: cannot write the ONNX model ({reason})") from error
        check_export(model, tmp, check_images, atol, name=path)
    # after the model is in place: a failed check leaves the old pair as it was
    write_sidecar(path, metadata)
    return path


def check_export(
    model: keras.Model,
    path: str | Path,
    images: np.ndarray,
    atol: float = 1e-4,
    name: str | Path | None = None,
) -> float:
    """Largest absolute difference between Keras and ONNX Runtime on ``images``.

    ``name`` is the file the messages name (the final name of a file still
    under its temporary one).
    """
    name = name or path
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    onnx_out = session.run(None, {input_name: images.astype(np.float32)})[0]
    keras_out = np.asarray(model(images.astype(np.float32), training=False))
    if onnx_out.shape != keras_out.shape:
        raise ExportMismatchError(
            f"{name}: ONNX output shape {onnx_out.shape} differs from Keras {keras_out.shape}"
        )
    diff = float(np.max(np.abs(onnx_out - keras_out)))
    if diff > atol:
        raise ExportMismatchError(
            f"{name}: ONNX output differs from Keras by {diff:.2e} (allowed {atol:.0e}); not written"
        )
    return diff
