"""A fine-tuned model takes over its source's language model and confidence temperature."""

from __future__ import annotations

import shutil
from pathlib import Path

from mltu_ext.ctc.lm_file import model_decoder
from mltu_ext.export.inherited import inherit_reading_aids
from mltu_ext.export.metadata import update_metadata
from mltu_ext.inference.recognizer import OnnxRecognizer

WORDS = Path(__file__).resolve().parents[2] / "Models" / "dhsd_words"


def test_language_model_and_temperature_are_taken_over(tmp_path):
    source, tuned = tmp_path / "source", tmp_path / "tuned"
    for folder in (source, tuned):
        folder.mkdir()
        for name in ("model.onnx", "model.json"):
            shutil.copy(WORDS / name, folder / name)
    update_metadata(source / "model.onnx", confidence_temperature=1.7)  # as calibrate --write stores it
    words = tmp_path / "words.txt"
    words.write_text("Straße\nMühlbach\n", encoding="utf-8")
    from mltu_ext.cli.language_model import main as language_model

    assert language_model([str(source), "--text", str(words), "--order", "3"]) == 0
    assert OnnxRecognizer(tuned).temperature == 1.0 and model_decoder(tuned) is None

    notes = inherit_reading_aids(source, tuned / "model.onnx")

    assert len(notes) == 2 and "1.7 taken over" in notes[0] and "language model taken over" in notes[1]
    assert OnnxRecognizer(tuned).temperature == 1.7  # in the ONNX file, not only its sidecar
    assert model_decoder(tuned) is not None
    assert inherit_reading_aids(tmp_path / "words.txt", tuned / "model.onnx") == []  # nothing to take
