"""The generic CSV reader on labels files made on another system."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.data.readers.generic import read_generic_csv, read_image_txt_folder
from mltu_ext.errors import DatasetError


def test_windows_backslashes_in_image_paths(tmp_path):
    (tmp_path / "lines" / "a01").mkdir(parents=True)
    for name in ("lines/a01/x.png", "y.png"):
        assert cv2.imwrite(str(tmp_path / name), np.full((8, 16), 255, np.uint8))
    (tmp_path / "labels.csv").write_text("image,text\nlines\\a01\\x.png,hello\ny.png,world\n")
    # was: "1 of 2 image files are missing: .../lines\\a01\\x.png"
    samples = read_generic_csv(tmp_path / "labels.csv")
    assert [Path(s.path) for s in samples] == [tmp_path / "lines/a01/x.png", tmp_path / "y.png"]


def test_a_file_whose_name_holds_a_backslash_is_kept(tmp_path):
    assert cv2.imwrite(str(tmp_path / "odd\\name.png"), np.full((8, 16), 255, np.uint8))
    (tmp_path / "labels.csv").write_text("image,text\nodd\\name.png,hello\n")
    assert [Path(s.path).name for s in read_generic_csv(tmp_path / "labels.csv")] == ["odd\\name.png"]


COMPOSED, DECOMPOSED = "caf\u00e9", "cafe\u0301"  # "café" as most systems write it, and as macOS does


@pytest.mark.parametrize(("in_labels", "on_disk"), [(DECOMPOSED, COMPOSED), (COMPOSED, DECOMPOSED)])
def test_an_image_named_in_the_other_unicode_form_is_found(tmp_path, in_labels, on_disk):
    (tmp_path / on_disk).mkdir()
    for name in (f"{on_disk}/{on_disk}.png", "y.png"):
        assert cv2.imwrite(str(tmp_path / name), np.full((8, 16), 255, np.uint8))
    (tmp_path / "labels.csv").write_text(
        f"image,text\n{in_labels}/{in_labels}.png,hello\ny.png,world\n", encoding="utf-8"
    )
    # was: "1 of 2 image files are missing: .../café/café.png", the name looking the same
    samples = read_generic_csv(tmp_path / "labels.csv")
    assert [Path(s.path) for s in samples] == [tmp_path / on_disk / f"{on_disk}.png", tmp_path / "y.png"]


def test_an_exact_name_comes_before_its_other_unicode_form(tmp_path):
    for name, shade in ((COMPOSED, 0), (DECOMPOSED, 255)):
        assert cv2.imwrite(str(tmp_path / f"{name}.png"), np.full((8, 16), shade, np.uint8))
    for name in (COMPOSED, DECOMPOSED):
        (tmp_path / "labels.csv").write_text(f"image,text\n{name}.png,hello\n", encoding="utf-8")
        assert [s.path for s in read_generic_csv(tmp_path / "labels.csv")] == [str(tmp_path / f"{name}.png")]


def test_a_missing_image_is_still_missing(tmp_path):
    (tmp_path / "labels.csv").write_text(f"image,text\n{DECOMPOSED}.png,hello\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="1 of 1 image files are missing"):
        read_generic_csv(tmp_path / "labels.csv")


@pytest.mark.parametrize(("label", "image"), [(DECOMPOSED, COMPOSED), (COMPOSED, DECOMPOSED)])
def test_an_image_and_its_label_file_in_different_unicode_forms_pair(tmp_path, label, image):
    assert cv2.imwrite(str(tmp_path / f"{image}.png"), np.full((8, 16), 255, np.uint8))
    (tmp_path / f"{label}.txt").write_text("hello\n", encoding="utf-8")
    # was: "empty dataset, no samples found (skipped: 1 images without a .txt label)"
    (sample,) = read_image_txt_folder(tmp_path)
    assert sample.text == "hello" and Path(sample.path) == tmp_path / f"{image}.png"
