"""Int8 weights for a trained ONNX model: smaller and faster on a CPU.

python -m mltu_ext.cli.quantize Models/my_model                 # model.int8.onnx beside it
python -m mltu_ext.cli.quantize Models/my_model --calibration-dir words/   # int8 convolutions too
python -m mltu_ext.cli.quantize Models/my_model/model.onnx -o small.onnx --check-dir words/

Written to another folder (-o), the int8 model takes the model's language_model.json.gz along,
unless that folder has another one, which is kept (and named).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mltu_ext.cli.common import POSITIVE_INT, float_in, run_command
from mltu_ext.errors import InputFileError, QuantizeCheckError
from mltu_ext.export.quantize import (
    carry_language_model,
    check_onnx_name,
    compare_readings,
    image_files,
    quantize_onnx,
    spread,
)


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command's options."""
    parser = argparse.ArgumentParser(
        prog="python -m mltu_ext.cli.quantize",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", help="model folder or .onnx file")
    parser.add_argument(
        "-o", "--output", help="the .onnx file to write (default: <stem>.int8.onnx beside the model)"
    )
    parser.add_argument(
        "--calibration-dir",
        help="folder of word images like those the model will read (a few hundred of its training "
        "images): with it the convolutions become int8 too, measured on these images",
    )
    parser.add_argument(
        "--calibration-count", type=POSITIVE_INT, default=256, help="most calibration images to use"
    )
    parser.add_argument("--check-dir", help="folder of word images both models read; stops if they differ")
    parser.add_argument(
        "--max-changed",
        type=float_in(0.0, 1.0),
        default=0.02,
        help="share of check images allowed to read differently",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Path:
    """Quantise, then (with --check-dir) compare the readings of both models.

    Written to another folder, the int8 model gets a copy of the model's language model.
    """
    from mltu_ext.data.images import read_gray
    from mltu_ext.export.metadata import unlink_with_sidecar
    from mltu_ext.inference.model_files import find_model_file

    if args.output is not None:  # before any image is read or model loaded
        check_onnx_name(args.output)
    src = find_model_file(args.model)
    calibration = None
    if args.calibration_dir:
        files = image_files(args.calibration_dir)
        # an even spread over the folder, not just its first files
        calibration = [read_gray(str(p)) for p in spread(files, args.calibration_count)]
        if not calibration:
            raise InputFileError(f"{args.calibration_dir}: no images to calibrate on")
    # the check images are read first: one that does not decode stops before any model is written
    checks = [read_gray(str(p)) for p in image_files(args.check_dir)] if args.check_dir else []
    if args.check_dir and not checks:  # else the int8 model would be written, then left unchecked
        raise InputFileError(f"{args.check_dir}: no images to check the int8 model on")
    dst = quantize_onnx(src, args.output, calibration)
    print(f"wrote {dst} ({dst.stat().st_size / 1e6:.1f} MB, from {src.stat().st_size / 1e6:.1f} MB)")
    if args.check_dir:
        changed = compare_readings(src, dst, checks)
        print(f"{changed:.1%} of {len(checks)} check images read differently")
        if changed > args.max_changed:
            unlink_with_sidecar(dst)  # and its model.int8.json
            raise QuantizeCheckError(
                f"{dst.name}: {changed:.1%} of the images in {args.check_dir} read differently "
                f"(allowed {args.max_changed:.1%}); the int8 model was removed"
            )
    copied = carry_language_model(src, dst)  # after the check: a removed model needs none
    if copied is not None:
        print(f"copied its language model to {copied} (--lm reads with it)")
    return dst


def main(argv: list[str] | None = None) -> int:
    """``mltu-quantize``: 0 on success, 2 with one line on stderr for bad input."""
    args = get_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
