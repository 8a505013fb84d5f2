"""python -m mltu_ext.cli.calibrate: the fitted temperature is stored in the model and used by its readers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mltu_ext.errors import ModelLoadError


def _images(word_dataset: Path, count: int = 24) -> list:
    import cv2

    return [
        cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        for p in sorted((word_dataset.parent / "img").glob("*.png"))[:count]
    ]


def test_the_fitted_temperature_is_written_and_read_back(model_copy, word_dataset, tmp_path, capsys):
    from mltu_ext.cli import calibrate
    from mltu_ext.inference.recognizer import OnnxRecognizer

    report = tmp_path / "calibration.json"
    args = [
        str(model_copy),
        "--dataset",
        str(word_dataset),
        "--split",
        "all",
        "--write",
        "--json",
        str(report),
        "--plot",
        str(tmp_path / "reliability.png"),
    ]
    assert calibrate.main(args) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "reliability.png").read_bytes()[:4] == b"\x89PNG" and "reliability diagram" in out
    result = json.loads(report.read_text())
    assert result["samples"] == 96 and 0 < result["words"] <= 96 and result["written"]
    assert f"only {result['words']} words" in out  # fewer than the command trusts
    # the temperature lies in the grid and beats (or ties) leaving the posteriors alone
    assert 0.5 <= result["temperature"] <= 4.0 and result["ece_after"] <= result["ece_before"]
    sidecar = json.loads((model_copy / "model.json").read_text())
    assert sidecar["confidence_temperature"] == result["temperature"]
    assert OnnxRecognizer(model_copy).temperature == result["temperature"]
    # the dataset's writers: each one scored at the temperature fitted on the others
    assert result["writers"] >= 2 and 0.0 <= result["ece_held_out_by_writer"] <= 1.0
    low, high = result["held_out_temperatures"]
    assert 0.5 <= low <= high <= 4.0 and "held out by writer" in out


def test_without_write_the_model_is_left_as_it_was(model_copy, word_dataset, capsys):
    from mltu_ext.cli import calibrate

    before = (model_copy / "model.onnx").read_bytes()
    assert (
        calibrate.main([str(model_copy), "--dataset", str(word_dataset), "--split", "all", "--limit", "20"])
        == 0
    )
    assert "not written" in capsys.readouterr().out
    assert (model_copy / "model.onnx").read_bytes() == before


@pytest.mark.parametrize("lm", [False, True])
def test_an_output_that_cannot_be_written_is_refused_before_the_fit(
    model_copy, word_dataset, tmp_path, monkeypatch, capsys, lm
):
    from mltu_ext.cli import calibrate

    def read(args):
        raise AssertionError("the samples were read before the output paths were checked")

    monkeypatch.setattr(calibrate, "read_chosen_samples", read)
    (tmp_path / "notes.txt").write_text("a file")
    args = [str(model_copy), "--dataset", str(word_dataset), "--split", "all", *(["--lm"] if lm else [])]
    assert calibrate.main([*args, "--json", str(tmp_path / "notes.txt" / "calibration.json")]) == 2
    assert f"{tmp_path / 'notes.txt'} is a file, not a folder" in capsys.readouterr().err
    assert calibrate.main([*args, "--plot", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: --plot {tmp_path}: is a folder; name a file\n"


def test_a_temperature_changes_the_confidences_and_never_the_text(model_copy, word_dataset):
    from mltu_ext.export.metadata import update_metadata
    from mltu_ext.inference.recognizer import OnnxRecognizer

    images = _images(word_dataset)
    plain = OnnxRecognizer(model_copy).read(images)
    update_metadata(model_copy / "model.onnx", confidence_temperature=3.0)
    tempered = OnnxRecognizer(model_copy).read(images)
    assert [r.text for r in tempered] == [r.text for r in plain]
    # a temperature above 1 spreads the posteriors: every reading is less sure than before
    assert all(t.confidence < p.confidence for t, p in zip(tempered, plain, strict=True) if p.text)


def test_a_temperature_that_is_not_positive_is_refused_and_the_file_kept(model_copy):
    from mltu_ext.export.metadata import update_metadata

    before = (model_copy / "model.onnx").read_bytes()
    with pytest.raises(ModelLoadError, match="confidence_temperature"):
        update_metadata(model_copy / "model.onnx", confidence_temperature=0.0)
    assert (model_copy / "model.onnx").read_bytes() == before
    assert sorted(p.name for p in model_copy.iterdir()) == ["model.json", "model.onnx"]  # no leftovers


def test_the_language_model_word_map_is_fitted_written_and_used(model_copy, word_dataset, tmp_path, capsys):
    from mltu_ext.cli import calibrate, language_model
    from mltu_ext.ctc.lm_file import LM_FILE, load_language_model, model_decoder
    from mltu_ext.inference.recognizer import OnnxRecognizer

    args = [str(model_copy), "--dataset", str(word_dataset), "--split", "all", "--lm"]
    with pytest.raises(ModelLoadError, match="no language model to calibrate"):
        calibrate.run(calibrate.get_args(args))
    assert language_model.main([str(model_copy), "--dataset", str(word_dataset), "--split", "all"]) == 0
    report = tmp_path / "lm_calibration.json"
    plot = tmp_path / "lm_reliability.png"
    assert calibrate.main([*args, "--write", "--json", str(report), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert plot.read_bytes()[:4] == b"\x89PNG"
    result = json.loads(report.read_text())
    assert result["samples"] == 96 and result["written"] and "read with the language model" in out
    assert "held out by writer (4 writers" in out  # write_word_dataset's four writers
    # the logistic fit's own data: mapped confidences are no worse calibrated than the network's
    assert result["ece_after"] <= result["ece_before"] + 1e-9
    weights = load_language_model(model_copy / LM_FILE).word_confidence
    assert weights == pytest.approx(result["weights"])
    images = _images(word_dataset, 8)
    readings = OnnxRecognizer(model_copy, decoder=model_decoder(model_copy)).read(images)
    assert all(0.0 <= w.confidence <= 1.0 for r in readings for w in r.words)


def test_words_that_cannot_decide_a_temperature_are_not_written():
    from mltu_ext.cli.calibrate import refuse_a_degenerate_fit
    from mltu_ext.ctc.calibration import GRID
    from mltu_ext.errors import ConfigError

    with pytest.raises(ConfigError, match="every one of the 3 words was read right"):
        refuse_a_degenerate_fit(0.5, [True, True, True], GRID)
    with pytest.raises(ConfigError, match="every one of the 2 words was read wrong"):
        refuse_a_degenerate_fit(4.0, [False, False], GRID)
    with pytest.raises(ConfigError, match="at the end of the range tried"):
        refuse_a_degenerate_fit(4.0, [True, False, True], GRID)
    refuse_a_degenerate_fit(1.7, [True, False, True], GRID)  # an inner fit on mixed words is stored
