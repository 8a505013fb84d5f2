"""Int8 weights for a trained ONNX model: smaller and faster on a CPU.

python -m mltu_ext.export.quantize Models/my_model                 # writes model.int8.onnx beside it
python -m mltu_ext.export.quantize Models/my_model --calibration-dir words/   # convolutions int8 too
python -m mltu_ext.export.quantize Models/my_model/model.onnx -o small.onnx --check-dir words/

Without calibration images only the LSTMs and matrix products get int8
weights (ONNX Runtime's dynamic quantisation): dynamic int8 convolutions
(ConvInteger) ran these networks at half the float speed on a CPU. With
calibration images (a few hundred word images like the ones the model will
read) the convolutions and activations are quantised statically as well:
their activation ranges are measured on those images once, so the int8
kernels run without measuring them at every call. The metadata
(vocabulary, height, ...) is kept, so ``OnnxRecognizer`` reads the result as
it reads the original.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mltu_ext.errors import QuantizeCheckError

QUANTIZED_OPS = ("MatMul", "LSTM")
# quantised with measured activation ranges when calibration images are given; the
# residual additions stay float: ONNX Runtime's int8 addition (QLinearAdd) took a
# quarter of the time of the whole network on two CPU cores
STATIC_OPS = ("Conv", "LeakyRelu", "Relu")
CALIBRATION_BATCH = 16


def quantize_onnx(
    src: str | Path,
    dst: str | Path | None = None,
    calibration_images: Sequence[np.ndarray] | None = None,
) -> Path:
    """Write ``src`` with int8 weights to ``dst`` (default ``<stem>.int8.onnx``).

    LSTM and MatMul weights always become int8. With ``calibration_images``
    (grayscale uint8 word images) the convolutions and activations are
    quantised statically too (QDQ format, per-channel int8 weights, uint8
    activations whose ranges are percentiles of what the images produce).
    """
    import logging
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from mltu_ext.inference.recognizer import find_model_file

    src = find_model_file(src)
    dst = Path(dst) if dst is not None else src.with_name(f"{src.stem}.int8.onnx")
    if calibration_images is not None and not len(calibration_images):
        raise ValueError("no calibration images: give a folder of word images, or none for LSTM-only int8")
    # the quantiser logs advice about pre-processing at WARNING level for every call
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory() as work:
            dynamic_src = src
            if calibration_images is not None:
                dynamic_src = Path(work) / "static.onnx"
                _quantize_static(src, dynamic_src, calibration_images, Path(work))
            quantize_dynamic(
                str(dynamic_src),
                str(dst),
                weight_type=QuantType.QInt8,
                op_types_to_quantize=list(QUANTIZED_OPS),
            )
    finally:
        logger.setLevel(level)
    return dst


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


def compare_readings(float_model: str | Path, int8_model: str | Path, images: Sequence[np.ndarray]) -> float:
    """Share of ``images`` (grayscale uint8 arrays) that the two models read differently."""
    from mltu_ext.inference.recognizer import OnnxRecognizer

    if not images:
        raise ValueError("no images to compare the models on")
    before = OnnxRecognizer(float_model, providers=["CPUExecutionProvider"]).predict(images)
    after = OnnxRecognizer(int8_model, providers=["CPUExecutionProvider"]).predict(images)
    return sum(a != b for a, b in zip(before, after, strict=True)) / len(images)


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", help="model folder or .onnx file")
    parser.add_argument("-o", "--output", help="where to write (default: <stem>.int8.onnx beside it)")
    parser.add_argument(
        "--calibration-dir",
        help="folder of word images like those the model will read (a few hundred of its training "
        "images): with it the convolutions become int8 too, measured on these images",
    )
    parser.add_argument(
        "--calibration-count", type=int, default=256, help="most calibration images to use (default 256)"
    )
    parser.add_argument("--check-dir", help="folder of word images both models read; stops if they differ")
    parser.add_argument(
        "--max-changed", type=float, default=0.02, help="share of check images allowed to read differently"
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Path:
    """Quantise, then (with --check-dir) compare the readings of both models."""
    from mltu_ext.data.images import read_gray
    from mltu_ext.inference.recognizer import find_model_file

    src = find_model_file(args.model)
    calibration = None
    if args.calibration_dir:
        files = image_files(args.calibration_dir)
        # an even spread over the folder, not just its first files
        calibration = [read_gray(str(p)) for p in spread(files, args.calibration_count)]
        if not calibration:
            raise ValueError(f"{args.calibration_dir}: no images to calibrate on")
    dst = quantize_onnx(src, args.output, calibration)
    print(f"wrote {dst} ({dst.stat().st_size / 1e6:.1f} MB, from {src.stat().st_size / 1e6:.1f} MB)")
    if args.check_dir:
        files = image_files(args.check_dir)
        changed = compare_readings(src, dst, [read_gray(str(p)) for p in files])
        print(f"{changed:.1%} of {len(files)} check images read differently")
        if changed > args.max_changed:
            dst.unlink()
            raise QuantizeCheckError(
                f"{dst.name}: {changed:.1%} of the images in {args.check_dir} read differently "
                f"(allowed {args.max_changed:.1%}); the int8 model was removed"
            )
    return dst


def spread(items: Sequence, count: int = 256) -> list:
    """An even spread of at most ``count`` of ``items`` (image files, cached images, texts)."""
    step = max(1, len(items) // max(count, 1))
    return list(items[::step][:count])


def image_files(folder: str | Path) -> list[Path]:
    """Image files under ``folder`` (any depth), sorted."""
    suffixes = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in suffixes)


def main(argv: list[str] | None = None) -> int:
    from mltu_ext.errors import ImageReadError, ModelLoadError

    args = get_args(argv)
    try:
        run(args)
    except (ModelLoadError, ImageReadError, QuantizeCheckError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
