"""Int8 weights for a trained ONNX model: smaller and faster on a CPU (command: ``mltu_ext.cli.quantize``).

Without calibration images only the LSTMs and matrix products get int8
weights (ONNX Runtime's dynamic quantisation): dynamic int8 convolutions
(ConvInteger) ran these networks at half the float speed on a CPU. With
calibration images (a few hundred word images like the ones the model will
read) the convolutions and activations are quantised statically as well:
their activation ranges are measured on those images once, so the int8
kernels run without measuring them at every call. The metadata
(vocabulary, height, ...) is kept, so ``OnnxRecognizer`` reads the result as
it reads the original, and written beside it as well (``model.int8.json``
beside ``model.int8.onnx``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mltu_ext.errors import ConfigError, InputFileError, OutputWriteError
from mltu_ext.export.metadata import write_sidecar_from_onnx
from mltu_ext.io.atomic import replacing
from mltu_ext.io.folders import walk_files
from mltu_ext.io.os_errors import os_reason

QUANTIZED_OPS = ("MatMul", "LSTM")
# quantised with measured activation ranges when calibration images are given; the
# residual additions stay float: ONNX Runtime's int8 addition (QLinearAdd) took a
# quarter of the time of the whole network on two CPU cores
STATIC_OPS = ("Conv", "LeakyRelu", "Relu")
CALIBRATION_BATCH = 16
# what ONNX Runtime's quantisers leave in a graph in place of the float operators
INT8_OPS = frozenset(
    {"DynamicQuantizeLSTM", "MatMulInteger", "ConvInteger", "QuantizeLinear", "QLinearConv", "QLinearMatMul"}
)


def quantize_onnx(
    src: str | Path,
    dst: str | Path | None = None,
    calibration_images: Sequence[np.ndarray] | None = None,
) -> Path:
    """Write ``src`` with int8 weights to ``dst`` (default ``<stem>.int8.onnx``), and its sidecar JSON.

    LSTM and MatMul weights always become int8. With ``calibration_images``
    (grayscale uint8 word images) the convolutions and activations are
    quantised statically too (QDQ format, per-channel int8 weights, uint8
    activations whose ranges are percentiles of what the images produce).
    A model in which there is nothing left to quantise is refused (:func:`check_work_left`).
    """
    import logging
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from mltu_ext.inference.model_files import find_model_file
    from mltu_ext.inference.recognizer import OnnxRecognizer

    src = find_model_file(src)
    OnnxRecognizer(src, providers=["CPUExecutionProvider"])  # a file that cannot load stops here, named
    dst = Path(dst) if dst is not None else src.with_name(f"{src.stem}.int8.onnx")
    check_onnx_name(dst)
    if dst.resolve() == src.resolve():
        raise ConfigError(f"{dst}: is the model being quantized; write the int8 model to another file")
    check_work_left(src, calibrated=calibration_images is not None)
    if calibration_images is not None and not len(calibration_images):
        raise InputFileError(
            "no calibration images: give a folder of word images, or none for LSTM-only int8"
        )
    # the quantiser logs advice about pre-processing at WARNING level for every call
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        # built under a temporary name beside dst: an interrupted or failed run
        # leaves the previous int8 file (or none), never a partial one
        with tempfile.TemporaryDirectory() as work, replacing(dst) as tmp:
            dynamic_src = src
            if calibration_images is not None:
                dynamic_src = Path(work) / "static.onnx"
                _quantize_static(src, dynamic_src, calibration_images, Path(work))
            quantize_dynamic(
                str(dynamic_src),
                str(tmp),
                weight_type=QuantType.QInt8,
                op_types_to_quantize=list(QUANTIZED_OPS),
            )
    except OSError as error:
        raise OutputWriteError(f"{dst}: cannot write the int8 model ({os_reason(dst, error)})") from error
    finally:
        logger.setLevel(level)
    # from the written file, so the sidecar says what the int8 file itself says
    write_sidecar_from_onnx(dst)
    return dst


def check_onnx_name(dst: str | Path) -> None:
    """ConfigError unless ``dst`` ends in ``.onnx``.

    Any other name would be overwritten with a model (an image named by mistake, say), and so
    would the JSON file of the same stem, which becomes its sidecar; readers look for ``*.onnx``.
    """
    if Path(dst).suffix != ".onnx":
        raise ConfigError(f"{dst}: the int8 model is an ONNX file; name one ending in .onnx, nothing written")


def check_work_left(src: Path, calibrated: bool) -> None:
    """InputFileError naming ``src`` when quantising it would change nothing: it is int8 already.

    Without calibration only float MatMul and LSTM operators are quantised; with it the
    convolutions too, unless an earlier static quantisation already made them int8.
    """
    import onnx

    ops = {node.op_type for node in onnx.load(str(src), load_external_data=False).graph.node}
    static_done = "QuantizeLinear" in ops
    if ops & set(QUANTIZED_OPS) or (calibrated and not static_done and ops & set(STATIC_OPS)):
        return
    found = ", ".join(sorted(ops & INT8_OPS)) or f"no {' or '.join(QUANTIZED_OPS)}"
    what = "already int8, convolutions included" if static_done else "already int8"
    hint = "" if static_done or calibrated else " (--calibration-dir would make its convolutions int8 too)"
    raise InputFileError(f"{src}: {what} ({found}): nothing to quantize, nothing written{hint}")


def _quantize_static(src: Path, dst: Path, images: Sequence[np.ndarray], work: Path) -> None:
    """Static QDQ quantisation of STATIC_OPS, activation ranges measured on ``images``."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from mltu_ext.inference.recognizer import OnnxRecognizer

    recognizer = OnnxRecognizer(src, providers=["CPUExecutionProvider"])
    # each batch prepared exactly as inference prepares it, then all padded to one width
    # and of one size: the percentile calibration stacks every batch's activations
    size = min(CALIBRATION_BATCH, len(images))
    batches = [recognizer.prepare_batch(images[k : k + size]) for k in range(0, len(images) - size + 1, size)]
    width = max(b.shape[2] for b in batches)
    batches = [
        {
            recognizer.input_name: np.pad(
                b, ((0, 0), (0, 0), (0, width - b.shape[2]), (0, 0)), constant_values=recognizer.pad_value
            )
        }
        for b in batches
    ]

    class Batches(CalibrationDataReader):
        def __init__(self):
            self._left = iter(batches)

        def get_next(self):
            return next(self._left, None)

    # shape inference and graph clean-up first, as the quantiser expects
    prepared = work / "prepared.onnx"
    quant_pre_process(str(src), str(prepared), skip_symbolic_shape=True)
    quantize_static(
        str(prepared),
        str(dst),
        Batches(),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=list(STATIC_OPS),
        per_channel=True,
        weight_type=QuantType.QInt8,
        activation_type=QuantType.QUInt8,
        # ranges from the 99.999th percentile, not the extremes: on the main job's model
        # 3.49 % held-out CER against 3.45 % in float32 (3.58 % with min/max ranges)
        calibrate_method=CalibrationMethod.Percentile,
    )


