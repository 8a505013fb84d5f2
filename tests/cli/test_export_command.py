"""``python -m mltu_ext.cli.export``: a model folder trained elsewhere (say under JAX) becomes ONNX here."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mltu_ext.cli import export

pytestmark = pytest.mark.slow  # the session's tiny trained model


def _folder_without_onnx(result, tmp_path):
    folder = tmp_path / "models" / "from_gpu"
    shutil.copytree(result.model_dir, folder)
    for name in ("model.onnx", "model.json", "model.int8.onnx", "model.int8.json"):
        (folder / name).unlink(missing_ok=True)
    return folder


def test_export_rebuilds_the_same_onnx_model(trained_model, tmp_path):
    from mltu_ext.data.samples import sample_pixels
    from mltu_ext.inference.recognizer import OnnxRecognizer

    result, _, val = trained_model
    folder = _folder_without_onnx(result, tmp_path)
    assert export.main([str(folder)]) == 0
    assert (folder / "model.onnx").is_file() and (folder / "model.json").is_file()
    images = [sample_pixels(s) for s in val[:8]]
    original = OnnxRecognizer(result.onnx_path, check_ink=False).predict(images)
    again = OnnxRecognizer(folder / "model.onnx", check_ink=False).predict(images)
    assert again == original
    assert not (tmp_path / "models" / "last_trained.json").exists()  # only with --record


def test_record_makes_it_the_default_model(trained_model, tmp_path):
    from mltu_ext.inference.model_files import default_model

    result, _, _ = trained_model
    folder = _folder_without_onnx(result, tmp_path)
    assert export.main([str(folder), "--record"]) == 0
    record = json.loads((tmp_path / "models" / "last_trained.json").read_text(encoding="utf-8"))
    assert record["model"] == "from_gpu/model.onnx"
    chosen = default_model(tmp_path / "models")
    assert chosen[0].resolve() == (folder / "model.onnx").resolve()


@pytest.mark.parametrize("missing", ["config.json", "best.keras"])
def test_a_folder_without_its_files_is_named(trained_model, tmp_path, capsys, missing):
    result, _, _ = trained_model
    folder = _folder_without_onnx(result, tmp_path)
    (folder / missing).unlink()
    assert export.main([str(folder)]) == 2
    err = capsys.readouterr().err
    assert str(folder) in err and missing in err
    assert not (folder / "model.onnx").exists()


def test_a_config_of_another_network_or_a_broken_checkpoint_is_named(trained_model, tmp_path, capsys):
    result, _, _ = trained_model
    folder = _folder_without_onnx(result, tmp_path)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    height = config["model"]["height"]
    config["model"]["height"] = height * 2
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert export.main([str(folder)]) == 2
    assert f"it says height {height * 2}" in capsys.readouterr().err
    assert not (folder / "model.onnx").exists()

    (folder / "best.keras").write_bytes(b"cut short")
    assert export.main([str(folder)]) == 2
    assert f"{folder / 'best.keras'}: not a readable .keras file" in capsys.readouterr().err


def test_check_images_are_seeded_noise():
    first, second = export.check_images(32, 64, 1), export.check_images(32, 64, 1)
    assert first.shape == (2, 32, 64, 1) and np.array_equal(first, second)
    assert 0.0 <= first.min() and first.max() <= 255.0 and first.std() > 50


def test_a_failed_export_leaves_no_earlier_model_under_the_current_name(
    trained_model, tmp_path, monkeypatch, capsys
):
    from mltu_ext.errors import ExportMismatchError, ModelLoadError
    from mltu_ext.export import onnx_export
    from mltu_ext.inference.model_files import find_model_file

    result, _, _ = trained_model
    folder = tmp_path / "models" / "resumed"
    shutil.copytree(result.model_dir, folder)
    (folder / "model.int8.onnx").write_bytes((folder / "model.onnx").read_bytes())
    earlier = (folder / "model.onnx").read_bytes()

    def mismatch(model, path, images, atol=1e-4, name=None):
        raise ExportMismatchError(
            f"{name}: ONNX output differs from Keras by 1.0e+00 (allowed 1e-04); not written"
        )

    monkeypatch.setattr(onnx_export, "check_export", mismatch)
    assert export.main([str(folder)]) == 2
    err = capsys.readouterr().err
    assert "not written" in err and "model.onnx, model.json, model.int8.onnx" in err and ".stale" in err
    # neither model.onnx nor the int8 file, the only .onnx left, is taken for best.keras's export
    assert not list(folder.glob("*.onnx")) and not (folder / "model.json").exists()
    with pytest.raises(ModelLoadError, match=r"no \.onnx file"):
        find_model_file(folder)
    assert (folder / "model.onnx.stale").read_bytes() == earlier  # renamed back, it is the model it was
    assert (folder / "model.json.stale").is_file()


def test_a_new_export_sets_aside_the_int8_model_of_the_one_it_replaced(trained_model, tmp_path, capsys):
    from mltu_ext.inference.model_files import find_model_file

    result, _, _ = trained_model
    folder = tmp_path / "models" / "resumed"
    shutil.copytree(result.model_dir, folder)
    earlier = (folder / "model.onnx").read_bytes()
    (folder / "model.int8.onnx").write_bytes(earlier)
    (folder / "model.int8.json").write_text("{}", encoding="utf-8")
    assert export.main([str(folder)]) == 0
    err = capsys.readouterr().err
    assert f"note: {folder}: model.onnx is new, so the earlier model.int8.onnx, model.int8.json" in err
    assert ".stale" in err and f"python -m mltu_ext.cli.quantize {folder}" in err
    assert not (folder / "model.int8.onnx").exists() and not (folder / "model.int8.json").exists()
    assert (folder / "model.int8.onnx.stale").read_bytes() == earlier
    assert find_model_file(folder) == folder / "model.onnx" and (folder / "model.json").is_file()
    # a folder without an int8 model: nothing to say
    assert export.main([str(folder)]) == 0
    assert "int8" not in capsys.readouterr().err


def test_an_export_that_training_quantises_next_removes_the_earlier_int8_model_quietly(
    trained_model, tmp_path, capsys
):
    from mltu_ext.config.train_config import TrainConfig
    from mltu_ext.export.model_folder import export_best

    result, _, _ = trained_model
    folder = tmp_path / "models" / "resumed"
    shutil.copytree(result.model_dir, folder)
    (folder / "model.int8.onnx").write_bytes((folder / "model.onnx").read_bytes())
    (folder / "model.int8.json").write_text("{}", encoding="utf-8")
    cfg = TrainConfig.load(folder / "config.json")
    export_best(cfg, folder, export.check_images(cfg.model.height, 64, cfg.model.channels), int8_follows=True)
    # a resumed training writes its own int8 model next: no note to quantise, no .stale files left
    assert ".stale" not in capsys.readouterr().err
    assert not list(folder.glob("*.stale")) and not (folder / "model.int8.onnx").exists()
    assert (folder / "model.onnx").is_file()
