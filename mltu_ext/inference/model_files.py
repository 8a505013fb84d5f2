"""Find the ONNX file of a model: a folder's model.onnx, a named file, or the default model.

The default model is the one the user trained last into a models folder
(``train.py`` records it in ``<models folder>/last_trained.json`` when it has
exported the model), else the line model that ships in ``Models/``. File
times do not decide: a git checkout gives every file the time of the checkout.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from mltu_ext.errors import ModelLoadError

LAST_TRAINED = "last_trained.json"  # in the models folder: the model train.py exported last
SHIPPED_LINE_MODEL = "handwritten_lines"  # the folder under Models/ of the shipped line model
CHECKOUT_MODELS = Path(__file__).resolve().parents[2] / "Models"  # the shipped models of this checkout


def shipped_path(root: str | Path, name: str) -> Path:
    """``root/name``; when that is missing, the same folder of this package's checkout.

    A command run from another folder than the checkout still finds the shipped models.
    """
    here, there = Path(root) / name, CHECKOUT_MODELS / name
    return there if not here.exists() and there.exists() else here


def find_model_file(path: str | Path) -> Path:
    """The ONNX file for ``path``: the file itself or ``model.onnx`` in a folder."""
    path = Path(path)
    if path.is_dir():
        candidates = sorted(path.glob("*.onnx"))
        preferred = path / "model.onnx"
        if preferred.is_file():
            return preferred
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise ModelLoadError(f"{path}: no .onnx file in this folder")
        raise ModelLoadError(f"{path}: several .onnx files, name one of them")
    if not path.is_file():
        raise ModelLoadError(f"{path}: model not found")
    return path


# operators that quantise their float input with a range measured on each run (ONNX Runtime's
# dynamic quantisation): one range for the whole batch tensor, so batch mates change each other
DYNAMIC_INT8_OPS = frozenset(
    {"DynamicQuantizeLinear", "DynamicQuantizeLSTM", "DynamicQuantizeMatMul", "MatMulIntegerToFloat"}
)


def quantises_per_run(path: str | Path) -> bool:
    """Whether the ONNX file at ``path`` quantises activations with a range measured on each run.

    An operator's type is stored in the file as plain text, so the bytes tell it without the
    ``onnx`` package, which reading does not need (a node named after such an operator would only
    make ``batching="exact"`` read one image a call).
    """
    data = Path(path).read_bytes()
    return any(op.encode() in data for op in DYNAMIC_INT8_OPS)


def record_trained_model(onnx_path: str | Path) -> Path:
    """Note ``onnx_path`` as the newest trained model of the folder above its model folder.

    Writes ``<parent of the model folder>/last_trained.json`` (atomically) and
    returns its path; the model is named relative to that folder, so the
    record survives moving the whole models folder.
    """
    from mltu_ext.io.atomic import write_text

    onnx_path = Path(onnx_path).resolve()
    root = onnx_path.parent.parent
    record = {
        "model": onnx_path.relative_to(root).as_posix(),
        "trained_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    target = root / LAST_TRAINED
    write_text(target, json.dumps(record, indent=2) + "\n")
    return target


def last_trained_model(root: str | Path = "Models") -> Path | None:
    """The model recorded in ``root/last_trained.json``, or None when there is none.

    A record that cannot be read or names a missing file counts as none (the
    caller says which model it uses instead).
    """
    record_path = Path(root) / LAST_TRAINED
    if not record_path.is_file():
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        model = Path(root) / str(record["model"])
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        return None
    return model if model.is_file() else None


def default_model(root: str | Path = "Models") -> tuple[Path, str]:
    """The model to use when none is named, and a short reason for the message.

    The last model ``train.py`` exported under ``root``; else the shipped
    line model (``root/handwritten_lines``). ModelLoadError when neither exists.
    """
    root = Path(root)
    trained = last_trained_model(root)
    if trained is not None:
        return trained, f"the model trained last ({root / LAST_TRAINED})"
    shipped = shipped_path(root, SHIPPED_LINE_MODEL) / "model.onnx"
    if shipped.is_file():
        return shipped, "the shipped line model (no model trained here yet)"
    raise ModelLoadError(
        f"{root}: no trained model ({LAST_TRAINED}) and no shipped line model "
        f"({SHIPPED_LINE_MODEL}/model.onnx); train one or pass --model"
    )
