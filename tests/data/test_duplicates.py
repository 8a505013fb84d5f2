"""Copies of one image never straddle the split, and the split says how many it found."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2

from mltu_ext.data import load_dataset, split_by_writer_ids, split_samples
from tests.conftest import draw_word, write_word_dataset


def test_copies_without_writers_stay_on_one_side(tmp_path):
    # a table without writers, where each of 40 different images appears three
    # times: twice the same file, once a byte copy under another name
    lines = ["file_name,text"]
    for i in range(40):
        text = f"w{i}"
        cv2.imwrite(str(tmp_path / f"{i}.png"), draw_word(text))
        shutil.copy(tmp_path / f"{i}.png", tmp_path / f"{i}_copy.png")
        lines += [f"{i}.png,{text}", f"{i}.png,{text}", f"{i}_copy.png,{text}"]
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(lines) + "\n")
    samples = load_dataset(str(labels)).samples
    parts = split_samples(samples, val_fraction=0.3, seed=0)
    train_files = {Path(s.path).read_bytes() for s in parts.train}
    assert parts.val and not any(Path(s.path).read_bytes() in train_files for s in parts.val)
    found = parts.info["duplicates"]
    assert found["images_with_copies"] == 40 and found["copies"] == 80
    assert found["moved_to_an_earlier_side"] == 0  # the random split kept each image's copies together
    assert found["with_different_labels"] == 0
    assert len(parts.train) + len(parts.val) == 120  # nothing dropped
    assert parts.info["counts"]["val"] == len(parts.val)


def test_a_copy_by_another_writer_goes_to_training(tmp_path):
    labels = write_word_dataset(tmp_path, count=12, writers=3)
    lines = labels.read_text().splitlines()
    cv2.imwrite(str(tmp_path / "own.png"), draw_word("own"))
    lines += ["own.png,own,w0", "own.png,own,w2"]  # one image claimed by a training and a val writer
    labels.write_text("\n".join(lines) + "\n")
    parts = split_by_writer_ids(load_dataset(str(labels)).samples, ["w2"])
    assert not any(s.path.endswith("own.png") for s in parts.val)
    assert sum(s.path.endswith("own.png") for s in parts.train) == 2
    assert parts.info["duplicates"]["moved_to_an_earlier_side"] >= 1


def test_one_image_with_two_labels_is_counted(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), draw_word("Hello"))
    cv2.imwrite(str(tmp_path / "b.png"), draw_word("other"))
    (tmp_path / "labels.csv").write_text("file_name,text\na.png,Hello\na.png,World\nb.png,other\n")
    parts = split_samples(load_dataset(str(tmp_path / "labels.csv")).samples, val_fraction=0.3, seed=0)
    assert parts.info["duplicates"]["with_different_labels"] == 1
