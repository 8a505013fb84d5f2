"""The generic CSV reader on labels files made on another system."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mltu_ext.data.readers.generic import read_generic_csv


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
