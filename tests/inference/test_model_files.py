"""Which model inferenceModel.py uses without --model: the last one trained, else the shipped line model."""

from __future__ import annotations

import json
import os

import pytest

from mltu_ext.errors import ModelLoadError
from mltu_ext.inference import model_files
from mltu_ext.inference.model_files import (
    LAST_TRAINED,
    SHIPPED_LINE_MODEL,
    default_model,
    last_trained_model,
    record_trained_model,
)


def _model(folder):
    folder.mkdir(parents=True)
    path = folder / "model.onnx"
    path.write_bytes(b"onnx")
    return path


def test_the_recorded_model_wins_over_newer_file_times(tmp_path):
    root = tmp_path / "Models"
    shipped = _model(root / SHIPPED_LINE_MODEL)
    first = _model(root / "run1")
    second = _model(root / "run2")
    record_trained_model(first)
    # a checkout can give any file the newest time: it does not decide
    os.utime(second, (2_000_000_000, 2_000_000_000))
    os.utime(shipped, (2_000_000_001, 2_000_000_001))
    model, why = default_model(root)
    assert model.resolve() == first.resolve() and "trained last" in why
    record_trained_model(second)
    assert default_model(root)[0].resolve() == second.resolve()
    record = json.loads((root / LAST_TRAINED).read_text())
    assert record["model"] == "run2/model.onnx" and record["trained_at"]


def test_the_shipped_line_model_without_a_record(tmp_path):
    root = tmp_path / "Models"
    shipped = _model(root / SHIPPED_LINE_MODEL)
    _model(root / "someone_elses")  # present but never recorded by train.py here
    model, why = default_model(root)
    assert model == shipped and "shipped line model" in why


def test_a_record_of_a_deleted_or_damaged_model_falls_back(tmp_path):
    root = tmp_path / "Models"
    shipped = _model(root / SHIPPED_LINE_MODEL)
    gone = _model(root / "gone")
    record_trained_model(gone)
    gone.unlink()
    assert last_trained_model(root) is None
    assert default_model(root)[0] == shipped
    (root / LAST_TRAINED).write_text("{not json")
    assert default_model(root)[0] == shipped


def test_nothing_to_use_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(model_files, "CHECKOUT_MODELS", tmp_path / "no_checkout")
    with pytest.raises(ModelLoadError, match=r"no trained model.*no shipped line model"):
        default_model(tmp_path)


def test_run_from_another_folder_the_checkouts_shipped_model_is_used(tmp_path, monkeypatch):
    checkout = tmp_path / "checkout" / "Models"
    shipped = _model(checkout / SHIPPED_LINE_MODEL)
    monkeypatch.setattr(model_files, "CHECKOUT_MODELS", checkout)
    model, why = default_model(tmp_path / "elsewhere" / "Models")
    assert model == shipped and "shipped line model" in why
    # a shipped folder in the models folder itself comes first
    here = _model(tmp_path / "elsewhere" / "Models" / SHIPPED_LINE_MODEL)
    assert default_model(tmp_path / "elsewhere" / "Models")[0] == here
