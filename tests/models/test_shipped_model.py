"""The model that ships in Models/ loads on its own and reads real handwriting."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from mltu_ext.evaluation.error_rates import cer
from mltu_ext.inference.recognizer import OnnxRecognizer

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "Models" / "dhsd_words"
DHSD = ROOT.parent / "shared" / "data" / "dhsd"


def test_shipped_model_has_its_files_and_metadata():
    for name in ("model.onnx", "config.json", "MODEL_CARD.md"):
        assert (SHIPPED / name).is_file(), name
    recognizer = OnnxRecognizer(SHIPPED)
    assert recognizer.height == 64
    for char in "äöüßÄÖÜ":
        assert char in recognizer.vocabulary
    card = (SHIPPED / "MODEL_CARD.md").read_text()
    assert "CC BY 4.0" in card and "10.5281/zenodo.18743313" in card


@pytest.mark.skipif(not (DHSD / "labels.csv").is_file(), reason=f"{DHSD} not present")
def test_shipped_model_reads_real_dhsd_words():
    with (DHSD / "labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # two words from each of ten writers, spread over the set
    picked = [r for r in rows if int(r["writer_id"]) % 3 == 0][::97][:20]
    paths = [str(DHSD / r["file_name"]) for r in picked]
    truths = [r["text"] for r in picked]
    predictions = OnnxRecognizer(SHIPPED).predict_files(paths)
    # these writers were part of its training data: it must read them almost perfectly
    assert cer(predictions, truths) <= 0.05
    assert sum(p == t for p, t in zip(predictions, truths, strict=True)) >= 16


@pytest.mark.skipif(not (DHSD / "labels.csv").is_file(), reason=f"{DHSD} not present")
def test_inference_command_uses_the_shipped_model(tmp_path):
    image = DHSD / "images" / "writer1"
    first = sorted(image.glob("*.png"))[0]
    out = subprocess.run(
        [sys.executable, "inferenceModel.py", "--image", str(first), "--model", str(SHIPPED)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert out.stdout.strip()
