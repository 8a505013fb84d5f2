"""The segmenter's commands on a tiny page set: prepare, a few training steps, export, ONNX Runtime."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.cli import segment
from mltu_ext.pages.layout import LineOnPage, PageText
from mltu_ext.pages.writers import write_page

pytestmark = pytest.mark.slow  # trains and exports a small network (about 20 s)


def _pages(folder: Path) -> Path:
    """Two ALTO pages with three dark bars each (the 'lines') and their images."""
    rng = np.random.default_rng(0)
    for k in range(2):
        image = np.full((400, 300), 245, np.uint8)
        lines = []
        for i in range(3):
            top = 60 + 100 * i + int(rng.integers(0, 10))
            image[top + 10 : top + 30, 30:270] = 40
            outline = ((30.0, top), (269.0, top), (269.0, top + 39.0), (30.0, top + 39.0))
            lines.append(LineOnPage(f"l{i}", outline, ((30.0, top + 30.0), (269.0, top + 30.0)), text="x"))
        cv2.imwrite(str(folder / f"page{k}.png"), image)
        write_page(PageText(f"page{k}.png", 300, 400, tuple(lines)), folder / f"page{k}.xml", "alto")
    return folder


def test_prepare_train_export_and_segment(tmp_path):
    from mltu_ext.segment.segmenter import OnnxSegmenter

    source = _pages(tmp_path)
    data, model = tmp_path / "prepared", tmp_path / "segmenter"
    assert segment.main(["prepare", "--dataset", str(source), "-o", str(data), "--long-side", "256"]) == 0
    targets = cv2.imread(str(data / "targets" / "page0.png"), cv2.IMREAD_COLOR)
    assert targets.shape == (256, 192, 3) and targets[..., 0].any() and targets[..., 2].any()
    argv = ["train", "--data", str(data), "-o", str(model), "--minutes", "0.05", "--batch-size", "2"]
    assert segment.main([*argv, "--crop", "128", "--steps-per-epoch", "3"]) == 0
    assert (model / "segmenter.keras").is_file() and (model / "log.csv").is_file()
    assert segment.main(["export", str(model)]) == 0
    segmenter = OnnxSegmenter(model)
    maps, scale = segmenter.maps(cv2.imread(str(source / "page0.png"), cv2.IMREAD_GRAYSCALE))
    assert maps.shape == (256, 192, 3) and scale == pytest.approx(256 / 400)
    assert 0.0 <= maps.min() and maps.max() <= 1.0
    assert isinstance(segmenter.segment(np.full((400, 300), 245, np.uint8)), list)


def test_prepare_names_an_empty_selection(tmp_path, capsys):
    source = _pages(tmp_path)
    argv = ["prepare", "--dataset", str(source), "-o", str(tmp_path / "out"), "--writers", "nobody"]
    assert segment.main(argv) == 2
    assert "no layout file of the chosen writers" in capsys.readouterr().err


def test_prepare_names_a_missing_path_and_a_folder_without_layout_files(tmp_path, capsys):
    out = tmp_path / "out"
    assert segment.main(["prepare", "--dataset", str(tmp_path / "typo"), "-o", str(out)]) == 2
    assert f"{tmp_path / 'typo'}: no such file or folder" in capsys.readouterr().err
    (tmp_path / "words").mkdir()
    assert segment.main(["prepare", "--dataset", str(tmp_path / "words"), "-o", str(out)]) == 2
    assert "no ALTO or PAGE XML file" in capsys.readouterr().err
    assert not out.exists()


def test_train_names_a_folder_that_was_not_prepared(tmp_path, capsys):
    assert (
        segment.main(["train", "--data", str(tmp_path), "-o", str(tmp_path / "m"), "--minutes", "0.01"]) == 2
    )
    assert "prepared.json" in capsys.readouterr().err


def test_prepare_keeps_pages_of_the_same_name_in_different_folders(tmp_path, capsys):
    import csv

    for book in ("book 1", "book 2"):
        folder = tmp_path / "pages" / book / "page"
        folder.mkdir(parents=True)
        _pages(folder)  # page0.xml and page1.xml in each
    data = tmp_path / "prepared"
    argv = ["prepare", "--dataset", str(tmp_path / "pages"), "-o", str(data), "--long-side", "64"]
    assert segment.main(argv) == 0
    assert "wrote 4 pages" in capsys.readouterr().out
    with open(data / "pages.csv", newline="", encoding="utf-8") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    assert sorted(names) == [
        "book 1__page__page0",
        "book 1__page__page1",
        "book 2__page__page0",
        "book 2__page__page1",
    ]
    assert sorted(p.stem for p in (data / "pages").iterdir()) == sorted(names)
    assert sorted(p.stem for p in (data / "targets").iterdir()) == sorted(names)


def _tiny_training(data: Path, model: Path, overwrite: bool = False) -> Path:
    """A few seconds of training of a two-level network with two filters."""
    from mltu_ext.config.segmenter_config import SegmenterConfig
    from mltu_ext.segment.training import train_segmenter

    cfg = SegmenterConfig(filters=(2, 2), crop=32, batch_size=1)
    return train_segmenter(data, model, cfg, minutes=0.001, steps_per_epoch=1, overwrite=overwrite)


def test_train_refuses_a_folder_holding_a_segmenter_unless_told_to_replace_it(tmp_path, capsys):
    import json

    source = _pages(tmp_path)
    data, model = tmp_path / "prepared", tmp_path / "segmenter"
    assert segment.main(["prepare", "--dataset", str(source), "-o", str(data), "--long-side", "64"]) == 0
    model.mkdir()
    older = {"segmenter.keras": b"older network", "segmenter.onnx": b"older onnx", "segmenter.json": b"{}"}
    for name, content in older.items():
        (model / name).write_bytes(content)
    (model / "segmenter_config.json").write_text('{"long_side": 1024}', encoding="utf-8")
    capsys.readouterr()
    argv = ["train", "--data", str(data), "-o", str(model), "--minutes", "0.001", "--crop", "32"]
    assert segment.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{model}: holds a trained segmenter" in err and "--overwrite" in err
    # nothing of the older segmenter was touched
    assert {name: (model / name).read_bytes() for name in older} == older
    assert json.loads((model / "segmenter_config.json").read_text(encoding="utf-8")) == {"long_side": 1024}

    _tiny_training(data, model, overwrite=True)
    config = json.loads((model / "segmenter_config.json").read_text(encoding="utf-8"))
    assert config["long_side"] == 64 and config["filters"] == [2, 2]
    assert (model / "segmenter.keras").read_bytes() != older["segmenter.keras"]
    # the older export is set aside, so that no page reader takes it for the new network's
    assert not (model / "segmenter.onnx").exists() and not (model / "segmenter.json").exists()
    assert (model / "segmenter.onnx.stale").read_bytes() == older["segmenter.onnx"]
    assert "segmenter.onnx" in capsys.readouterr().err


def test_an_interrupted_training_leaves_the_older_segmenter_and_its_config_together(tmp_path, monkeypatch):
    import keras

    source = _pages(tmp_path)
    data, model = tmp_path / "prepared", tmp_path / "segmenter"
    assert segment.main(["prepare", "--dataset", str(source), "-o", str(data), "--long-side", "64"]) == 0
    model.mkdir()
    (model / "segmenter.keras").write_bytes(b"older network")
    (model / "segmenter_config.json").write_text('{"long_side": 1024}', encoding="utf-8")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "fit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _tiny_training(data, model, overwrite=True)
    assert (model / "segmenter_config.json").read_text(encoding="utf-8") == '{"long_side": 1024}'
    assert (model / "segmenter.keras").read_bytes() == b"older network"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"long_side": 64}', "lacks filters"),
        ('{"filters": [2, 2], "long_side": 64, "colour": 1}', "unknown setting 'colour'"),
        ('{"filters": [2, 2], "long_side": 0}', "long_side=0 must be at least 2"),
        ('{"filters": 2, "long_side": 64}', "filters must be a list"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_export_names_a_damaged_segmenter_config(tmp_path, capsys, text, problem):
    (tmp_path / "segmenter_config.json").write_text(text, encoding="utf-8")
    assert segment.main(["export", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        "\n" not in err
        and err.startswith(f"error: {tmp_path / 'segmenter_config.json'}: ")
        and problem in err
    )


def test_export_refuses_a_config_of_another_network_than_the_checkpoint(tmp_path, capsys):
    from mltu_ext.config.segmenter_config import SegmenterConfig
    from mltu_ext.segment.unet import build_segmenter

    build_segmenter(SegmenterConfig(filters=(2, 2, 2), long_side=64, crop=32)).save(
        tmp_path / "segmenter.keras"
    )
    (tmp_path / "segmenter_config.json").write_text('{"filters": [2, 2], "long_side": 64}', encoding="utf-8")
    assert segment.main(["export", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "segmenter_config.json is not segmenter.keras's" in err
    assert "size multiple 2" in err and "need 4" in err
    assert not (tmp_path / "segmenter.onnx").exists()


@pytest.mark.parametrize(
    ("prepared", "table", "problem"),
    [
        ("oops", None, "prepared.json: not valid JSON"),
        (
            '{"long_side": "x"}',
            None,
            "prepared.json: long_side must be a whole number of at least 1, got 'x'",
        ),
        ("{}", None, "prepared.json: long_side must be a whole number of at least 1, got None"),
        ('{"long_side": 64}', "name,writer\n", "pages.csv: lists no page"),
        ('{"long_side": 64}', "page,writer\np0,a\n", "pages.csv: has no 'name' column"),
    ],
)
def test_train_names_a_damaged_prepared_folder_and_writes_nothing(tmp_path, capsys, prepared, table, problem):
    data, model = tmp_path / "prepared", tmp_path / "segmenter"
    data.mkdir()
    (data / "prepared.json").write_text(prepared, encoding="utf-8")
    if table is not None:
        (data / "pages.csv").write_text(table, encoding="utf-8")
    argv = ["train", "--data", str(data), "-o", str(model), "--minutes", "0.001", "--crop", "32"]
    assert segment.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith(f"error: {data}") and problem in err
    assert not model.exists()


def test_train_refuses_crops_larger_than_the_prepared_pages(tmp_path, capsys):
    source = _pages(tmp_path)
    data, model = tmp_path / "prepared", tmp_path / "segmenter"
    assert segment.main(["prepare", "--dataset", str(source), "-o", str(data), "--long-side", "64"]) == 0
    capsys.readouterr()
    argv = ["train", "--data", str(data), "-o", str(model), "--minutes", "0.001", "--crop", "1024"]
    assert segment.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "crop=1024" in err and "long side 64" in err
    assert not model.exists()


def test_a_failed_prepare_does_not_leave_an_earlier_run_looking_whole(tmp_path, capsys):
    (tmp_path / "pages").mkdir()
    source = _pages(tmp_path / "pages")
    data = tmp_path / "prepared"
    assert segment.main(["prepare", "--dataset", str(source), "-o", str(data), "--long-side", "64"]) == 0
    (source / "page1.png").unlink()  # the second page's image is gone: the run stops there
    assert segment.main(["prepare", "--dataset", str(source), "-o", str(data), "--long-side", "128"]) == 2
    assert "page1.xml" in capsys.readouterr().err
    # page0 was rewritten at 128 pixels: the earlier pages.csv and prepared.json (64) no longer tell it
    argv = ["train", "--data", str(data), "-o", str(tmp_path / "m"), "--minutes", "0.001", "--crop", "32"]
    assert segment.main(argv) == 2
    assert "no prepared.json" in capsys.readouterr().err
