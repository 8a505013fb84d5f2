"""Int8 export: smaller file, same metadata, nearly the same output as the float model."""

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from mltu_ext.cli.quantize import main
from mltu_ext.data.images import read_gray
from mltu_ext.export.quantize import compare_readings, quantize_onnx
from mltu_ext.inference.recognizer import OnnxRecognizer

WORDS = Path(__file__).resolve().parents[2] / "Models" / "dhsd_words"


@pytest.mark.slow
def test_int8_model_keeps_metadata_and_stays_close(trained_model, word_dataset, tmp_path):
    result, _, val = trained_model
    src = result.model_dir / "model.onnx"
    dst = quantize_onnx(result.model_dir, tmp_path / "small.onnx")
    float_model, int8_model = onnx.load(src), onnx.load(dst)
    ops = {node.op_type for node in int8_model.graph.node}
    # int8 LSTM weights; the convolutions stay float32
    assert "DynamicQuantizeLSTM" in ops and "Conv" in ops and "ConvInteger" not in ops
    meta = {p.key: p.value for p in float_model.metadata_props}
    assert {p.key: p.value for p in int8_model.metadata_props}["mltu_ext"] == meta["mltu_ext"]
    assert dst.stat().st_size < src.stat().st_size
    images = [read_gray(s.path) for s in val[:8]]
    before = OnnxRecognizer(src).probabilities(images)
    after = OnnxRecognizer(dst).probabilities(images)
    assert before.shape == after.shape
    assert np.abs(before - after).max() < 0.1
    assert compare_readings(src, dst, images) <= 0.25
    assert json.loads(meta["mltu_ext"])["vocabulary"]


@pytest.mark.slow
def test_cli_writes_beside_the_model_and_checks_readings(trained_model, word_dataset, tmp_path, capsys):
    result, _, _ = trained_model
    out = tmp_path / "m.int8.onnx"
    images = word_dataset.parent / "img"
    argv = [str(result.model_dir), "-o", str(out), "--check-dir", str(images), "--max-changed", "1"]
    assert main(argv) == 0
    assert out.is_file() and "check images read differently" in capsys.readouterr().out


@pytest.mark.slow
def test_cli_removes_a_model_that_reads_differently(
    trained_model, word_dataset, tmp_path, monkeypatch, capsys
):
    import mltu_ext.cli.quantize as quantize

    result, _, _ = trained_model
    out = tmp_path / "bad.int8.onnx"
    monkeypatch.setattr(quantize, "compare_readings", lambda *args: 0.5)
    code = main([str(result.model_dir), "-o", str(out), "--check-dir", str(word_dataset.parent / "img")])
    assert code == 2 and not out.exists()
    assert "50.0% of the images" in capsys.readouterr().err


def test_missing_model_is_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


@pytest.mark.slow
def test_calibrated_model_has_int8_convolutions_and_stays_close(trained_model, tmp_path):
    result, train, val = trained_model
    src = result.model_dir / "model.onnx"
    calibration = [read_gray(s.path) for s in train[:32]]
    dst = quantize_onnx(src, tmp_path / "static.onnx", calibration)
    model = onnx.load(dst)
    ops = [node.op_type for node in model.graph.node]
    # every convolution reads quantised input and int8 weights (QDQ pairs around it)
    assert ops.count("QuantizeLinear") >= ops.count("Conv") > 0
    weights = {init.name: init for init in model.graph.initializer}
    conv_weights = [node.input[1] for node in model.graph.node if node.op_type == "Conv"]
    dequantized = {
        node.output[0]: node.input[0] for node in model.graph.node if node.op_type == "DequantizeLinear"
    }
    int8_weights = [dequantized[n] for n in conv_weights if dequantized.get(n) in weights]
    assert len(int8_weights) == len(conv_weights)
    assert all(weights[w].data_type == onnx.TensorProto.INT8 for w in int8_weights)
    assert "DynamicQuantizeLSTM" in ops
    images = [read_gray(s.path) for s in val[:8]]
    before = OnnxRecognizer(src).probabilities(images)
    after = OnnxRecognizer(dst).probabilities(images)
    assert before.shape == after.shape and np.abs(before - after).max() < 0.25
    assert compare_readings(src, dst, images) <= 0.25


@pytest.mark.slow
def test_empty_calibration_set_is_an_error(trained_model, tmp_path):
    result, _, _ = trained_model
    with pytest.raises(ValueError, match="no calibration images"):
        quantize_onnx(result.model_dir, tmp_path / "x.onnx", [])


@pytest.mark.slow
def test_cli_calibrates_on_a_folder(trained_model, word_dataset, tmp_path, capsys):
    result, _, _ = trained_model
    out = tmp_path / "cal.onnx"
    images = str(word_dataset.parent / "img")
    argv = [str(result.model_dir), "-o", str(out), "--calibration-dir", images, "--calibration-count", "16"]
    assert main(argv) == 0
    assert any(node.op_type == "QuantizeLinear" for node in onnx.load(out).graph.node)
    assert main([str(result.model_dir), "-o", str(out), "--calibration-dir", str(tmp_path / "none")]) == 2
    assert "no images to calibrate on" in capsys.readouterr().err


