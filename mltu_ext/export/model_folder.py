"""Export a trained model folder: best.keras to model.onnx with the metadata, and the optional int8 file."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from mltu_ext.config.train_config import TrainConfig
from mltu_ext.errors import ModelLoadError
from mltu_ext.export.metadata import model_metadata, unlink_with_sidecar
from mltu_ext.export.onnx_export import export_onnx
from mltu_ext.model.keras_file import load_keras

# what an export of best.keras writes into the model folder; a reader takes any of them
INT8_FILES = ("model.int8.onnx", "model.int8.json")
EXPORTED_FILES = ("model.onnx", "model.json", *INT8_FILES)
STALE_SUFFIX = ".stale"  # not .onnx: find_model_file does not take a file set aside


def can_export() -> bool:
    """ONNX export traces the model through TensorFlow: it needs the TensorFlow backend and tf2onnx."""
    import importlib.util

    if keras.backend.backend() != "tensorflow":
        return False
    return all(importlib.util.find_spec(name) is not None for name in ("tensorflow", "tf2onnx"))


def export_int8(
    onnx_path: Path,
    calibration: list[np.ndarray],
    check_images: list[np.ndarray],
    texts: Sequence[str],
    tolerance: float = 0.01,
) -> Path | None:
    """``model.int8.onnx`` and its ``model.int8.json`` beside ``onnx_path`` (calibrated on ``calibration``).

    Kept only if its CER on ``check_images`` (validation images with their
    ``texts``) stays within ``tolerance`` of the float model's: on some
    networks int8 convolutions cost far more than on others, and nothing
    should ship that reads much worse without a word.
    """
    from mltu_ext.evaluation.error_rates import cer
    from mltu_ext.export.quantize import quantize_onnx
    from mltu_ext.inference.recognizer import OnnxRecognizer

    int8_path = quantize_onnx(onnx_path, onnx_path.with_name("model.int8.onnx"), calibration)
    scores = [
        cer(OnnxRecognizer(path, providers=["CPUExecutionProvider"]).predict(check_images), list(texts))
        for path in (onnx_path, int8_path)
    ]
    if scores[1] > scores[0] + tolerance:
        unlink_with_sidecar(int8_path)
        print(
            f"note: int8 model not kept: validation CER {scores[1]:.2%} against {scores[0]:.2%} "
            f"in float32 (more than {tolerance:.0%} worse)"
        )
        return None
    print(f"int8 model: {int8_path} (validation CER {scores[1]:.2%}, float32 {scores[0]:.2%})")
    return int8_path


def export_best(
    cfg: TrainConfig,
    model_dir: str | Path,
    check_images: np.ndarray | None = None,
    int8_follows: bool = False,
) -> Path:
    """Export ``best.keras`` in ``model_dir`` to ``model.onnx`` (checked against Keras).

    An export that fails (or is interrupted) sets the folder's earlier exported files aside
    (:func:`set_aside_earlier_export`) before its error goes on: they came from an earlier
    best.keras, perhaps, and under their own names every reader would take them for this one's.
    One that succeeds sets aside an earlier int8 model (:func:`set_aside_earlier_int8`): it was
    quantised from the model.onnx just replaced. With ``int8_follows`` (the caller quantises the
    new model.onnx next) that int8 model is removed instead: the new one takes its place, or,
    when it reads too much worse to be kept, no int8 model is left at all.
    """
    model_dir = Path(model_dir)
    exported = False
    try:
        path = _export_best(cfg, model_dir, check_images)
        exported = True
    finally:
        if not exported:
            set_aside_earlier_export(model_dir)
    if int8_follows:
        for name in INT8_FILES:
            (model_dir / name).unlink(missing_ok=True)
    else:
        set_aside_earlier_int8(model_dir)
    return path


def _export_best(cfg: TrainConfig, model_dir: Path, check_images: np.ndarray | None) -> Path:
    """:func:`export_best` itself, which leaves earlier files as they are when it fails."""
    model = load_keras(model_dir / "best.keras")
    check_config_fits(cfg, model, model_dir)
    metadata = model_metadata(
        cfg.model.vocabulary,
        cfg.model.height,
        cfg.model.channels,
        cfg.model.time_scale,
        train_width=cfg.max_width,
        split=cfg.split,
    )
    return export_onnx(model, model_dir / "model.onnx", metadata, check_images)


def set_aside_earlier_export(model_dir: Path) -> list[Path]:
    """Rename the exported files in ``model_dir`` to ``<name>.stale``, saying so on stderr; the new paths.

    Renamed, not deleted: when best.keras has not changed since they were written, they are
    still good, and renaming them back restores them. A file the system will not rename is
    named in a warning instead.
    """
    moved, names, refused = _rename_stale(model_dir, EXPORTED_FILES)
    if moved:
        print(
            f"note: {model_dir}: the export failed, so the earlier {', '.join(names)} "
            f"(perhaps of an earlier best.keras) now end in {STALE_SUFFIX}, where no reader takes them "
            "for this one's; rename them back to use them",
            file=sys.stderr,
        )
    if refused:
        print(
            f"warning: {model_dir}: the export failed and the earlier {', '.join(refused)} could not "
            "be set aside: it may not be this best.keras's model",
            file=sys.stderr,
        )
    return moved


def set_aside_earlier_int8(model_dir: Path) -> list[Path]:
    """After a new model.onnx, rename an earlier int8 model (and its JSON) to ``<name>.stale``; the new paths.

    It was quantised from the model.onnx the export replaced, and a reader takes it for the
    new one's. Set aside even when best.keras is unchanged: two exports of one best.keras are
    not the same bytes, so nothing shows that the int8 file still matches. Said on stderr.
    """
    moved, names, refused = _rename_stale(model_dir, INT8_FILES)
    if moved:
        print(
            f"note: {model_dir}: model.onnx is new, so the earlier {', '.join(names)} (quantised from "
            f"the model.onnx it replaced) now end in {STALE_SUFFIX}, where no reader takes them for "
            f"this one's; python -m mltu_ext.cli.quantize {model_dir} makes a new int8 model",
            file=sys.stderr,
        )
    if refused:
        print(
            f"warning: {model_dir}: model.onnx is new and the earlier {', '.join(refused)} could not be "
            "set aside: it was quantised from the model.onnx it replaced",
            file=sys.stderr,
        )
    return moved


def _rename_stale(model_dir: Path, names: Sequence[str]) -> tuple[list[Path], list[str], list[str]]:
    """Rename each of ``names`` present in ``model_dir`` to ``<name>.stale``.

    The new paths, the names renamed, and "name (reason)" for each the system would not rename.
    """
    moved: list[Path] = []
    renamed: list[str] = []
    refused: list[str] = []
    for name in names:
        path = model_dir / name
        if not path.is_file():
            continue
        try:
            moved.append(path.replace(path.with_name(name + STALE_SUFFIX)))
            renamed.append(name)
        except OSError as error:
            refused.append(f"{name} ({error.strerror or error})")
    return moved, renamed, refused


def check_config_fits(cfg: TrainConfig, model: keras.Model, model_dir: Path) -> None:
    """Refuse a config.json that describes another network than best.keras (height, characters)."""
    # input (batch, height, width, channels); output (batch, frames, characters + blank)
    height, classes = model.input_shape[1], model.output_shape[-1]
    wanted = len(cfg.model.vocabulary) + 1
    if (height, classes) != (cfg.model.height, wanted):
        raise ModelLoadError(
            f"{model_dir}: config.json is not best.keras's: it says height {cfg.model.height} and "
            f"{wanted} outputs, the network takes height {height} and gives {classes}"
        )