def carry_language_model(src: Path, dst: Path) -> Path | None:
    """Copy the language model beside ``src`` to beside ``dst``; the copy, or None when none is made.

    ``--lm`` reads the language model of the folder the ONNX file is in, so an int8 model written
    to another folder would read differently from its float model without it. A different language
    model already there (another model's, perhaps) is kept and named on stderr instead.
    """
    import sys

    from mltu_ext.ctc.lm_file import language_model_path
    from mltu_ext.io.atomic import write_bytes

    source, target = language_model_path(src), language_model_path(dst)
    if not source.is_file() or source.resolve() == target.resolve():
        return None
    data = source.read_bytes()
    if target.is_file():
        if target.read_bytes() != data:
            print(
                f"note: {target} is not the language model of {src} and was kept: --lm with {dst.name} "
                f"reads with it; copy {source} there to read as {src.name} does",
                file=sys.stderr,
            )
        return None
    write_bytes(target, data)
    return target


def compare_readings(float_model: str | Path, int8_model: str | Path, images: Sequence[np.ndarray]) -> float:
    """Share of ``images`` (grayscale uint8 arrays) that the two models read differently."""
    from mltu_ext.inference.recognizer import OnnxRecognizer

    if not images:
        raise InputFileError("no images to compare the models on")
    before = OnnxRecognizer(float_model, providers=["CPUExecutionProvider"]).predict(images)
    after = OnnxRecognizer(int8_model, providers=["CPUExecutionProvider"]).predict(images)
    return sum(a != b for a, b in zip(before, after, strict=True)) / len(images)


def spread(items: Sequence, count: int = 256) -> list:
    """An even spread of at most ``count`` of ``items`` (image files, cached images, texts)."""
    step = max(1, len(items) // max(count, 1))
    return list(items[::step][:count])


def image_files(folder: str | Path) -> list[Path]:
    """Image files under ``folder`` (any depth), sorted."""
    from mltu_ext.data.images import IMAGE_SUFFIXES

    return sorted(
        Path(place, name)
        for place, names in walk_files(folder)
        for name in names
        if Path(name).suffix.lower() in IMAGE_SUFFIXES
    )
