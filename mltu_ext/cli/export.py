"""Export a trained model folder to ONNX: best.keras to model.onnx with its metadata and model.json.

For models trained where TensorFlow is missing (``KERAS_BACKEND=jax`` on a GPU machine): copy the
folder here, where TensorFlow and tf2onnx are installed, and export it; the ONNX model is checked
against Keras on two noise images before it is kept. An export that fails renames the folder's
earlier model.onnx (and model.json, model.int8.*) to model.onnx.stale and so on, so that no reader
takes it for this best.keras's. One that succeeds renames an earlier model.int8.onnx (and
model.int8.json) the same way: it was quantised from the model.onnx just replaced.

python -m mltu_ext.cli.export Models/lines_20261202-0700          # writes model.onnx in it
python -m mltu_ext.cli.export run_from_gpu/ --record               # and make it the default model
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from mltu_ext.cli.common import run_command, set_tensorflow_environment
from mltu_ext.errors import InputFileError, TrainingError


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command's options."""
    parser = argparse.ArgumentParser(
        prog="python -m mltu_ext.cli.export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model_dir", type=Path, help="a trained model folder (config.json and best.keras)")
    parser.add_argument(
        "--record",
        action="store_true",
        help="record it in <models>/last_trained.json (the folder's parent), as train.py does, so "
        "that inferenceModel.py uses it without --model",
    )
    return parser.parse_args(argv)


def check_images(height: int, width: int, channels: int) -> np.ndarray:
    """Two rows of seeded noise for the Keras/ONNX parity check (2,H,W,C), 0-255."""
    return np.random.default_rng(0).uniform(0.0, 255.0, (2, height, width, channels)).astype(np.float32)


def run(args: argparse.Namespace) -> Path:
    """Export ``args.model_dir``; the ONNX file written."""
    model_dir: Path = args.model_dir
    for name in ("config.json", "best.keras"):
        if not (model_dir / name).is_file():
            raise InputFileError(f"{model_dir}: no {name}; give a folder that train.py wrote")
    set_tensorflow_environment()
    from mltu_ext.config.train_config import TrainConfig
    from mltu_ext.export.model_folder import can_export, export_best

    if not can_export():
        raise TrainingError(
            "ONNX export needs the TensorFlow backend with tensorflow and tf2onnx installed "
            "(KERAS_BACKEND=tensorflow, bash scripts/install.sh)"
        )
    cfg = TrainConfig.load(model_dir / "config.json")
    width = min(cfg.max_width, 512)  # any width the model takes; short keeps the check quick
    images = check_images(cfg.model.height, width, cfg.model.channels)
    path = export_best(cfg, model_dir, images)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if args.record:
        from mltu_ext.inference.model_files import record_trained_model

        record_trained_model(path)
        print(f"recorded as the default model in {model_dir.resolve().parent / 'last_trained.json'}")
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m mltu_ext.cli.export``: 0 on success, 2 with one line on stderr for bad input."""
    args = get_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
