"""Int8 weights for a trained ONNX model: smaller and faster on a CPU.

python -m mltu_ext.quantize Models/my_model                 # writes model.int8.onnx beside it
python -m mltu_ext.quantize Models/my_model/model.onnx -o small.onnx --check-dir words/

Only the LSTMs and matrix products get int8 weights (ONNX Runtime's dynamic
quantisation); the convolutions stay float32, because ONNX Runtime's
ConvInteger ran these networks at half the float speed on a CPU. The metadata
(vocabulary, height, ...) is kept, so ``OnnxRecognizer`` reads the result as
it reads the original.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

QUANTIZED_OPS = ("MatMul", "LSTM")


class QuantizeCheckError(RuntimeError):
    """The int8 model reads too many check images differently from the float one."""


def quantize_onnx(src: str | Path, dst: str | Path | None = None) -> Path:
    """Write ``src`` with int8 LSTM and MatMul weights to ``dst`` (default ``<stem>.int8.onnx``)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from mltu_ext.inference import find_model_file

    src = find_model_file(src)
    dst = Path(dst) if dst is not None else src.with_name(f"{src.stem}.int8.onnx")
    # the quantiser logs advice about pre-processing at WARNING level for every call
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(src), str(dst), weight_type=QuantType.QInt8, op_types_to_quantize=list(QUANTIZED_OPS)
        )
    finally:
        logger.setLevel(level)
    return dst


def compare_readings(float_model: str | Path, int8_model: str | Path, images: Sequence[np.ndarray]) -> float:
    """Share of ``images`` (grayscale uint8 arrays) that the two models read differently."""
    from mltu_ext.inference import OnnxRecognizer

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
    parser.add_argument("--check-dir", help="folder of word images both models read; stops if they differ")
    parser.add_argument(
        "--max-changed", type=float, default=0.02, help="share of check images allowed to read differently"
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Path:
    """Quantise, then (with --check-dir) compare the readings of both models."""
    from mltu_ext.image_ops import read_gray
    from mltu_ext.inference import find_model_file

    src = find_model_file(args.model)
    dst = quantize_onnx(src, args.output)
    print(f"wrote {dst} ({dst.stat().st_size / 1e6:.1f} MB, from {src.stat().st_size / 1e6:.1f} MB)")
    if args.check_dir:
        suffixes = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
        files = sorted(p for p in Path(args.check_dir).rglob("*") if p.suffix.lower() in suffixes)
        changed = compare_readings(src, dst, [read_gray(str(p)) for p in files])
        print(f"{changed:.1%} of {len(files)} check images read differently")
        if changed > args.max_changed:
            dst.unlink()
            raise QuantizeCheckError(
                f"{dst.name}: {changed:.1%} of the images in {args.check_dir} read differently "
                f"(allowed {args.max_changed:.1%}); the int8 model was removed"
            )
    return dst


def main(argv: list[str] | None = None) -> int:
    from mltu_ext.image_ops import ImageReadError
    from mltu_ext.inference import ModelLoadError

    args = get_args(argv)
    try:
        run(args)
    except (ModelLoadError, ImageReadError, QuantizeCheckError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
