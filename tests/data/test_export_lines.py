"""export-lines: samples (line crops) written as images + labels.csv, read back the same."""

from __future__ import annotations

import numpy as np
import pytest

from mltu_ext.cli.data import main as data_main
from mltu_ext.data import load_dataset
from mltu_ext.data.export_lines import export_samples
from mltu_ext.data.samples import Sample, sample_pixels
from mltu_ext.errors import ConfigError, ImageReadError
from tests.conftest import draw_word, write_word_dataset


def test_exported_samples_read_back_with_texts_writers_and_pixels(tmp_path):
    images = [draw_word("cat"), draw_word("l'été"), draw_word("dog", height=48)]
    samples = [
        Sample(text=t, image=im, writer=w, source=f"page.xml#l{i}")
        for i, (t, im, w) in enumerate(zip(["cat", "l'été", "dog"], images, ["a", "a", "b"], strict=True))
    ]
    labels = export_samples(samples, tmp_path / "out", workers=2)
    back = load_dataset(labels).samples
    assert [s.text for s in back] == ["cat", "l'été", "dog"]
    assert [s.writer for s in back] == ["a", "a", "b"]
    for original, copy in zip(images, back, strict=True):
        np.testing.assert_array_equal(sample_pixels(copy), original)  # PNG is lossless
    assert "page.xml#l1" in labels.read_text(encoding="utf-8")


def test_height_and_jpeg_options(tmp_path):
    samples = [Sample(text="sun", image=draw_word("sun", height=48))]
    labels = export_samples(samples, tmp_path / "out", height=24, jpeg_quality=80)
    (copy,) = load_dataset(labels).samples
    assert copy.path.endswith(".jpg")
    pixels = sample_pixels(copy)
    assert pixels.shape[0] == 24 and abs(pixels.shape[1] - round(60 * 24 / 48)) <= 1


def test_a_smaller_export_into_the_same_folder_leaves_no_stale_images(tmp_path, capsys):
    samples = [Sample(text=t, image=draw_word(t)) for t in ("one", "two", "three")]
    export_samples(samples, tmp_path / "out", workers=1)
    (tmp_path / "out" / "images" / "notes.txt").write_text("kept: not an export's image")
    labels = export_samples(samples[:1], tmp_path / "out", jpeg_quality=90, workers=1)
    assert sorted(p.name for p in (tmp_path / "out" / "images").iterdir()) == ["000000.jpg", "notes.txt"]
    assert [s.text for s in load_dataset(labels).samples] == ["one"]
    assert "removed 3 images of an earlier export" in capsys.readouterr().out


def test_export_command(tmp_path, capsys):
    write_word_dataset(tmp_path / "words", count=6, writers=2)
    out = tmp_path / "lines"
    assert data_main(["export-lines", "--dataset", str(tmp_path / "words"), "-o", str(out)]) == 0
    assert "wrote 6 images" in capsys.readouterr().out
    assert len(load_dataset(out / "labels.csv").samples) == 6
    for quality in ("0", "101"):
        with pytest.raises(SystemExit) as stop:
            data_main(
                [
                    "export-lines",
                    "--dataset",
                    str(tmp_path / "words"),
                    "-o",
                    str(out),
                    "--jpeg-quality",
                    quality,
                ]
            )
        assert stop.value.code == 2


def test_an_export_into_the_folder_of_its_own_images_is_refused(tmp_path):
    samples = [Sample(text=t, image=draw_word(t)) for t in ("one", "two", "three")]
    labels = export_samples(samples, tmp_path / "out", workers=1)
    before = {p.name: p.read_bytes() for p in (tmp_path / "out" / "images").iterdir()}
    # read back in another order: writing image 0 would overwrite what sample 2 is read from
    reordered = list(reversed(load_dataset(labels).samples))
    with pytest.raises(ConfigError, match="holds the images being exported"):
        export_samples(reordered, tmp_path / "out", workers=1)
    with pytest.raises(ConfigError, match="holds the images being exported"):
        export_samples(reordered, tmp_path, workers=1)  # a folder above them, too
    assert {p.name: p.read_bytes() for p in (tmp_path / "out" / "images").iterdir()} == before
    assert [s.text for s in load_dataset(labels).samples] == ["one", "two", "three"]


def test_export_command_into_the_dataset_folder_says_so(tmp_path, capsys):
    write_word_dataset(tmp_path / "words", count=3, writers=1)
    labels = (tmp_path / "words" / "labels.csv").read_bytes()
    words = str(tmp_path / "words")
    assert data_main(["export-lines", "--dataset", words, "-o", words]) == 2
    assert "holds the images being exported" in capsys.readouterr().err
    assert (tmp_path / "words" / "labels.csv").read_bytes() == labels
    assert not (tmp_path / "words" / "images").exists()


def test_an_export_that_stops_half_way_leaves_no_earlier_labels_over_its_images(tmp_path):
    export_samples([Sample(text=t, image=draw_word(t)) for t in ("one", "two")], tmp_path / "out", workers=1)
    missing = Sample(text="gone", path=str(tmp_path / "missing.png"))
    with pytest.raises(ImageReadError, match=r"missing\.png"):
        export_samples([Sample(text="cat", image=draw_word("cat")), missing], tmp_path / "out", workers=1)
    # images/000000.png now shows "cat": the earlier labels.csv would call it "one"
    assert not (tmp_path / "out" / "labels.csv").exists()
