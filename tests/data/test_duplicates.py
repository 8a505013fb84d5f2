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


def write_pages_with_a_shared_one(root: Path) -> None:
    """PAGE files of writers a-d, each with its page image, and page a again as writer e's."""
    from tests.data.readers.test_alto import draw_page
    from tests.data.readers.test_page_xml import page_xml

    for writer in "abcd":
        draw_page(root / f"{writer}.png", (f"text {writer}", f"more {writer}"))
        (root / f"{writer}.xml").write_text(page_xml(image=f"{writer}.png"))
    # a copy of the image, and a file that draws its first line a pixel wider
    shutil.copy(root / "a.png", root / "e.png")
    wider = page_xml(image="e.png").replace("5,10 290,10 290,45 5,45", "4,10 290,10 290,45 4,45")
    (root / "e.xml").write_text(wider)


def test_one_page_under_two_writer_ids_stays_on_one_side_whatever_its_outlines(tmp_path):
    write_pages_with_a_shared_one(tmp_path)
    samples = load_dataset(tmp_path).samples

    parts = split_by_writer_ids(samples, ["e"])
    assert not parts.val and sum(s.writer == "e" for s in parts.train) == 2
    found = parts.info["duplicates"]
    assert found["pages_under_several_writers"] == 1
    assert found["shared_page_examples"] == [["a.xml#l1", "e.xml#l1"]]
    for seed in range(6):  # writer splits that put writer a or e on the validation side
        parts = split_samples(samples, val_fraction=0.3, seed=seed)
        val_pages = {Path(s.path).read_bytes() for s in parts.val}
        assert not any(Path(s.path).read_bytes() in val_pages for s in parts.train), seed


def test_training_names_the_files_of_a_page_under_two_writer_ids(tmp_path, capsys):
    from mltu_ext.cli import train

    write_pages_with_a_shared_one(tmp_path)
    assert train.main(["--dataset", str(tmp_path), "--check", "--cache-dir", ""]) == 0
    assert "1 page image(s) described under several writer ids (e.g. a.xml#l1 and e.xml#l1)" in (
        capsys.readouterr().out
    )
