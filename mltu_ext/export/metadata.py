"""The JSON metadata an exported model carries: what a reader needs to prepare images and decode outputs.

Written by the export under one key of the ONNX file's metadata, and as the
same JSON in a sidecar file beside it (``model.json`` beside ``model.onnx``)
for runtimes that cannot read ONNX metadata; read back with ``json.loads``
(never ``eval``). This module is the one place that knows the key and the
fields; ``docs/onnx_model.md`` is the contract they follow.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltu_ext import __version__
from mltu_ext.data.images import PAD_VALUE
from mltu_ext.errors import ModelLoadError
from mltu_ext.io.atomic import write_text
from mltu_ext.segment.file_format import SEGMENTER_KIND

if TYPE_CHECKING:
    import argparse

    import onnxruntime as ort

METADATA_KEY = "mltu_ext"
# the version of the contract (docs/onnx_model.md) a file follows: raised only for a
# change an older reader would get wrong (new optional keys do not raise it); files
# written before the key existed have none and are version 1
FORMAT_VERSION = 1


def model_metadata(vocabulary: str, height: int, channels: int, time_scale: int, **extra: Any) -> dict:
    """Everything an inference program needs to prepare images and decode outputs."""
    return {
        "format_version": FORMAT_VERSION,
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
# the shipped models that read text, named where a file that does not read text is given
TEXT_MODELS = "Models/handwritten_lines (lines) or Models/dhsd_words (words)"


def read_metadata(
    session: ort.InferenceSession, path: str | Path = "", required: tuple[str, ...] | None = None
) -> dict:
    """The package's JSON metadata from an ONNX Runtime session.

    ``required``: the keys it must have (default: a recogniser's).
    """
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
    if not isinstance(metadata, dict):
        raise ModelLoadError(f"{path}: metadata is not a JSON object ({type(metadata).__name__})")
    if required is None and metadata.get("kind") == SEGMENTER_KIND:
        raise ModelLoadError(
            f"{path}: this is a line segmenter (it finds the lines of a page), not a recogniser; "
            f"use a model that reads text, such as {TEXT_MODELS}"
        )
    missing = [k for k in (REQUIRED_KEYS if required is None else required) if k not in metadata]
    if missing:
        raise ModelLoadError(f"{path}: metadata lacks {', '.join(missing)}")
    return metadata


def check_metadata(metadata: dict, session: ort.InferenceSession, path: str | Path = "") -> None:
    """Refuse metadata that contradicts the graph or has fields of the wrong type.

    The format version (1 when absent) must be one this reader knows;
    vocabulary length plus the blank must equal the output classes, the blank
    index must lie among them, height and channels must equal the input's,
    the time scale must be positive. ModelLoadError names the file and field:
    a model whose metadata does not fit its graph would read wrong text.
    """

    def field(name: str, kind: type, where: str = "") -> object:
        value = metadata.get(name)
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ModelLoadError(
                f"{path}: metadata field {name!r} must be a whole number, got {value!r}{where}"
            )
        if kind is str and not isinstance(value, str):
            raise ModelLoadError(f"{path}: metadata field {name!r} must be text, got {value!r}{where}")
        return value

    version = field("format_version", int) if "format_version" in metadata else 1
    if version < 1:
        raise ModelLoadError(f"{path}: metadata field 'format_version'={version} must be 1 or more")
    if version > FORMAT_VERSION:
        # a newer format may mean something this reader would silently get wrong
        raise ModelLoadError(
            f"{path}: model format version {version} is newer than this mltu_ext reads "
            f"({FORMAT_VERSION}); upgrade mltu_ext (installed: {__version__})"
        )
    vocabulary = field("vocabulary", str)
    if not vocabulary or len(set(vocabulary)) != len(vocabulary):
        raise ModelLoadError(
            f"{path}: metadata field 'vocabulary' must be non-empty without repeated characters"
        )
    blank = field("blank_index", int)
    height = field("input_height", int)
    channels = field("channels", int)
    for name, low in (("time_scale", 1), ("padding_value", 0)):
        if name in metadata and (
            field(name, int) < low or (name == "padding_value" and metadata[name] > 255)
        ):
            limits = "1 or more" if name == "time_scale" else "0..255"
            raise ModelLoadError(f"{path}: metadata field {name!r}={metadata[name]} must be {limits}")
    temperature = metadata.get("confidence_temperature", 1.0)
    # json.loads takes Infinity and NaN, which strict JSON readers (JavaScript's) refuse
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)
        or not 0 < temperature < math.inf
    ):
        raise ModelLoadError(
            f"{path}: metadata field 'confidence_temperature' must be a positive finite number, "
            f"got {temperature!r}"
        )
    shape_in = list(session.get_inputs()[0].shape)  # [batch, height, width, channels]
    shape_out = list(session.get_outputs()[0].shape)  # [batch, time, classes]
    if len(shape_in) != 4 or len(shape_out) != 3:
        raise ModelLoadError(f"{path}: graph takes {shape_in} and gives {shape_out}; not a line recogniser")
    classes = shape_out[2] if isinstance(shape_out[2], int) else None
    if classes is not None and len(vocabulary) + 1 != classes:
        raise ModelLoadError(
            f"{path}: metadata field 'vocabulary' has {len(vocabulary)} characters but the graph gives "
            f"{classes} classes (characters + blank)"
        )
    if not 0 <= blank < (classes if classes is not None else len(vocabulary) + 1):
        raise ModelLoadError(f"{path}: metadata field 'blank_index'={blank} is outside the output classes")
    if isinstance(shape_in[1], int) and height != shape_in[1]:
        raise ModelLoadError(
            f"{path}: metadata field 'input_height'={height} but the graph takes {shape_in[1]}"
        )
    if channels not in (1, 3) or (isinstance(shape_in[3], int) and channels != shape_in[3]):
        raise ModelLoadError(
            f"{path}: metadata field 'channels'={channels} but the graph takes {shape_in[3]}"
        )


def sidecar_path(onnx_path: str | Path) -> Path:
    """The JSON file beside an ONNX file: ``model.json`` for ``model.onnx``, ``model.int8.json``
    for ``model.int8.onnx``."""
    return Path(onnx_path).with_suffix(".json")


def write_sidecar(onnx_path: str | Path, metadata: dict) -> Path:
    """Write ``metadata`` as the sidecar JSON of ``onnx_path`` (atomically); returns its path.

    Some runtimes cannot read an ONNX file's custom metadata (onnxruntime-node's
    JavaScript API has no call for it), so the same JSON is kept beside the file.
    """
    target = sidecar_path(onnx_path)
    write_text(target, json.dumps(metadata, ensure_ascii=False, indent=2) + "\n")
    return target


def unlink_with_sidecar(onnx_path: str | Path) -> None:
    """Remove an ONNX file and its sidecar (a model that is not kept leaves no stray JSON)."""
    Path(onnx_path).unlink(missing_ok=True)
    sidecar_path(onnx_path).unlink(missing_ok=True)


def file_metadata(onnx_path: str | Path) -> dict:
    """The package metadata stored inside the ONNX file at ``onnx_path``, checked against its graph.

    ModelLoadError names the file when it is missing, cannot load or has no valid metadata.
    """
    from mltu_ext.inference.recognizer import OnnxRecognizer  # it imports this module

    return OnnxRecognizer(onnx_path, providers=["CPUExecutionProvider"]).metadata


def update_metadata(onnx_path: str | Path, **fields: Any) -> dict:
    """Set ``fields`` in the metadata inside an exported ONNX file and in its sidecar; the new metadata.

    The file is rewritten under a temporary name and checked by loading it before it replaces the
    old one, so a failure leaves the model as it was. Needs the ``onnx`` package (installed with
    tf2onnx), as the export does.
    """
    import onnx

    from mltu_ext.io.atomic import replacing

    onnx_path = Path(onnx_path)
    metadata = {**file_metadata(onnx_path), **fields}
    proto = onnx.load(str(onnx_path))
    entries = [e for e in proto.metadata_props if e.key == METADATA_KEY]
    entries[0].value = json.dumps(metadata, ensure_ascii=False)  # file_metadata found it
    with replacing(onnx_path) as tmp:
        onnx.save(proto, str(tmp))
        file_metadata(tmp)  # refuses fields that contradict the graph
    write_sidecar(onnx_path, metadata)
    return metadata


def write_sidecar_from_onnx(onnx_path: str | Path) -> Path:
    """(Re)write the sidecar of an existing ONNX file from the metadata inside it.

    For files exported before sidecars were written:
    ``python -m mltu_ext.export.metadata Models/dhsd_words/model.onnx``.
    """
    return write_sidecar(onnx_path, file_metadata(onnx_path))


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command's options."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mltu_ext.export.metadata",
        description="write model.json beside model.onnx from the metadata inside it",
    )
    parser.add_argument("onnx", nargs="+", help="ONNX files exported by mltu_ext")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> list[Path]:
    """Write the sidecar of each ONNX file named, printing each path as it is written; the paths."""
    written = []
    for path in args.onnx:
        written.append(write_sidecar_from_onnx(path))
        print(written[-1])
    return written


def main(argv: list[str] | None = None) -> int:
    """Write the sidecar of each ONNX file named on the command line (2 and one line on failure)."""
    from mltu_ext.cli.common import run_command

    args = get_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
