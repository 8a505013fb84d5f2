"""The metadata sidecar (model.json beside model.onnx) and the format version of the metadata."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import onnx
import pytest

from mltu_ext.errors import ModelLoadError
from mltu_ext.export.metadata import (
    FORMAT_VERSION,
    METADATA_KEY,
    check_metadata,
    model_metadata,
    sidecar_path,
    write_sidecar,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_FOLDERS = ("dhsd_words", "rendered_base", "handwritten_lines")
SHIPPED = sorted(p for name in SHIPPED_FOLDERS for p in (ROOT / "Models" / name).glob("*.onnx"))


def onnx_metadata(path: Path) -> dict:
    """The package's metadata inside an ONNX file, parsed."""
    props = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    return json.loads(props[METADATA_KEY])


def sidecar(path: Path) -> dict:
    return json.loads(sidecar_path(path).read_text(encoding="utf-8"))


def test_sidecar_names():
    assert sidecar_path("Models/x/model.onnx") == Path("Models/x/model.json")
    assert sidecar_path("Models/x/model.int8.onnx") == Path("Models/x/model.int8.json")


def test_write_sidecar_keeps_every_character(tmp_path):
    meta = model_metadata("aäß€ ", 64, 1, 4, split={"val": ["w1"]})
    path = write_sidecar(tmp_path / "model.onnx", meta)
    assert path == tmp_path / "model.json" and json.loads(path.read_text(encoding="utf-8")) == meta
    assert "äß€" in path.read_text(encoding="utf-8")  # written as UTF-8, not \u escapes
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary file left


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_sidecars_equal_their_onnx_metadata(path):
    assert sidecar_path(path).is_file(), (
        f"{sidecar_path(path)} missing: python -m mltu_ext.export.metadata {path}"
    )
    assert sidecar(path) == onnx_metadata(path)


def test_the_command_writes_a_sidecar(tmp_path):
    model = tmp_path / "model.onnx"
    shutil.copy(ROOT / "Models" / "dhsd_words" / "model.onnx", model)
    done = subprocess.run(
        [sys.executable, "-m", "mltu_ext.export.metadata", str(model)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "model.json")
    assert sidecar(model) == onnx_metadata(model)


# --- format version -------------------------------------------------------------------


def _session(height: int = 32, classes: int = 4, channels: int = 1):
    """Just enough of an ONNX Runtime session for check_metadata: the input and output shapes."""
    shape_in = SimpleNamespace(shape=["batch", height, "width", channels])
    shape_out = SimpleNamespace(shape=["batch", "time", classes])
    return SimpleNamespace(get_inputs=lambda: [shape_in], get_outputs=lambda: [shape_out])


def test_new_metadata_says_its_format_version():
    assert model_metadata("abc", 32, 1, 4)["format_version"] == FORMAT_VERSION == 1


def test_metadata_without_a_version_reads_as_version_1():
    meta = model_metadata("abc", 32, 1, 4)
    del meta["format_version"]
    check_metadata(meta, _session(), "old.onnx")  # no error


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (2, r"old.onnx: model format version 2 is newer than this mltu_ext reads \(1\); upgrade"),
        (0, r"'format_version'=0 must be 1 or more"),
        ("1", r"'format_version' must be a whole number"),
        (True, r"'format_version' must be a whole number"),
    ],
)
def test_a_newer_or_wrong_version_is_refused(version, message):
    meta = {**model_metadata("abc", 32, 1, 4), "format_version": version}
    with pytest.raises(ModelLoadError, match=message):
        check_metadata(meta, _session(), "old.onnx")


# --- exports write it -----------------------------------------------------------------


@pytest.mark.slow
def test_export_writes_the_sidecar(trained_model):
    result, _, _ = trained_model
    path = Path(result.onnx_path)
    assert sidecar_path(path) == path.with_name("model.json")
    assert sidecar(path) == onnx_metadata(path)
    assert sidecar(path)["format_version"] == FORMAT_VERSION


@pytest.mark.slow
def test_int8_files_get_their_own_sidecar(trained_model, tmp_path):
    from mltu_ext.data.images import read_gray
    from mltu_ext.export.model_folder import export_int8
    from mltu_ext.export.quantize import quantize_onnx

    result, train, val = trained_model
    dst = quantize_onnx(result.model_dir, tmp_path / "model.int8.onnx")
    assert sidecar(dst) == onnx_metadata(dst) == onnx_metadata(Path(result.onnx_path))
    # the quantiser puts its own entries before the package's: one reason for the sidecar
    keys = [p.key for p in onnx.load(str(dst)).metadata_props]
    assert keys[-1] == METADATA_KEY and len(keys) > 1
    # an int8 file that is not kept takes its sidecar with it
    src = tmp_path / "kept" / "model.onnx"
    src.parent.mkdir()
    shutil.copy(result.onnx_path, src)
    calibration = [read_gray(s.path) for s in train[:16]]
    images, texts = [read_gray(s.path) for s in val[:4]], [s.text for s in val[:4]]
    assert export_int8(src, calibration, images, texts, tolerance=-1.0) is None
    assert sorted(p.name for p in src.parent.iterdir()) == ["model.onnx"]
