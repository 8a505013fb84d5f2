"""The Kaggle reader on label files that are not what the dataset ships: bad quoting, extra fields."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mltu_ext.data.readers.kaggle import read_kaggle
from mltu_ext.errors import DatasetError


def kaggle_folder(root: Path, csv_text: str) -> Path:
    """written_name_train_v2.csv holding ``csv_text`` and three blank images in train_v2/train/."""
    folder = root / "train_v2" / "train"
    folder.mkdir(parents=True)
    for number in (1, 2, 3):
        assert cv2.imwrite(str(folder / f"TRAIN_{number}.jpg"), np.full((8, 16), 255, np.uint8))
    (root / "written_name_train_v2.csv").write_text(csv_text, encoding="utf-8")
    return root


def test_a_quote_never_closed_names_its_line(tmp_path):
    # was: the rest of the file read as one label, two rows gone without a word
    kaggle_folder(tmp_path, 'FILENAME,IDENTITY\nTRAIN_1.jpg,"SIMON\nTRAIN_2.jpg,ANNA\nTRAIN_3.jpg,LEA\n')
    with pytest.raises(DatasetError, match=r"written_name_train_v2\.csv:2: malformed quoting"):
        read_kaggle(tmp_path)


def test_an_unquoted_comma_is_not_a_shorter_label(tmp_path):
    # was: "SMITH" read, " JR" dropped
    kaggle_folder(tmp_path, "FILENAME,IDENTITY\nTRAIN_1.jpg,SMITH, JR\nTRAIN_2.jpg,ANNA\n")
    with pytest.raises(DatasetError, match=r"v2\.csv:2: malformed line, .*found 3 fields"):
        read_kaggle(tmp_path)


@pytest.mark.parametrize("label", ['"SI\nMON"', "SI\tMON", "\u200b"])
def test_a_label_training_cannot_use_names_its_line(tmp_path, label):
    kaggle_folder(tmp_path, f"FILENAME,IDENTITY\nTRAIN_1.jpg,ANNA\nTRAIN_2.jpg,{label}\n")
    with pytest.raises(DatasetError, match=r"v2\.csv:3: .*(control character|invisible)"):
        read_kaggle(tmp_path)


def test_quoted_label_with_comma_is_read(tmp_path):
    kaggle_folder(tmp_path, 'FILENAME,IDENTITY\nTRAIN_1.jpg,"SMITH, JR"\nTRAIN_2.jpg,\nTRAIN_3.jpg,EMPTY\n')
    samples = read_kaggle(tmp_path)
    assert [s.text for s in samples] == ["SMITH, JR"]