@pytest.mark.slow
def test_training_with_int8_export_keeps_or_drops_the_int8_model_and_says_so(word_dataset, tmp_path, capsys):
    from mltu_ext.data import load_dataset, split_samples
    from mltu_ext.training.trainer import train
    from tests.conftest import tiny_config, tiny_run

    parts = split_samples(load_dataset(str(word_dataset)).samples, val_fraction=0.25, seed=0)
    result = train(tiny_config(epochs=1), parts.train, parts.val, tiny_run(tmp_path / "m", int8_export=True))
    out = capsys.readouterr().out
    assert result.onnx_path == result.model_dir / "model.onnx"
    int8 = result.model_dir / "model.int8.onnx"
    # either outcome is right for a one-epoch model; each must be reported
    assert ("int8 model: " in out and int8.is_file()) or ("int8 model not kept" in out and not int8.exists())


@pytest.mark.slow
def test_export_int8_keeps_a_close_model_and_removes_a_worse_one(trained_model, tmp_path):
    import shutil

    from mltu_ext.export.model_folder import export_int8

    result, train, val = trained_model
    src = tmp_path / "model.onnx"
    shutil.copy(result.model_dir / "model.onnx", src)
    calibration = [read_gray(s.path) for s in train[:16]]
    images, texts = [read_gray(s.path) for s in val[:8]], [s.text for s in val[:8]]
    kept = export_int8(src, calibration, images, texts, tolerance=1.0)
    assert kept == tmp_path / "model.int8.onnx" and kept.is_file()
    # a negative tolerance: the int8 model can never be good enough
    assert export_int8(src, calibration, images, texts, tolerance=-1.0) is None
    assert not (tmp_path / "model.int8.onnx").exists()


@pytest.mark.parametrize("folder", ["empty", "missing"])
def test_a_check_folder_without_images_stops_before_anything_is_written(tmp_path, capsys, folder):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "m.int8.onnx"
    check = tmp_path / folder
    assert main([str(WORDS), "-o", str(out), "--check-dir", str(check)]) == 2
    assert f"{check}: no images to check the int8 model on" in capsys.readouterr().err
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_a_model_that_is_int8_already_is_refused_by_name(tmp_path, capsys):
    out = tmp_path / "again.onnx"
    assert main([str(WORDS), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{WORDS / 'model.onnx'}: already int8" in err and "nothing to quantize" in err
    assert not out.exists() and not out.with_suffix(".json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["a.png", "model", "model.ONNX"])
def test_an_output_name_not_ending_in_onnx_is_refused_before_anything(trained_model, tmp_path, capsys, name):
    result, _, _ = trained_model
    out, sidecar = tmp_path / name, tmp_path / "model.json"
    out.write_bytes(b"an image")
    sidecar.write_text("{}", encoding="utf-8")
    assert main([str(result.model_dir), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out}: the int8 model is an ONNX file; name one ending in .onnx" in err
    assert out.read_bytes() == b"an image" and sidecar.read_text(encoding="utf-8") == "{}"
    # refused before any folder is read: a missing check folder is not what stops it
    assert main([str(WORDS), "-o", str(out), "--check-dir", str(tmp_path / "missing")]) == 2
    assert "name one ending in .onnx" in capsys.readouterr().err


@pytest.mark.slow
def test_an_int8_model_written_elsewhere_takes_the_language_model_along(trained_model, tmp_path, capsys):
    import shutil

    from mltu_ext.ctc.lm_file import LM_FILE, build_decoder, model_decoder, save_language_model

    result, _, _ = trained_model
    folder = tmp_path / "model"
    shutil.copytree(result.model_dir, folder)
    save_language_model(folder / LM_FILE, build_decoder(["cat dog", "red sun"], order=2))
    out = tmp_path / "other" / "x.onnx"
    assert main([str(folder), "-o", str(out)]) == 0
    assert (out.parent / LM_FILE).read_bytes() == (folder / LM_FILE).read_bytes()
    assert model_decoder(out) is not None and f"copied its language model to {out.parent / LM_FILE}" in (
        capsys.readouterr().out
    )
    # a folder with another language model keeps it, and says so
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    save_language_model(theirs / LM_FILE, build_decoder(["blue moon"], order=2))
    before = (theirs / LM_FILE).read_bytes()
    assert main([str(folder), "-o", str(theirs / "x.onnx")]) == 0
    assert (theirs / LM_FILE).read_bytes() == before
    assert f"note: {theirs / LM_FILE} is not the language model of {folder / 'model.onnx'}" in (
        capsys.readouterr().err
    )
