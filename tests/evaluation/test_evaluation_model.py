"""The evaluation on a real (tiny) trained model and its ONNX recogniser."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import pytest

from mltu_ext.evaluation.error_rates import cer, exact_match, wer
from mltu_ext.evaluation.evaluate import evaluate
from mltu_ext.inference.recognizer import OnnxRecognizer

# every test here uses the trained_model fixture: a tiny model trained and exported
pytestmark = pytest.mark.slow


def test_evaluate_tiny_model_writes_consistent_report(trained_model, tmp_path):
    result, _, val = trained_model
    recognizer = OnnxRecognizer(result.model_dir)
    out = tmp_path / "report"
    metrics = evaluate(
        recognizer,
        val,
        str(out),
        batch_size=8,
        training_log=str(result.model_dir / "log.csv"),
        dataset_name="tiny words (val)",
        progress=False,
    )
    for name in (
        "metrics.json",
        "predictions.csv",
        "report.html",
        "report.md",
        "samples.png",
        "confusion.png",
        "dataset.png",
        "training_curves.png",
    ):
        assert (out / name).is_file(), name
    for name in ("samples.png", "confusion.png", "dataset.png", "training_curves.png"):
        image = cv2.imread(str(out / name))
        assert image is not None and image.shape[0] > 200 and image.shape[1] > 200, name
    stored = json.loads((out / "metrics.json").read_text())
    predictions = recognizer.predict_files([s.path for s in val])
    truths = [s.text for s in val]
    assert abs(stored["cer"] - cer(predictions, truths)) < 1e-9
    assert abs(stored["wer"] - wer(predictions, truths)) < 1e-9
    assert abs(stored["exact_match"] - exact_match(predictions, truths)) < 1e-9
    assert metrics["cer"] == stored["cer"]


def test_index_shows_truth_and_prediction(trained_model, word_dataset):
    result, _, _ = trained_model
    out = subprocess.run(
        [
            sys.executable,
            "inferenceModel.py",
            "--model",
            str(result.model_dir),
            "--dataset",
            str(word_dataset),
            "--index",
            "3",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert 'truth:       "red"' in out.stdout  # sample 3 of the tiny dataset is "red"
    assert "prediction:" in out.stdout
